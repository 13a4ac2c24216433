FROM debian:bookworm-slim
RUN apt update && apt install -y --no-install-recommends curl=7.88.1-10+deb12u5 \
    && rm -rf /var/lib/apt/lists/*
