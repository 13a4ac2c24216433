FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl
SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
RUN apt-get update && apt-get install -y --no-install-recommends jq
