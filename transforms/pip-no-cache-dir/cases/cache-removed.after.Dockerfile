FROM python:3.11-slim
RUN pip install --no-cache-dir -U setuptools && \
  pip install --no-cache-dir apache-beam[gcp]==2.3.0 && \
  rm -rf /root/.cache/pip;
RUN --mount=type=cache,target=/root/.cache/pip pip install six==1.16.0
RUN pip install --no-cache-dir flask==3.0.0 && rm -rf /root/.cache/pip $(echo /tmp/x)
