#!/usr/bin/env bash
# ==============================================================================
# AWS 500 START - 이미지 빌드 (docs/AWS_500_START_DEPLOY_GUIDE.md)
# 순서: base → api → workers. 빌드 컨텍스트는 항상 저장소 루트(.)
# 빌드 호스트: ARM64 (Graviton) EC2 - plain docker build도 arm64로 빌드됨
# ==============================================================================
set -euo pipefail
cd "$(dirname "$0")/.."

# 1) 베이스
docker build -f docker/Dockerfile.base -t academy-base:latest .

# 2) API
docker build -f docker/api/Dockerfile -t academy-api:latest .

# 3) Workers (academy-base 상속)
docker buildx build --platform linux/arm64 --build-arg BASE_IMAGE=academy-base:latest -f docker/video-worker/Dockerfile -t academy-video-worker:latest --load .
docker buildx build --platform linux/arm64 --build-arg BASE_IMAGE=academy-base:latest -f docker/messaging-worker/Dockerfile -t academy-messaging-worker:latest --load .
docker buildx build --platform linux/arm64 --build-arg BASE_IMAGE=academy-base:latest -f docker/ai-worker/Dockerfile -t academy-ai-worker:latest --load .

# 4) AI Worker CPU (python:3.11-slim 단독 빌드)
docker buildx build --platform linux/arm64 -f docker/ai-worker-cpu/Dockerfile -t academy-ai-worker-cpu:latest --load .

# 5) AI Worker GPU (CUDA, x86_64 GPU 인스턴스용)
docker buildx build --platform linux/amd64 -f docker/ai-worker-gpu/Dockerfile -t academy-ai-worker-gpu:latest --load .
