# ==============================================================================
# Academy Base Image - 공통 베이스 (api / video / messaging / ai-worker 공용)
# ==============================================================================
# 빌드: docker build -f docker/Dockerfile.base -t academy-base:latest .
# 파생 이미지는 ARG BASE_IMAGE=academy-base:latest 로 상속
# ==============================================================================

# ------------------------------------------------------------------------------
# Stage 1: builder - 빌드 도구 포함, common 의존성 설치
# ------------------------------------------------------------------------------
FROM python:3.11-slim AS builder

ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONUNBUFFERED=1

# 빌드 의존성 (C extension 컴파일용)
RUN apt-get update && apt-get install -y --no-install-recommends \
    gcc \
    g++ \
    libc6-dev \
    libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# 의존성 파일 복사 및 설치
COPY requirements/common.txt ./requirements/common.txt
# pip 업그레이드
RUN pip install --upgrade pip && pip install --user --no-cache-dir -r requirements/common.txt

# ------------------------------------------------------------------------------
# Stage 2: runtime - 빌드 도구 제외, 실행에 필요한 것만
# ------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONUNBUFFERED=1
ENV PYTHONPATH=/app
ENV PATH=/root/.local/bin:$PATH

# 런타임 의존성 (PostgreSQL 클라이언트, 인증서)
RUN apt-get update && apt-get install -y --no-install-recommends \
    postgresql-client \
    libpq5 \
    ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# builder에서 설치한 패키지 복사
COPY --from=builder /root/.local /root/.local

# 애플리케이션 코드 (Hexagonal: src + apps + libs)
COPY src ./src
COPY apps ./apps
COPY libs ./libs
COPY manage.py ./

# 베이스 이미지 기본 CMD (파생 이미지에서 override)
CMD ["python", "--version"]
