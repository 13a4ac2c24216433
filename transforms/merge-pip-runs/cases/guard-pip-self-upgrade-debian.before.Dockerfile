FROM ubuntu:22.04
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip \
    && rm -rf /var/lib/apt/lists/*
# Debian's /usr/bin/pip3 upgrades into /usr/local/bin
RUN pip3 install --upgrade pip
RUN pip3 install --no-cache-dir flask
RUN python3 -m pip install --no-cache-dir gunicorn
