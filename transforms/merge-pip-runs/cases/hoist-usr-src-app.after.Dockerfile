FROM python:3.12
WORKDIR /usr/src/app
COPY requirements/prod.txt ./requirements/
RUN pip install --upgrade pip && pip install --no-cache-dir -r requirements/prod.txt
