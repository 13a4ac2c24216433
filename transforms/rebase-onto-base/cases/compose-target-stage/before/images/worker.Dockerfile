FROM python:3.12-slim AS prod
ENV PYTHONUNBUFFERED=1
WORKDIR /srv
COPY service ./service
CMD ["python", "-m", "service.worker"]

FROM prod AS debug
RUN pip install debugpy==1.8.5
