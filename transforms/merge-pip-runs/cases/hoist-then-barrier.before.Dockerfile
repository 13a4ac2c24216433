FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
USER app
RUN pip install --user -r requirements/prod.txt
