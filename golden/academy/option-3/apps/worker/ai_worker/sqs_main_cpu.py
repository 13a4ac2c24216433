"""AI Worker CPU 진입점: python -m apps.worker.ai_worker.sqs_main_cpu"""

from apps.worker.ai_worker.sqs_main import run


def main(argv=None):
    run("CPU", argv)


if __name__ == "__main__":
    main()
