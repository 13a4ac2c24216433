#!/bin/sh
set -e
docker build -f docker/Dockerfile.base -t shop-base:latest .
docker build -f docker/api/Dockerfile -t shop-api:latest .
docker build -f docker/cpu/Dockerfile -t shop-cpu:latest .
docker build -f docker/gpu/Dockerfile -t shop-gpu:latest .
