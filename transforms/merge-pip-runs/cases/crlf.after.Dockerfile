FROM python:3.11-slim
RUN pip install a && pip install b
CMD ["python"]
