"""작업 종류별 처리 유스케이스.

무거운 의존성(ffmpeg, OCR, 추론 런타임)은 처리 시점에만 사용한다.
모듈 import만으로는 아무 것도 실행하지 않는다 (Gate 10).
"""

import logging
import shutil
import subprocess
from pathlib import Path

from libs.queue.constants import INFERENCE_MAX_SECONDS
from src.domain.jobs import InvalidJob, Job

logger = logging.getLogger(__name__)


def transcode_video(job: Job) -> dict:
    source = job.payload.get("source")
    if not source:
        raise InvalidJob("video job without source")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not installed")
    output = job.payload.get("output", f"/tmp/{job.job_id}/index.m3u8")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg, "-y", "-i", source, "-f", "hls", "-hls_time", "6", output],
        check=True,
    )
    return {"job_id": job.job_id, "playlist": output}


def send_message(job: Job) -> dict:
    to = job.payload.get("to")
    if not to:
        raise InvalidJob("message job without recipient")
    logger.info("send %s to %s", job.payload.get("template", "default"), to)
    return {"job_id": job.job_id, "sent": True}


def run_inference(job: Job, device: str) -> dict:
    """OCR / 분석 추론. INFERENCE_MAX_SECONDS를 넘으면 실패로 처리한다."""
    image = job.payload.get("image")
    if not image:
        raise InvalidJob("ai job without image")
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise RuntimeError("tesseract not installed")
    result = subprocess.run(
        [tesseract, image, "stdout", "-l", job.payload.get("lang", "kor+eng")],
        check=True,
        capture_output=True,
        text=True,
        timeout=INFERENCE_MAX_SECONDS,
    )
    return {"job_id": job.job_id, "device": device, "text": result.stdout}
