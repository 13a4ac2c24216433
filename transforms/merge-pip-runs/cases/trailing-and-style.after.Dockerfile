FROM python:3.11-slim
RUN apt-get update && \
  apt-get install -y gcc
RUN pip install --no-cache-dir --requirement requirements/production-dependencies.txt && \
  pip install --no-cache-dir --requirement requirements/observability-extras.txt
