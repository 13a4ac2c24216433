FROM python:3.11-slim
ARG REQS=requirements.txt
RUN pip install -r "$REQS"
RUN pip install "${EXTRA:-none}"
