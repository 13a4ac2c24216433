FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir uv && pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
RUN pip install -r requirements/prod.txt
