"""What to build and what came of it: plain frozen dataclasses, no engine knowledge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

BuildStatus = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class BuildSpec:
    """One image to build.

    `tag` is the name the repository knows the image by (e.g. ``academy-base:latest``); a
    `BuildSession` builds it under a private name, never under this one.
    """

    tag: str
    dockerfile: Path
    context: Path
    target: str | None = None
    # Not hashed (a mapping cannot be); equal specs still hash equal.
    build_args: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dockerfile", Path(self.dockerfile))
        object.__setattr__(self, "context", Path(self.context))
        # A read-only copy: the spec is frozen, its build args should be too.
        object.__setattr__(self, "build_args", MappingProxyType(dict(self.build_args)))


@dataclass(frozen=True)
class FailedStep:
    """The Dockerfile instruction the engine was executing when the build failed.

    `instruction` is the engine's own rendering of it; `line` is the 1-based Dockerfile line
    where that instruction starts, when it could be located. `stage`/`step` are the engine's
    1-based counters (stage only for multi-stage builds).
    """

    instruction: str
    line: int | None = None
    stage: int | None = None
    step: int | None = None


@dataclass(frozen=True)
class BuildResult:
    """The outcome of one build.

    skipped: the build could not be attempted on this machine (a base image is not available
    locally); that says nothing about the Dockerfile, so callers must not count it as failed.
    """

    spec: BuildSpec
    status: BuildStatus
    engine: str
    duration_s: float
    image: str | None = None  # the private reference the image was tagged with
    image_id: str | None = None  # "sha256:<hex>"
    failed_step: FailedStep | None = None
    error: str | None = None  # the engine's error message, as it printed it
    skip_reason: str | None = None
    log: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"
