FROM python:3.12-slim
RUN pip install a==1 \
    # web
    && pip install b==2 \
    && pip install c==3  # worker
