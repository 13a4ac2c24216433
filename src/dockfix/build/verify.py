"""`dockfix verify BEFORE AFTER --build`: build every image of both trees and compare them.

Pure library code: `verify_build(before, after, config, engine)` returns a `BuildVerdict`;
the CLI only prints it. The steps, each usable apart (the end-to-end test builds a tree once
and compares it with several others):

1. `static_expectations` (`expect.py`): what the static verdict predicts of each image.
2. `build_tree` (`trees.py`), once per tree, each in its own session so both are built from
   an empty layer cache: every image, bases first, inspected, smoke-checked and its whole file
   system read; then `warm_build`: the tree again after an application-code edit.
3. `compare_builds(before, after, expected)`: image pairs by key, judged by
   `pairs.compare_pair` (status, config, smoke checks, the whole file system), and sizes.

What counts, mirroring the static prover (`dockfix.prover.compare`) and no looser:

* broken: an image that builds before and fails after (with the failing step and the
  engine's message); an image gone from AFTER; any config difference (Cmd, Entrypoint,
  WorkingDir, ExposedPorts, Healthcheck, StopSignal, Volumes, OnBuild, Shell, Env, Labels
  but the engine's own) except the two rules below; a different Python version; a CMD
  executable or ``python -m`` module that resolved as the image user before and does not
  after; a file-system difference no rule of `expect.py` explains.
* prover-bug: any of those in an image the static verdict proved, and an allowed difference
  the static verdict did not predict.
* info: USER and a PATH that follows a relocated ``.local/bin`` (the prover's rules), the
  file-system differences a rule explains, new images.
* pre-existing / fixed: an image (or its CMD check) failing before and after / only before.
* skipped: not built on one side, so nothing to compare; never a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dockfix.build.engines import Engine, detect_engine
from dockfix.build.expect import NO_STATIC, Expected, static_expectations
from dockfix.build.images import distinct_layer_bytes
from dockfix.build.pairs import ENGINE_LABELS, compare_pair
from dockfix.build.results import FAILING, SEVERITIES, BuildFinding, ImageBuild, ImagePair, Smoke, TreeBuild
from dockfix.build.session import BuildSession
from dockfix.build.trees import Progress, build_tree, private_name, smoke_checks, warm_build
from dockfix.config import Config

__all__ = ["ENGINE_LABELS", "SEVERITIES", "BuildFinding", "BuildVerdict", "ImageBuild", "ImagePair", "Smoke",
           "TreeBuild", "build_tree", "compare_builds", "private_name", "smoke_checks", "verify_build"]

FS_HEADER = "file systems (path, type, mode, owner, size, sha256; volatile paths left out)"


@dataclass
class BuildVerdict:
    engine: str
    pairs: list[ImagePair]
    before_label: str = "before"
    after_label: str = "after"
    duration_s: float = 0.0
    cleanup_errors: list[str] = field(default_factory=list)
    trees: tuple[TreeBuild, ...] = ()  # (before, after), for their build times

    @property
    def findings(self) -> list[BuildFinding]:
        return [f for p in self.pairs for f in p.findings]

    @property
    def holds(self) -> bool:
        return not any(p.broken for p in self.pairs)

    def images_with(self, severity: str) -> set[str]:
        """Images with at least one finding of `severity`."""
        return {f.image for f in self.findings if f.severity == severity}

    def pair(self, key: str) -> ImagePair:
        for p in self.pairs:
            if p.key == key:
                return p
        raise KeyError(key)

    def side(self, p: ImagePair, side: str) -> ImageBuild | None:
        return p.before if side == "before" else p.after

    def distinct_bytes(self, side: str, *, both_sides_only: bool = False) -> int | None:
        """Distinct layer bytes of every image built on `side` ("before"/"after"), shared layers
        counted once; None when the engine does not report per-layer sizes."""
        infos = [b.info for p in self.pairs if not both_sides_only or p.built_on_both
                 if (b := self.side(p, side)) is not None and b.info is not None]
        try:
            return distinct_layer_bytes(infos)
        except ValueError:
            return None

    def built(self, side: str) -> int:
        return sum(1 for p in self.pairs if (b := self.side(p, side)) and b.ok)

    def summary(self) -> str:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}
        head = "real builds hold" if self.holds else "REAL BUILDS BROKEN"
        if counts["prover-bug"]:
            head += " (PROVER BUG: the builds differ where the static verdict proved the image)"
        compared = sum(1 for p in self.pairs if p.built_on_both)
        rest = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return (f"{head} ({self.engine}; {len(self.pairs)} image{'s' if len(self.pairs) != 1 else ''}, "
                f"{compared} built on both sides{'; ' + rest if rest else ''})")

    def report(self) -> str:
        from dockfix.prover.compare import finding_lines

        lines = [f"build: {self.summary()}", *self._image_lines(), *self._size_lines(), *self._time_lines(),
                 *self._file_lines()]
        lines += finding_lines(self.findings, SEVERITIES, lambda f: f.check)
        lines += [f"  cleanup: {error}" for error in self.cleanup_errors]
        return "\n".join(lines)

    def _image_lines(self) -> list[str]:
        width = max([len(p.key) for p in self.pairs] + [5])
        lines = [f"  {'image':<{width}}  {self.before_label} → {self.after_label}"]
        return lines + [f"  {p.key:<{width}}  {_cell(p.before)} → {_cell(p.after)}{_delta(p)}" for p in self.pairs]

    def _size_lines(self) -> list[str]:
        b, a = self.distinct_bytes("before"), self.distinct_bytes("after")
        label = "distinct layer bytes, shared layers counted once"
        if b is None or a is None:
            return [f"  {label}: not measured ({self.engine} reports no per-layer sizes)"]
        lines = [f"  {label}: {_mb(b)} → {_mb(a)}{_percent(b, a)} "
                 f"({self.built('before')} → {self.built('after')} images)"]
        b, a = self.distinct_bytes("before", both_sides_only=True), self.distinct_bytes("after", both_sides_only=True)
        n = sum(1 for p in self.pairs if p.built_on_both)
        if b is not None and a is not None:
            lines.append(f"    of the images built on both sides: {_mb(b)} → {_mb(a)}{_percent(b, a)} "
                         f"({n} image{'s' if n != 1 else ''})")
        return lines

    def _time_lines(self) -> list[str]:
        if len(self.trees) != 2:
            return []
        b, a = self.trees
        lines = [f"  build time of the set (the engine's, every image, empty layer cache): "
                 f"cold {_seconds(b.build_s)} → {_seconds(a.build_s)}"]
        if b.warm is not None and a.warm is not None:
            lines.append(f"    warm, after an edit of {a.warm.edited} (an application file the images COPY): "
                         f"{_seconds(b.warm.duration_s)} → {_seconds(a.warm.duration_s)}")
        else:
            lines.append(f"    warm: not measured ({b.warm_note or a.warm_note})")
        return lines

    def _file_lines(self) -> list[str]:
        rows = [(p.key, p.files.summary()) for p in self.pairs if p.files is not None]
        if not rows:
            return []
        width = max(len(k) for k, _ in rows)
        return [f"  {FS_HEADER}:"] + [f"    {k:<{width}}  {text}" for k, text in rows]

    def to_json(self) -> dict:
        def side(build: ImageBuild | None) -> dict | None:
            return None if build is None else build.to_json()

        return {
            "holds": self.holds, "engine": self.engine, "summary": self.summary(),
            "duration_s": round(self.duration_s, 1),
            "images": [{"image": p.key, self.before_label: side(p.before), self.after_label: side(p.after),
                        "findings": [f.to_json() for f in p.findings],
                        "files": p.files.to_json() if p.files is not None else None} for p in self.pairs],
            "distinct_layer_bytes": {
                "all": {"before": self.distinct_bytes("before"), "after": self.distinct_bytes("after")},
                "built_on_both_sides": {"before": self.distinct_bytes("before", both_sides_only=True),
                                        "after": self.distinct_bytes("after", both_sides_only=True)},
            },
            "build_time_s": {label: _times_json(t) for label, t in zip(("before", "after"), self.trees)},
            "findings": [f.to_json() for f in self.findings],
            "cleanup_errors": self.cleanup_errors,
        }


def _times_json(tree: TreeBuild) -> dict:
    warm = tree.warm
    return {"cold": round(tree.build_s, 1), "warm": round(warm.duration_s, 1) if warm else None,
            "edited": warm.edited if warm else None, "warm_note": tree.warm_note or None}


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{int(s // 60)} min {s % 60:.0f} s"


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _percent(b: int, a: int) -> str:
    if b == 0:
        return ""
    return f" ({(a - b) / b * 100:+.1f}%)"


def _cell(build: ImageBuild | None) -> str:
    if build is None:
        return "(absent)"
    if build.status == "skipped":
        return "skipped"
    if build.status == "failed":
        line = build.line()
        return f"failed at {build.dockerfile}:{line}" if line else "failed"
    info = build.info
    size = _mb(info.size) if info and info.size is not None else "size n/a"
    n = len(info.layers) if info else 0
    return f"{size}, {n} layer{'s' if n != 1 else ''}"


def _delta(p: ImagePair) -> str:
    b = p.before.info if p.before and p.before.info else None
    a = p.after.info if p.after and p.after.info else None
    if b is None or a is None or b.size is None or a.size is None:
        return ""
    return f"  ({_signed_bytes(a.size - b.size)}, {len(a.layers) - len(b.layers):+d} layers)"


def _signed_bytes(n: int) -> str:
    """A size difference in the unit that shows it: +1.2 MB, -340.5 kB, +12 B."""
    if abs(n) >= 1e6:
        return f"{n / 1e6:+,.1f} MB"
    if abs(n) >= 1e3:
        return f"{n / 1e3:+,.1f} kB"
    return f"{n:+d} B"


# -- comparing two trees ------------------------------------------------------------------
def compare_builds(before: TreeBuild, after: TreeBuild, expected: dict[str, Expected] | None = None) -> BuildVerdict:
    """Judge every image pair; `expected` is the static verdict's prediction per image (None:
    the rules alone decide, and nothing can be a prover bug)."""
    keys = list(before.images) + [k for k in after.images if k not in before.images]
    verdict = BuildVerdict(engine=before.engine, pairs=[], before_label=before.label, after_label=after.label,
                           duration_s=before.duration_s + after.duration_s, trees=(before, after))
    for key in keys:
        pair = ImagePair(key, before.images.get(key), after.images.get(key))
        compare_pair(pair, (expected or {}).get(key, NO_STATIC))
        verdict.pairs.append(pair)
    return verdict


# -- the whole thing ----------------------------------------------------------------------
def verify_build(before_root: str | Path, after_root: str | Path, config: Config, engine: str | Engine | None = None,
                 *, before_config: Config | None = None, progress: Progress | None = None,
                 timeout: float | None = None, warm: bool = True) -> BuildVerdict:
    """Predict each image from the static verdict, build each tree in a session of its own
    (cold: an empty layer cache; then warm after an application-code edit, unless `warm` is
    False), compare. `config` is AFTER's, `before_config` BEFORE's (default: `config`).
    `engine`: "docker", "buildah", "podman", an `Engine`, or None to detect one.
    Raises EngineUnavailable when there is none."""
    chosen = engine if isinstance(engine, Engine) else detect_engine(engine)
    own = before_config or config
    expected = static_expectations(before_root, after_root, config, own)
    errors: list[str] = []
    before = _build_side(chosen, before_root, own, "before", errors, progress, timeout, warm)
    after = _build_side(chosen, after_root, config, "after", errors, progress, timeout, warm)
    verdict = compare_builds(before, after, expected)
    verdict.cleanup_errors = errors
    return verdict


def _build_side(engine: Engine, root: str | Path, config: Config, label: str, errors: list[str],
                progress: Progress | None, timeout: float | None, warm: bool) -> TreeBuild:
    with BuildSession(engine) as session:
        tree = build_tree(session, root, config, label, progress=progress, timeout=timeout)
        if warm:
            found = warm_build(session, root, config, label, progress=progress, timeout=timeout)
            tree.warm, tree.warm_note = (None, found) if isinstance(found, str) else (found, "")
        else:
            tree.warm_note = "not asked for"
        errors += session.cleanup().errors
    return tree
