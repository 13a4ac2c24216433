"""워커가 처리하는 작업(Job) 도메인 모델."""

from dataclasses import dataclass, field


class InvalidJob(ValueError):
    pass


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    payload: dict = field(default_factory=dict)

    @classmethod
    def from_message(cls, body: dict) -> "Job":
        try:
            return cls(str(body["job_id"]), str(body["kind"]), dict(body.get("payload", {})))
        except KeyError as exc:
            raise InvalidJob(f"missing field: {exc.args[0]}") from None
