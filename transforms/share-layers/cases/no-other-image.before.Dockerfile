FROM python:3.11-slim
ENV WORKER_TYPE=CPU
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
CMD ["python", "--version"]
