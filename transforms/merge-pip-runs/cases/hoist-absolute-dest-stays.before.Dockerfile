FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip
COPY pip.conf /etc/pip.conf
RUN pip install flask
