FROM debian:12
RUN apt-get update && apt-get install -y \
    a \
    b \
    && rm -rf /var/lib/apt/lists/*
USER nobody
