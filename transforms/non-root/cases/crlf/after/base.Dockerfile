# corp base
FROM python:3.11-slim AS build
RUN pip install --user --no-cache-dir requests==2.32.3

FROM python:3.11-slim
ENV PATH=/home/appuser/.local/bin:$PATH
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/app
RUN groupadd --gid 1000 appuser \
    && useradd --uid 1000 --gid appuser --create-home appuser \
    && chown appuser:appuser /opt/app
COPY --from=build --chown=appuser:appuser /root/.local /home/appuser/.local
COPY --chown=appuser:appuser app.py .
USER appuser
CMD ["python", "app.py"]
