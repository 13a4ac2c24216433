FROM debian:12
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
# dockfix: ignore[merge-apt-runs]
RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y \
    c \
    d \
    && rm -rf /var/lib/apt/lists/*
