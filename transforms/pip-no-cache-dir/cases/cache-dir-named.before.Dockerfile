FROM python:3.11-slim
RUN pip install --cache-dir /tmp/pipcache flask==3.0.0
RUN PIP_CACHE_DIR=/tmp/c pip install rich==13.0.0
