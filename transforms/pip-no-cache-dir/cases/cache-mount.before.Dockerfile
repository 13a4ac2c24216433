FROM python:3.11-slim
RUN --mount=type=cache,target=/root/.cache/pip pip install flask==3.0.0
