FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements/prod.txt
