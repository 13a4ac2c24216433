FROM python:3.11-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN pip install a && pip install b
