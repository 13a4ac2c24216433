# corp base
FROM python:3.11-slim AS build
RUN pip install --user --no-cache-dir requests==2.32.3

FROM python:3.11-slim
ENV PATH=/root/.local/bin:$PATH
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/app
COPY --from=build /root/.local /root/.local
COPY app.py .
CMD ["python", "app.py"]
