FROM python:3.11-slim
WORKDIR /root
RUN pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
RUN pip install --user -r requirements/prod.txt
