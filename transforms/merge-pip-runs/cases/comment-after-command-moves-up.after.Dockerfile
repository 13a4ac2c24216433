FROM python:3.12-slim
# web
RUN pip install a==1 && pip install b==2 && pip install c==3  # worker
