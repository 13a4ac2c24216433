FROM debian:bookworm-slim
# A later RUN names its program through the file's ENV: a known program (python3 reads no apt list)
ENV VENV_PACKAGE=python3-venv
# (its own words read the ENV too: the edited RUN is read back the same way)
RUN apt-get update && apt-get install -y --no-install-recommends $VENV_PACKAGE
ENV VIRTUAL_ENV=/opt/venv
RUN python3 -m venv "${VIRTUAL_ENV}" && "${VIRTUAL_ENV}/bin/python3" -c "import sys"
