FROM python:3.11-slim
WORKDIR /app
RUN pip install --upgrade pip
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
# the app itself
RUN pip install --no-cache-dir gunicorn
CMD ["gunicorn", "app:app"]
