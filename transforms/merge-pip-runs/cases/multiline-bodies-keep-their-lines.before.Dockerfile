FROM python:3.11-slim
RUN pip install \
    a \
    # a comment inside the continuation
    b
RUN pip install c
