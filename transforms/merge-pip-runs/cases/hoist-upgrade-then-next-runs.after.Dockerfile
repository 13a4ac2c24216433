FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt ./
# the app itself
RUN pip install --upgrade pip \
    && pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir gunicorn
CMD ["gunicorn", "app:app"]
