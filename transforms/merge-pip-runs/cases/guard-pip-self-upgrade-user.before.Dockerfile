FROM python:3.11-slim
ENV PATH=/root/.local/bin:$PATH
RUN pip install --user --upgrade pip
RUN pip install --user flask
