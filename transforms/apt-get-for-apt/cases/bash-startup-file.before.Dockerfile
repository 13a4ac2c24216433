FROM debian:bookworm-slim
# bash sources $BASH_ENV before each script: it may define `apt` as a function
ENV BASH_ENV=/etc/profile.d/tools.sh
SHELL ["/bin/bash", "-c"]
RUN apt update && apt install -y --no-install-recommends git
