FROM debian:12
RUN apt-get update && apt-get install -y \
    a \
    b \
    c \
    && rm -rf /var/lib/apt/lists/*
