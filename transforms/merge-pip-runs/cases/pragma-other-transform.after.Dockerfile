FROM python:3.11-slim
# dockfix: ignore[merge-apt-runs]
RUN pip install a && pip install b
