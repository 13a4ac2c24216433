FROM python:3.11-slim
RUN pip install a
# dockfix: ignore[merge-pip-runs]
RUN pip install b
