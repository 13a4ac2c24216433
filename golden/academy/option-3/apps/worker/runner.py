"""워커 공통 실행 루프 (receive → handle → delete).

SIGTERM/SIGINT를 받으면 처리 중인 작업을 끝내고 종료한다.
"""

import argparse
import logging
import signal
import threading

from libs.queue.client import get_queue
from libs.queue.constants import SQS_WAIT_TIME_SECONDS
from src.domain.jobs import InvalidJob, Job

logger = logging.getLogger("academy.worker")


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--once", action="store_true", help="큐를 한 번만 확인하고 종료")
    return parser.parse_args(argv)


def run_worker(queue_name, handler, *, once=False, idle_sleep=SQS_WAIT_TIME_SECONDS):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue = get_queue(queue_name)
    stopping = threading.Event()

    def _stop(signum, _frame):
        logger.info("signal %s: stopping after current job", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logger.info("worker started: queue=%s", queue_name)

    while not stopping.is_set():
        messages = queue.receive()
        for message in messages:
            try:
                result = handler(Job.from_message(message.body))
                logger.info("done: %s", result)
                queue.delete(message)
            except InvalidJob as exc:
                logger.error("invalid job %s: %s", message.message_id, exc)
                queue.delete(message)
            except Exception:
                # lease 만료 후 재시도되도록 삭제하지 않는다.
                logger.exception("job failed: %s", message.message_id)
        if once:
            break
        if not messages:
            stopping.wait(idle_sleep)
    logger.info("worker stopped: queue=%s", queue_name)
