#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
docker build -f docker/Dockerfile.base -t academy-base:latest .
docker build -f docker/api/Dockerfile -t academy-api:latest .
docker buildx build --platform linux/arm64 --build-arg BASE_IMAGE=academy-base:latest -f docker/video-worker/Dockerfile -t academy-video-worker:latest --load .
docker buildx build --platform linux/amd64 -f docker/ai-worker-gpu/Dockerfile -t academy-ai-worker-gpu:latest --load .
