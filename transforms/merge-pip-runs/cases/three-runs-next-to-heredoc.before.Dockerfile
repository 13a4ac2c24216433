# syntax=docker/dockerfile:1
FROM python:3.11-slim
RUN <<EOF
RUN pip install not-a-dockerfile-line
EOF
RUN pip install a
# b is pinned
RUN pip install b==1.0
RUN python -m pip install --no-cache-dir c
RUN <<-EOT bash
	pip install d
	RUN pip install e
	EOT
RUN pip install f
