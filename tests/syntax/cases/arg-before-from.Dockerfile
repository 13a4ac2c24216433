ARG BASE_IMAGE=academy-base:latest
ARG PY
FROM ${BASE_IMAGE}
ARG PY=3.11
FROM python:${PY}-slim AS b
