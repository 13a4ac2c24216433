FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt ./
RUN pip install --upgrade pip \
    && pip install --upgrade setuptools wheel \
    && pip install --no-cache-dir -r requirements.txt
CMD ["python", "-m", "app"]
