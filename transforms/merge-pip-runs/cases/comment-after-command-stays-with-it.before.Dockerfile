FROM python:3.12-slim
RUN pip install a==1  # web
RUN pip install b==2
RUN pip install c==3  # worker
