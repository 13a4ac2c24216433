FROM python:3.11-slim
RUN pip install $EXTRA flask==3.0.0
RUN pip install flask==3.0.0 $(cat extra.txt)
