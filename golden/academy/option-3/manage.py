#!/usr/bin/env python
"""Academy 관리 CLI.

    python manage.py check              SSOT 상수 확인
    python manage.py runserver [PORT]   개발 서버 (기본 8000)
    python manage.py worker NAME        워커 실행 (video / messaging / ai / ai-cpu / ai-gpu)
"""

import argparse
import runpy
import sys

WORKERS = {
    "video": "apps.worker.video_worker.sqs_main",
    "messaging": "apps.worker.messaging_worker.sqs_main",
    "ai": "apps.worker.ai_worker.sqs_main",
    "ai-cpu": "apps.worker.ai_worker.sqs_main_cpu",
    "ai-gpu": "apps.worker.ai_worker.sqs_main_gpu",
}


def check() -> int:
    from libs.queue import constants

    print(f"SQS_LEASE_SECONDS={constants.SQS_LEASE_SECONDS}")
    print(f"SQS_VISIBILITY_TIMEOUT={constants.SQS_VISIBILITY_TIMEOUT}")
    print(f"INFERENCE_MAX_SECONDS={constants.INFERENCE_MAX_SECONDS}")
    if constants.SQS_LEASE_SECONDS >= constants.SQS_VISIBILITY_TIMEOUT:
        print("lease must be shorter than visibility timeout", file=sys.stderr)
        return 1
    return 0


def runserver(port: int) -> int:
    from wsgiref.simple_server import make_server

    from apps.api.wsgi import application

    with make_server("0.0.0.0", port, application) as server:
        print(f"Serving on http://0.0.0.0:{port}/")
        server.serve_forever()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check")
    p_run = sub.add_parser("runserver")
    p_run.add_argument("port", nargs="?", type=int, default=8000)
    p_worker = sub.add_parser("worker")
    p_worker.add_argument("name", choices=sorted(WORKERS))
    args, rest = parser.parse_known_args(argv)

    if args.command == "check":
        return check()
    if args.command == "runserver":
        return runserver(args.port)
    sys.argv = [WORKERS[args.name], *rest]
    runpy.run_module(WORKERS[args.name], run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
