FROM python:3.11-slim
ENV PYTHONPATH=/app
WORKDIR /app
RUN pip install --upgrade pip
COPY libs ./libs
RUN pip install --no-cache-dir ./libs
