"""Messaging Worker 진입점: python -m apps.worker.messaging_worker.sqs_main"""

from apps.worker.runner import parse_args, run_worker
from libs.queue.constants import MESSAGING_QUEUE_NAME
from src.application.handlers import send_message


def main(argv=None):
    args = parse_args(argv)
    run_worker(MESSAGING_QUEUE_NAME, send_message, once=args.once)


if __name__ == "__main__":
    main()
