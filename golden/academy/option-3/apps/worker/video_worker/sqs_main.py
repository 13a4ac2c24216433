"""Video Worker 진입점: python -m apps.worker.video_worker.sqs_main"""

from apps.worker.runner import parse_args, run_worker
from libs.queue.constants import VIDEO_QUEUE_NAME
from src.application.handlers import transcode_video


def main(argv=None):
    args = parse_args(argv)
    run_worker(VIDEO_QUEUE_NAME, transcode_video, once=args.once)


if __name__ == "__main__":
    main()
