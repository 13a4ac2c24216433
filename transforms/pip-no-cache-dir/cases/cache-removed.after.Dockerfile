FROM python:3.11-slim
RUN pip install --no-cache-dir -U setuptools && \
  pip install --no-cache-dir apache-beam[gcp]==2.3.0 && \
  rm -rf /root/.cache/pip;
