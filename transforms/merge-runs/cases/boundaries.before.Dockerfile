FROM python:3.11-slim
RUN mkdir /a
RUN --mount=type=cache,target=/root/.cache mkdir /b
RUN mkdir /c && mkdir /d
RUN mkdir /e
ENV A=1
RUN mkdir /f
# hadolint ignore=DL3059
RUN mkdir /g
