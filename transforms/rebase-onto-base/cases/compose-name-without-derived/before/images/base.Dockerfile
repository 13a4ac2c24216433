# syntax=docker/dockerfile:1
FROM python:3.12-slim AS runtime
ENV PYTHONUNBUFFERED=1
WORKDIR /srv
COPY service ./service
CMD ["python", "-V"]
