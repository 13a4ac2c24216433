FROM debian:12 AS one
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
FROM one
RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
