FROM python:3.11-slim AS deps
RUN pip install --user flask

FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip
COPY --from=deps /root/.local /root/.local
RUN pip install --user gunicorn
