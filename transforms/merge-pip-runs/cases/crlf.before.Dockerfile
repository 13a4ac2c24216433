FROM python:3.11-slim
RUN pip install a
RUN pip install b
CMD ["python"]
