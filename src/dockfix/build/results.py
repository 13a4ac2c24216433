"""What `verify --build` records: one tree's builds, one image's build, a finding, a pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dockfix.build.expect import FsComparison
from dockfix.build.filesystem import Snapshot
from dockfix.build.images import ImageInfo
from dockfix.build.smoke import SmokeCheck
from dockfix.build.spec import BuildResult

# Worst first. prover-bug: the builds differ where the static verdict proved the image.
SEVERITIES = ("prover-bug", "broken", "pre-existing", "fixed", "skipped", "info")
FAILING = frozenset({"prover-bug", "broken"})


@dataclass(frozen=True)
class Smoke:
    """Smoke checks of one image, run as its configured user."""

    python: SmokeCheck
    executable: SmokeCheck | None  # None: the image has neither ENTRYPOINT nor CMD
    module: SmokeCheck | None  # None: the image does not start with `python -m X`

    def to_json(self) -> dict:
        def check(c: SmokeCheck | None) -> dict | None:
            return None if c is None else {"ok": c.ok, "detail": c.detail, "value": c.value}

        return {"python_version": check(self.python), "cmd_executable": check(self.executable),
                "module_importable": check(self.module)}


@dataclass(frozen=True)
class ImageBuild:
    """One image of one tree: how its build went and, when it built, what is in it."""

    key: str  # the graph's image reference, or "<dockerfile>" for an unnamed Dockerfile
    dockerfile: str  # repo-relative
    status: str  # ok | failed | skipped
    result: BuildResult | None = None  # None when skipped before the engine was asked
    skip_reason: str | None = None
    info: ImageInfo | None = None
    smoke: Smoke | None = None
    files: Snapshot | None = None  # the whole file system; None when not read
    files_error: str = ""  # why files is None for an image that built

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def failure(self) -> str:
        """`at INSTRUCTION (path:line): message` for a failed build."""
        r = self.result
        if r is None:
            return ""
        step = r.failed_step
        where = ""
        if step is not None:
            line = f":{step.line}" if step.line else ""
            where = f"at `{step.instruction}` ({self.dockerfile}{line}): "
        return where + (r.error or "the build failed")

    def line(self) -> int | None:
        step = self.result.failed_step if self.result else None
        return step.line if step else None

    def to_json(self) -> dict:
        out: dict = {"status": self.status, "dockerfile": self.dockerfile}
        if self.result is not None:
            out.update(_result_json(self.result, self.status))
        if self.skip_reason:
            out["skip_reason"] = self.skip_reason
        if self.info is not None:
            out.update(_info_json(self.info))
        if self.smoke is not None:
            out["smoke"] = self.smoke.to_json()
        if self.files is not None:
            out["files"] = len(self.files.entries)
        if self.files_error:
            out["files_error"] = self.files_error
        return out


def _result_json(r: BuildResult, status: str) -> dict:
    out: dict = {"duration_s": round(r.duration_s, 1), "image_id": r.image_id}
    if r.failed_step is not None:
        s = r.failed_step
        out["failed_step"] = {"instruction": s.instruction, "line": s.line, "stage": s.stage, "step": s.step}
    if status == "failed":
        out["error"] = r.error
    return out


def _info_json(i: ImageInfo) -> dict:
    return {"size": i.size, "layers": len(i.layers),
            "config": {"Cmd": list(i.cmd), "Entrypoint": list(i.entrypoint), "Env": list(i.env),
                       "WorkingDir": i.working_dir, "User": i.user, "ExposedPorts": list(i.exposed_ports),
                       "Healthcheck": dict(i.healthcheck) if i.healthcheck else None, "Labels": dict(i.labels),
                       "StopSignal": i.stop_signal, "Volumes": list(i.volumes), "OnBuild": list(i.on_build),
                       "Shell": list(i.shell_argv)}}


@dataclass(frozen=True)
class WarmBuild:
    """The tree built again after an application-code edit (the layer cache of the cold build)."""

    edited: str  # repo-relative path of the file edited
    duration_s: float  # the engine's build time, all images
    failed: tuple[str, ...] = ()  # images that did not build warm


@dataclass
class TreeBuild:
    label: str
    root: Path
    engine: str
    images: dict[str, ImageBuild] = field(default_factory=dict)  # in build order
    duration_s: float = 0.0  # wall clock: builds, inspection, smoke checks, file systems
    warm: WarmBuild | None = None
    warm_note: str = ""  # why warm is None

    @property
    def build_s(self) -> float:
        """The engine's build time of every image, from an empty layer cache."""
        return sum(b.result.duration_s for b in self.images.values() if b.result is not None)


@dataclass(frozen=True)
class BuildFinding:
    image: str
    check: str  # "build", "Cmd", "Env PATH", "cmd-executable", "files", ...
    severity: str  # one of SEVERITIES
    before: str = ""
    after: str = ""
    path: str | None = None
    line: int | None = None
    message: str = ""

    def where(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}"
        return self.path or ""

    def to_json(self) -> dict:
        return {"image": self.image, "check": self.check, "severity": self.severity, "before": self.before,
                "after": self.after, "path": self.path, "line": self.line, "message": self.message}


@dataclass
class ImagePair:
    key: str
    before: ImageBuild | None
    after: ImageBuild | None
    findings: list[BuildFinding] = field(default_factory=list)
    files: FsComparison | None = None  # the whole-file-system comparison, when both were read

    @property
    def broken(self) -> bool:
        return any(f.severity in FAILING for f in self.findings)

    @property
    def built_on_both(self) -> bool:
        return bool(self.before and self.before.ok and self.after and self.after.ok)
