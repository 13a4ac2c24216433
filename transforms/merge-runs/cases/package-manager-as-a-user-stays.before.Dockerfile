FROM python:3.11-slim
USER nobody
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl
