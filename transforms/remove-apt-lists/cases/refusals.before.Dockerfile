FROM debian:12-slim
RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y curl
RUN apt-get update && apt-get install -y git # tools
RUN apt-get update && apt-get install -y make &
# dockfix: ignore[remove-apt-lists]
RUN apt-get update && apt-get install -y vim
RUN apt-get update && apt-get install -y zip
RUN ./setup.sh
