FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip
RUN pip install --upgrade setuptools wheel
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python", "-m", "app"]
