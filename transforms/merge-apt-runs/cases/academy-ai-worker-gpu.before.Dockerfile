# ==============================================================================
# AI Worker GPU - CUDA 12.1 + cuDNN 8 (예상 이미지 크기 2~3GB)
# ==============================================================================
# 빌드: docker buildx build --platform linux/amd64 -f docker/ai-worker-gpu/Dockerfile .
# 실행: docker run --gpus all academy-ai-worker-gpu:latest
# academy-base와 베이스가 달라(CUDA) 별도 라인으로 유지
# ==============================================================================
FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04

ENV DEBIAN_FRONTEND=noninteractive
ENV PYTHONUNBUFFERED=1
ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONPATH=/app
ENV WORKER_TYPE=GPU

# Python 3.11 설치 (deadsnakes PPA - Python 버전 변경 금지)
RUN apt-get update && apt-get install -y --no-install-recommends \
    software-properties-common \
    && add-apt-repository -y ppa:deadsnakes/ppa \
    && apt-get update && apt-get install -y --no-install-recommends \
    python3.11 \
    python3.11-venv \
    python3.11-distutils \
    && rm -rf /var/lib/apt/lists/*

# 시스템 의존성 (OCR)
RUN apt-get update && apt-get install -y --no-install-recommends \
    tesseract-ocr \
    tesseract-ocr-kor \
    && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y --no-install-recommends \
    ffmpeg \
    libgl1 \
    libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

# PostgreSQL 클라이언트 (academy-base runtime과 동일)
RUN apt-get update && apt-get install -y --no-install-recommends \
    libpq5 \
    ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# pip 설치 (python3.11 전용)
RUN python3.11 -m ensurepip --upgrade \
    && python3.11 -m pip install --no-cache-dir --upgrade pip

WORKDIR /app

# 의존성 (common → worker-ai-common → worker-ai-gpu)
COPY requirements/common.txt requirements/worker-ai-common.txt requirements/worker-ai-gpu.txt ./requirements/
RUN python3.11 -m pip install --no-cache-dir -r requirements/worker-ai-gpu.txt

# 애플리케이션 코드 (Hexagonal: src + apps + libs)
COPY src ./src
COPY apps ./apps
COPY libs ./libs
COPY manage.py ./

HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD python3.11 -c "import apps.worker.ai_worker.sqs_main_gpu" || exit 1

CMD ["python3.11", "-m", "apps.worker.ai_worker.sqs_main_gpu"]
