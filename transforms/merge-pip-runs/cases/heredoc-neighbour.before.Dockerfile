# syntax=docker/dockerfile:1
FROM python:3.11-slim
RUN <<EOF
set -e
pip install --no-cache-dir z
EOF
RUN pip install a
RUN pip install b
RUN pip install c
RUN <<EOF bash
  pip install y   
EOF
