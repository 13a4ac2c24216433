#!/bin/sh
set -e
docker build -f docker/base.Dockerfile -t acme-base:latest .
docker build -f docker/worker/Dockerfile -t acme-worker:latest .
docker build -f docker/user/Dockerfile -t acme-user:latest .
docker build -f docker/other/Dockerfile -t acme-other:latest .
docker build -f docker/mixed/Dockerfile -t acme-mixed:latest .
