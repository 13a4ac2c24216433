FROM python:3.12-alpine AS worker
ENV VIRTUAL_ENV_DISABLE_PROMPT=1
RUN python -m venv /opt/venv
WORKDIR /srv/worker
# Tooling first
RUN /opt/venv/bin/pip install --upgrade pip
RUN /opt/venv/bin/pip install --upgrade setuptools wheel
COPY deps/worker.in deps/
RUN /opt/venv/bin/pip install -r deps/worker.in
CMD ["/opt/venv/bin/celery", "worker"]
