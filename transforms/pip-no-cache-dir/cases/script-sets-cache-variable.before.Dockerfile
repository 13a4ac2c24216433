FROM python:3.11-slim
RUN PIP_NO_CACHE_DIR=0 pip install flask==3.0.0
RUN export UV_CACHE_DIR=/tmp/uv && uv pip install --system rich==13.0.0
