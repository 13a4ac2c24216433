FROM python:3.11-slim
WORKDIR /srv/app
# installer
RUN pip3 install -U pip
RUN pip3 install --upgrade --no-cache-dir setuptools wheel==0.43.0
COPY requirements/base.txt requirements/base.txt
# config for the app, not for pip
ADD config/app.toml ./config/
RUN pip3 install --no-cache-dir -r requirements/base.txt
RUN pip3 check
