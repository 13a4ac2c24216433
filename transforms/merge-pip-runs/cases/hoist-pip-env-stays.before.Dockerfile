FROM python:3.11-slim
ENV PIP_CONFIG_FILE=/app/pip.conf
WORKDIR /app
RUN pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
RUN pip install -r requirements/prod.txt
