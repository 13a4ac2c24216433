FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=off
RUN pip install --upgrade pip
# a word with a variable: the RUN is read with the file's ENV, which turns the cache off
RUN for f in /requirements/*.txt; do pip install -r $f; done
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=
RUN pip install flask==3.0.0
