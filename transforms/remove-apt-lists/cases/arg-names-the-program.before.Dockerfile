FROM debian:bookworm-slim
# A name an ARG decides is unknown (a build may pass another program)
ARG TOOL=/usr/bin/python3
ENV VIRTUAL_ENV=/opt/venv
RUN apt-get update && apt-get install -y --no-install-recommends python3
RUN "${TOOL}" -c "import sys"
