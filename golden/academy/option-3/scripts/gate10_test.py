#!/usr/bin/env python
"""Gate 10: 워커 진입점 import + SSOT 상수 검증.

실행 (저장소 루트 또는 이미지의 /app 에서): python scripts/gate10_test.py
"""

import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ENTRY_MODULES = [
    "apps.worker.video_worker.sqs_main",
    "apps.worker.messaging_worker.sqs_main",
    "apps.worker.ai_worker.sqs_main",
    "apps.worker.ai_worker.sqs_main_cpu",
    "apps.worker.ai_worker.sqs_main_gpu",
]

EXPECTED_CONSTANTS = {
    "SQS_LEASE_SECONDS": 3540,
    "SQS_VISIBILITY_TIMEOUT": 3600,
    "INFERENCE_MAX_SECONDS": 3600,
}


def main() -> int:
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    failures = []

    for name in ENTRY_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - 모든 import 실패를 보고
            failures.append(f"import {name}: {exc!r}")
            continue
        if not callable(getattr(module, "main", None)):
            failures.append(f"{name}: main() 없음")

    constants = importlib.import_module("libs.queue.constants")
    for key, expected in EXPECTED_CONSTANTS.items():
        actual = getattr(constants, key, None)
        if actual != expected:
            failures.append(f"{key}: expected {expected}, got {actual}")
    if constants.SQS_LEASE_SECONDS >= constants.SQS_VISIBILITY_TIMEOUT:
        failures.append("SQS_LEASE_SECONDS must be < SQS_VISIBILITY_TIMEOUT")

    for line in failures:
        print(f"FAIL {line}")
    print("GATE 10: " + ("FAIL" if failures else "PASS"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
