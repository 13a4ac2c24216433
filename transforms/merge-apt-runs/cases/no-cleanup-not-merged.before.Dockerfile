FROM debian:12
RUN apt-get update && apt-get install -y a
RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
