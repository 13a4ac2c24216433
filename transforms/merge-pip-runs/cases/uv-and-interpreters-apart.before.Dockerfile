FROM python:3.12-slim
RUN uv pip install --system a
RUN uv pip install --system b
RUN pip install c
RUN python3 -m pip install d
RUN python3.11 -m pip install e
RUN pip install --frobnicate f
RUN pip install g
