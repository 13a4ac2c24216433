FROM python:3.11-slim
RUN pip install a
ARG VERSION=1.0
RUN pip install b==$VERSION
