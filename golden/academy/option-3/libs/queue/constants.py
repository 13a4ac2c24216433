"""SQS / 워커 SSOT 상수.

CODE_ALIGNED_SSOT 기준값이다. 값을 바꾸면 큐 설정(VisibilityTimeout)과
Gate 10(scripts/gate10_test.py)이 함께 깨지므로 변경 금지.
"""

# 메시지 lease: VisibilityTimeout보다 60초 짧게 잡아 만료 전에 완료/삭제한다.
SQS_LEASE_SECONDS = 3540

# 큐의 VisibilityTimeout (인프라 설정값과 동일해야 함)
SQS_VISIBILITY_TIMEOUT = 3600

# AI 추론 1건 최대 처리 시간
INFERENCE_MAX_SECONDS = 3600

# Long polling 대기 시간 (SQS 최대 20초)
SQS_WAIT_TIME_SECONDS = 20

# 한 번에 가져오는 메시지 수 (워커 1개 = 작업 1개)
SQS_MAX_MESSAGES = 1

# 큐 이름
VIDEO_QUEUE_NAME = "academy-video-jobs"
MESSAGING_QUEUE_NAME = "academy-messaging-jobs"
AI_CPU_QUEUE_NAME = "academy-ai-jobs-cpu"
AI_GPU_QUEUE_NAME = "academy-ai-jobs-gpu"
