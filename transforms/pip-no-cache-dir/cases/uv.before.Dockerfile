FROM python:3.12-slim
COPY --from=ghcr.io/astral-sh/uv:0.4.0 /uv /bin/uv
RUN uv pip install --system requests==2.32.0
