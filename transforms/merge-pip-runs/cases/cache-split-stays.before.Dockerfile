FROM python:3.11-slim
COPY requirements/a.txt ./requirements/
RUN pip install --user -r requirements/a.txt

COPY requirements/b.txt ./requirements/
RUN pip install --user -r requirements/b.txt
