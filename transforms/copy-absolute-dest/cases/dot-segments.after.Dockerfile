FROM python:3.11-slim
COPY requirements.txt /requirements/
COPY a.txt /sub/x
COPY conf /sub/.
