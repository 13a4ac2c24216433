FROM python:3.11-slim
WORKDIR /app
RUN pip install a
WORKDIR /src
RUN pip install -e .
