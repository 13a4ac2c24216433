# syntax=docker/dockerfile:1.7
# escape=`
FROM python:3.11-slim
RUN pip install --no-cache-dir --requirement requirements/production-dependencies.txt
RUN pip install --no-cache-dir --requirement requirements/observability-extras.txt
