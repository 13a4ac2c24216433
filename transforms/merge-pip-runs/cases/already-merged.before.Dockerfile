FROM python:3.11-slim
WORKDIR /build
COPY requirements/common.txt ./requirements/common.txt
RUN pip install --upgrade pip && pip install --user --no-cache-dir -r requirements/common.txt
