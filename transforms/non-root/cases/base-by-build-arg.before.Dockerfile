# The image is named by a build argument: the default is python, but a build may pass any
# image (prefect's final stage is built on its conda stage that way). Left alone, with a note.
ARG BASE_IMAGE=python:3.12-slim
FROM continuumio/miniconda3:24.7.1-0 AS conda

FROM ${BASE_IMAGE} AS final
WORKDIR /app
COPY . .
CMD ["python", "main.py"]
