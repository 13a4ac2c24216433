FROM debian:12
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
    tzdata \
    curl \
    && rm -rf /var/lib/apt/lists/*
