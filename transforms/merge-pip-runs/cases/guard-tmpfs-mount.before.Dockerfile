FROM python:3.11-slim
RUN --mount=type=tmpfs,target=/root/.cache pip install a
RUN --mount=type=tmpfs,target=/root/.cache pip install b
