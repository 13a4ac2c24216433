FROM python:3.11-slim
ARG REQS=requirements.txt
RUN pip install -r "$REQS" && pip install "${EXTRA:-none}"
