FROM python:3.11-slim AS a
RUN pip install a
FROM python:3.11-slim AS b
RUN pip install b
USER app
RUN pip install --user c
ENV X=1
RUN pip install --user d
RUN ["pip", "install", "e"]
RUN pip install f
RUN --mount=type=cache,target=/root/.cache pip install g
RUN pip install h; pip install i
RUN pip install j | tee log
WORKDIR /x
RUN pip install k
ARG V
RUN pip install l==$V
SHELL ["/bin/bash", "-c"]
RUN pip install m
