FROM python:3.11-slim
RUN pip install --no-cache-dir a==1
# hadolint ignore=DL3013
RUN pip install --no-cache-dir b
