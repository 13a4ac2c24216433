# syntax=docker/dockerfile:1
FROM debian:12
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
RUN <<EOF
apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
EOF
RUN apt-get update && apt-get install -y c && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y d && rm -rf /var/lib/apt/lists/*
