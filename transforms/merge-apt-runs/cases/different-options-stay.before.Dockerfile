FROM debian:12
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y --no-install-recommends b && rm -rf /var/lib/apt/lists/*
