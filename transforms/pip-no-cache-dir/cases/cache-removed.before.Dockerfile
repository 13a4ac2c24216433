FROM python:3.11-slim
RUN pip install -U setuptools && \
  pip install apache-beam[gcp]==2.3.0 && \
  rm -rf /root/.cache/pip;
