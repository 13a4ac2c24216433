# syntax=docker/dockerfile:1
FROM python:3.11-slim
RUN <<EOF
pip install z
EOF
RUN pip install a
RUN pip install b
RUN pip install c
RUN <<EOF
pip install y
EOF