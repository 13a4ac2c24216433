# syntax=docker/dockerfile:1-labs
FROM python:3.11-slim
RUN --security=insecure pip install a
RUN pip install b
