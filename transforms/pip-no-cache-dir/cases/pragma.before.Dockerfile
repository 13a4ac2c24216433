FROM python:3.11-slim
# dockfix: ignore[pip-no-cache-dir]
RUN pip install flask==3.0.0
