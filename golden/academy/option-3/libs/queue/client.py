"""큐 클라이언트.

운영에서는 SQS 어댑터가 같은 인터페이스(receive / delete)를 구현한다.
여기의 LocalSpoolQueue는 개발/테스트용으로, 디렉터리의 JSON 파일 하나를
메시지 하나로 다룬다 (ACADEMY_QUEUE_DIR, 기본 /tmp/academy-queue).
"""

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from libs.queue.constants import SQS_LEASE_SECONDS, SQS_MAX_MESSAGES


@dataclass(frozen=True)
class Message:
    message_id: str
    body: dict
    receipt: str


class LocalSpoolQueue:
    def __init__(self, name: str, root: str | None = None) -> None:
        base = Path(root or os.environ.get("ACADEMY_QUEUE_DIR", "/tmp/academy-queue"))
        self.name = name
        self.ready = base / name / "ready"
        self.inflight = base / name / "inflight"

    def _ensure_dirs(self) -> None:
        self.ready.mkdir(parents=True, exist_ok=True)
        self.inflight.mkdir(parents=True, exist_ok=True)

    def send(self, body: dict) -> str:
        self._ensure_dirs()
        message_id = uuid.uuid4().hex
        tmp = self.ready / f".{message_id}.tmp"
        tmp.write_text(json.dumps(body), encoding="utf-8")
        tmp.rename(self.ready / f"{message_id}.json")
        return message_id

    def receive(self, max_messages: int = SQS_MAX_MESSAGES) -> list[Message]:
        """lease(SQS_LEASE_SECONDS)가 만료된 inflight 메시지는 다시 받을 수 있다."""
        self._ensure_dirs()
        now = time.time()
        for path in self.inflight.glob("*.json"):
            if path.stat().st_mtime + SQS_LEASE_SECONDS < now:
                path.rename(self.ready / path.name)
        messages = []
        for path in sorted(self.ready.glob("*.json"))[:max_messages]:
            target = self.inflight / path.name
            try:
                path.rename(target)
            except FileNotFoundError:  # 다른 워커가 먼저 가져감
                continue
            os.utime(target, (now, now))
            body = json.loads(target.read_text(encoding="utf-8"))
            messages.append(Message(path.stem, body, str(target)))
        return messages

    def delete(self, message: Message) -> None:
        Path(message.receipt).unlink(missing_ok=True)


def get_queue(name: str) -> LocalSpoolQueue:
    return LocalSpoolQueue(name)
