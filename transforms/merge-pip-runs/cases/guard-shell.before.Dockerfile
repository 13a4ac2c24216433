FROM python:3.11-slim
RUN pip install a
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN pip install b
