FROM python:3.11-slim AS base
ARG PYTHON_VERSION=3.11
WORKDIR /app
RUN pip install uv==0.5.31
RUN uv venv --python ${PYTHON_VERSION} && uv pip install pip setuptools
RUN . .venv/bin/activate && pip install -U packaging wheel

FROM base AS build
RUN rm -rf /var/lib/apt/lists/*
RUN . .venv/bin/activate && cd /opt && pip install six==1.16.0

FROM base AS copied
COPY . .
RUN . .venv/bin/activate && pip install attrs==24.2.0

FROM python:3.11-slim AS single
RUN python -m venv /opt/venv && . /opt/venv/bin/activate && pip install flask==3.0.0
