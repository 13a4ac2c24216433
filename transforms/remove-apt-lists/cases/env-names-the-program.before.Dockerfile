FROM debian:bookworm-slim
# A later RUN names its program through the file's ENV: a known program (python3 reads no apt list)
RUN apt-get update && apt-get install -y --no-install-recommends python3-venv
ENV VIRTUAL_ENV=/opt/venv
RUN python3 -m venv "${VIRTUAL_ENV}" && "${VIRTUAL_ENV}/bin/python3" -c "import sys"
