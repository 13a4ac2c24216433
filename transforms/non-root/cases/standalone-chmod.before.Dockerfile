# A file only root may read, outside the app directory: the user could not read it.
FROM python:3.12-slim
WORKDIR /app
COPY --chmod=0600 settings.ini /etc/app/settings.ini
COPY app.py ./
CMD ["python", "app.py"]
