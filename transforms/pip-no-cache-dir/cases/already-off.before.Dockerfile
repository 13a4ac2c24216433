FROM python:3.11-slim
RUN pip install --no-cache-dir flask==3.0.0 && PIP_NO_CACHE_DIR=1 pip install rich==13.0.0
RUN pip download flask==3.0.0 -d /wheels
