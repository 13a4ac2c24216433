FROM debian:12
RUN apt-get update && apt-get install -y a && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
