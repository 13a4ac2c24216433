#!/bin/sh
docker build -f docker/Dockerfile.base -t shop-base:latest .
docker build -f docker/worker/Dockerfile -t shop-worker:latest .
