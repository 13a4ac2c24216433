#!/bin/sh
set -e
docker build -f docker/base.Dockerfile -t acme-base:latest .
docker build -f docker/worker/Dockerfile -t acme-worker:latest .
docker build -f docker/web/Dockerfile -t acme-web:latest .
docker build -f docker/jobs/Dockerfile -t acme-jobs:latest .
