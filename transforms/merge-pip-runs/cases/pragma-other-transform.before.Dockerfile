FROM python:3.11-slim
RUN pip install a
# dockfix: ignore[merge-apt-runs]
RUN pip install b
