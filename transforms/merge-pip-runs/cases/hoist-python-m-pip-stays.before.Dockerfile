FROM python:3.11-slim
WORKDIR /app
RUN python -m pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
RUN python -m pip install -r requirements/prod.txt
