FROM python:3.11-slim
RUN pip install xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx && pip install xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
WORKDIR /app
RUN pip install xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \
    && pip install xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy
