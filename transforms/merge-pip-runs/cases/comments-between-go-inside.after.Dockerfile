FROM python:3.11-slim
RUN pip install a \
    # a loose note
    # about b
    && pip install b
