# Acme base image: the locked dependencies, installed system-wide, and the app code
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1
WORKDIR /srv

COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY app ./app
