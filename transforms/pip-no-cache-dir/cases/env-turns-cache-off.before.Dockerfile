FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=off
RUN pip install --upgrade pip
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=
RUN pip install flask==3.0.0
