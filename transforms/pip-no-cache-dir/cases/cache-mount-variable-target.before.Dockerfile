FROM python:3.11-slim
ARG CACHE=/root/.cache/pip
RUN --mount=type=cache,target=${CACHE} pip install flask
