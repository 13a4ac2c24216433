FROM python:3.11-slim
# the app's requirements
RUN python3 -m pip install --no-cache-dir --upgrade pip \
# pinned for the API
    && pip3 --disable-pip-version-check install --no-cache-dir \
        flask==3.0.0 gunicorn==21.2.0 \
    && pip list
