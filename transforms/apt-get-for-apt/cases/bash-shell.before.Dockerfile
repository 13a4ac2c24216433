FROM debian:bookworm-slim
RUN apt update && apt install -y --no-install-recommends curl
SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
RUN apt update && apt install -y --no-install-recommends jq
