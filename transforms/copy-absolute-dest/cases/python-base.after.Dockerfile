FROM python:3.11-slim
COPY requirements.txt /
COPY app /app/
COPY ["setup.cfg", "/conf/"]
CMD ["python", "-m", "app"]
