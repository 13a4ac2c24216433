FROM python:3.11-slim
RUN --mount=type=cache,target=/root/.cache pip install a && pip install b
