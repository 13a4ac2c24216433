FROM python:3.11-slim
RUN pip install a
ENV PIP_INDEX_URL=https://pypi.example.org/simple
RUN pip install b
