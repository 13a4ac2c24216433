FROM python:3.12-slim-bookworm AS py
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*

FROM node:lts-bookworm AS web
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*

FROM golang:1.25 AS go
RUN apt-get update && apt-get install -y --no-install-recommends protobuf-compiler && rm -rf /var/lib/apt/lists/*

FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
RUN apt-get update && apt-get -o APT::Keep-Downloaded-Packages=false install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
