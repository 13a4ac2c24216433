FROM python:3.11-slim
# a loose note
# about b
RUN pip install a && pip install b
