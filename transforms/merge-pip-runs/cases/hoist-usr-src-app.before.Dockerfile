FROM python:3.12
WORKDIR /usr/src/app
RUN pip install --upgrade pip
COPY requirements/prod.txt ./requirements/
RUN pip install --no-cache-dir -r requirements/prod.txt
