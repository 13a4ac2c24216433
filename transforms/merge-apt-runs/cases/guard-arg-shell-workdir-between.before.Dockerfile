FROM debian:12
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
ARG EXTRA=c
RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
WORKDIR /tmp
RUN apt-get update && apt-get install -y c && rm -rf /var/lib/apt/lists/*
SHELL ["/bin/bash", "-c"]
RUN apt-get update && apt-get install -y d && rm -rf /var/lib/apt/lists/*
