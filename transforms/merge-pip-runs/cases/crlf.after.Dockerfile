FROM python:3.11-slim
# tools
RUN pip install a && pip install b
CMD ["python"]
