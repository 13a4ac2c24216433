FROM debian:12
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*
SHELL ["/usr/bin/fish", "-c"]
RUN apt-get update && apt-get install -y c && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y d && rm -rf /var/lib/apt/lists/*
