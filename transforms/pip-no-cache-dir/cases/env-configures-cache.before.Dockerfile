FROM python:3.11-slim
ENV PIP_CACHE_DIR=/var/pip
RUN pip install flask==3.0.0
