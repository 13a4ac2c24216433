# syntax=docker/dockerfile:1
FROM python:3.11-slim
RUN pip install a \
    # b is pinned
    && pip install b==1.0 \
    && python -m pip install --no-cache-dir c
RUN <<EOF
pip install d
EOF
RUN pip install e
