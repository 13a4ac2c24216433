FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip setuptools
COPY vendor/setuptools ./setuptools
RUN pip install -e ./setuptools
