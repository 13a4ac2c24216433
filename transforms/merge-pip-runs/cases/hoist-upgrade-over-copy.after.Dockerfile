FROM python:3.11-slim AS builder
WORKDIR /build

# 의존성 파일 복사 및 설치
COPY requirements/common.txt ./requirements/common.txt
# pip 업그레이드
RUN pip install --upgrade pip && pip install --user --no-cache-dir -r requirements/common.txt

FROM python:3.11-slim
COPY --from=builder /root/.local /root/.local
