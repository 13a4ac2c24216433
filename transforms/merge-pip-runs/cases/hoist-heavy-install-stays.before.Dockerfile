FROM python:3.11-slim
WORKDIR /app
# torch is cached apart from the requirements on purpose
RUN pip install --no-cache-dir torch==2.3.0
COPY requirements.txt ./requirements/
RUN pip install --no-cache-dir -r requirements/requirements.txt
