FROM python:3.11-slim AS builder
WORKDIR /build

# pip 업그레이드
RUN pip install --upgrade pip

# 의존성 파일 복사 및 설치
COPY requirements/common.txt ./requirements/common.txt
RUN pip install --user --no-cache-dir -r requirements/common.txt

FROM python:3.11-slim
COPY --from=builder /root/.local /root/.local
