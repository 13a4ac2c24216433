"""AI Worker 진입점: python -m apps.worker.ai_worker.sqs_main

WORKER_TYPE(CPU/GPU, 기본 CPU)에 따라 큐를 고른다.
CPU/GPU 전용 이미지는 sqs_main_cpu / sqs_main_gpu를 사용한다.
"""

import os
from functools import partial

from apps.worker.runner import parse_args, run_worker
from libs.queue.constants import AI_CPU_QUEUE_NAME, AI_GPU_QUEUE_NAME
from src.application.handlers import run_inference

QUEUES = {"CPU": AI_CPU_QUEUE_NAME, "GPU": AI_GPU_QUEUE_NAME}


def run(worker_type, argv=None):
    args = parse_args(argv)
    device = "cuda" if worker_type == "GPU" else "cpu"
    run_worker(QUEUES[worker_type], partial(run_inference, device=device), once=args.once)


def main(argv=None):
    run(os.environ.get("WORKER_TYPE", "CPU").upper(), argv)


if __name__ == "__main__":
    main()
