FROM python:3.11-slim
RUN pip install a
USER app
RUN pip install --user b
