FROM example.com/team/base:1
COPY app.py .

FROM python:3.11-slim
COPY $SRC /dest/
COPY a.txt ../x
WORKDIR /srv
COPY b.txt .
