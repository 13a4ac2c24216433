FROM python:3.11-slim
RUN pip install flask==3.0.0
