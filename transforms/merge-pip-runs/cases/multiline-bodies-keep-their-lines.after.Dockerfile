FROM python:3.11-slim
RUN pip install \
    a \
    # comment inside
    b \
    && pip install c
