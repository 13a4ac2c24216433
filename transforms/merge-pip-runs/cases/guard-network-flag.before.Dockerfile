FROM python:3.11-slim
RUN --network=none pip install --no-index --find-links /wheels a
RUN pip install b
