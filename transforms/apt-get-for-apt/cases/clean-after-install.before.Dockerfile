FROM example.com/base:1
RUN apt-get update \
 && apt install -y curl \
 && apt clean \
 && rm -rf /var/lib/apt/lists/*
