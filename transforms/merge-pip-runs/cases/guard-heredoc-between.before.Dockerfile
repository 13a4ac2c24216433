FROM python:3.11-slim
RUN pip install a
RUN <<EOF
pip install b
EOF
RUN pip install c
