FROM python:3.11-slim
RUN apt-get update \
	&& apt-get install -y gcc \
	&& rm -rf /var/lib/apt/lists/*
RUN pip install \
	flask \
	gunicorn
RUN pip install --no-cache-dir celery
