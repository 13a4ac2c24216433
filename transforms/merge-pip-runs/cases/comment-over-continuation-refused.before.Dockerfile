FROM python:3.12-slim
RUN pip install a==1  # web \
    pinned
RUN pip install b==2
