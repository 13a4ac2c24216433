"""AI Worker GPU 진입점: python3.11 -m apps.worker.ai_worker.sqs_main_gpu"""

from apps.worker.ai_worker.sqs_main import run


def main(argv=None):
    run("GPU", argv)


if __name__ == "__main__":
    main()
