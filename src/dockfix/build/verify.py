"""`dockfix verify BEFORE AFTER --build`: build every image of both trees and compare them.

Pure library code: `verify_build(before, after, config, engine)` returns a `BuildVerdict`;
the CLI only prints it. The steps, each a function of its own so a caller (the end-to-end
test) can build a tree once and compare it with several others:

1. `build_tree(session, root, config, label)`: every image of the repository graph, bases
   first (`Graph.build_order`), then the Dockerfiles no build script names (keyed
   ``<path>`` as the static prover keys them). Each image is tagged
   ``localhost/dockfix-<run>/<label>.<name>`` so two trees never share a name. A derived
   image reaches its in-repo base by build arg when its FROM is a single ``${VAR}``, else by
   a session alias of the literal name (dropped again when the tree is done). An image is
   *skipped*, with the reason, when an external base is not in local storage or its in-repo
   base did not build. Each built image is inspected and smoke-checked as its own user.
2. `compare_builds(before, after)`: image pairs by key, findings per pair (below), sizes.

What counts, mirroring the static prover (`dockfix.prover.compare`) and no looser:

* broken: an image that builds before and fails after (with the failing step and the
  engine's message); an image gone from AFTER; a difference in Cmd, Entrypoint, WorkingDir,
  ExposedPorts, Healthcheck, Labels (minus the engine's own, ``io.buildah.version``) or Env
  (except PATH entries that follow a relocated ``.local/bin`` user site, exactly the
  prover's rule); a different Python version; a CMD executable or ``python -m`` module that
  resolved as the image user before and does not after; a different file set under WORKDIR.
* info: USER (the non-root option changes it; what it may break is what the smoke checks
  run as that user), file ownership under WORKDIR (``COPY --chown``), new images.
* pre-existing / fixed: an image (or its CMD check) failing before and after / only before.
* skipped: not built on one side, so nothing to compare; never a failure.

The WORKDIR file set compares each path's type, permission bits and (regular files) size;
ownership is reported apart because the non-root option changes it on purpose. With WORKDIR
``/`` the listing would be the whole system (package databases, logs), so it is not compared.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockfix.build.engines import Engine, detect_engine
from dockfix.build.images import ImageInfo, distinct_layer_bytes
from dockfix.build.session import BuildSession, TagConflict
from dockfix.build.smoke import (
    FileEntry,
    SmokeCheck,
    cmd_executable_resolves,
    command_executable,
    command_module,
    module_importable,
    python_version,
    workdir_files,
)
from dockfix.build.spec import BuildResult, BuildSpec
from dockfix.config import Config

# Labels an engine writes into every image it builds; not the repository's.
ENGINE_LABELS = frozenset({"io.buildah.version"})

SEVERITIES = ("broken", "pre-existing", "fixed", "skipped", "info")

# FROM that is one variable: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR.
_SINGLE_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))$")

Progress = Callable[[str], None]


# -- what one tree's build produced -------------------------------------------------------
@dataclass(frozen=True)
class Smoke:
    """Smoke checks of one image, run as its configured user."""

    python: SmokeCheck
    executable: SmokeCheck | None  # None: the image has neither ENTRYPOINT nor CMD
    module: SmokeCheck | None  # None: the image does not start with `python -m X`
    files: frozenset[FileEntry] | None  # None: not listed (WORKDIR is /, or the listing failed)
    files_note: str = ""  # why files is None

    def to_json(self) -> dict:
        def check(c: SmokeCheck | None) -> dict | None:
            return None if c is None else {"ok": c.ok, "detail": c.detail, "value": c.value}

        return {"python_version": check(self.python), "cmd_executable": check(self.executable),
                "module_importable": check(self.module),
                "workdir_files": None if self.files is None else len(self.files),
                "workdir_files_note": self.files_note or None}


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

    def to_json(self) -> dict:
        out: dict = {"status": self.status, "dockerfile": self.dockerfile}
        if self.result is not None:
            out["duration_s"] = round(self.result.duration_s, 1)
            out["image_id"] = self.result.image_id
            if self.result.failed_step is not None:
                s = self.result.failed_step
                out["failed_step"] = {"instruction": s.instruction, "line": s.line, "stage": s.stage,
                                      "step": s.step}
            if self.status == "failed":
                out["error"] = self.result.error
        if self.skip_reason:
            out["skip_reason"] = self.skip_reason
        if self.info is not None:
            i = self.info
            out["size"] = i.size
            out["layers"] = len(i.layers)
            out["config"] = {"Cmd": list(i.cmd), "Entrypoint": list(i.entrypoint), "Env": list(i.env),
                             "WorkingDir": i.working_dir, "User": i.user,
                             "ExposedPorts": list(i.exposed_ports),
                             "Healthcheck": dict(i.healthcheck) if i.healthcheck else None,
                             "Labels": dict(i.labels)}
        if self.smoke is not None:
            out["smoke"] = self.smoke.to_json()
        return out


@dataclass
class TreeBuild:
    label: str
    root: Path
    engine: str
    images: dict[str, ImageBuild] = field(default_factory=dict)  # in build order
    duration_s: float = 0.0


# -- findings and the verdict -------------------------------------------------------------
@dataclass(frozen=True)
class BuildFinding:
    image: str
    check: str  # "build", "Cmd", "Env PATH", "cmd-executable", "workdir files", ...
    severity: str  # broken | pre-existing | fixed | skipped | info
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

    @property
    def broken(self) -> bool:
        return any(f.severity == "broken" for f in self.findings)

    @property
    def built_on_both(self) -> bool:
        return bool(self.before and self.before.ok and self.after and self.after.ok)


@dataclass
class BuildVerdict:
    engine: str
    pairs: list[ImagePair]
    before_label: str = "before"
    after_label: str = "after"
    duration_s: float = 0.0
    cleanup_errors: list[str] = field(default_factory=list)

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

    def distinct_bytes(self, side: str, *, both_sides_only: bool = False) -> int | None:
        """Distinct layer bytes of every image built on `side` ("before"/"after"), shared layers
        counted once; None when the engine does not report per-layer sizes."""
        infos = []
        for p in self.pairs:
            if both_sides_only and not p.built_on_both:
                continue
            build = p.before if side == "before" else p.after
            if build is not None and build.info is not None:
                infos.append(build.info)
        try:
            return distinct_layer_bytes(infos)
        except ValueError:
            return None

    def built(self, side: str) -> int:
        return sum(1 for p in self.pairs if (b := (p.before if side == "before" else p.after)) and b.ok)

    def summary(self) -> str:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}
        head = "real builds hold" if self.holds else "REAL BUILDS BROKEN"
        compared = sum(1 for p in self.pairs if p.built_on_both)
        rest = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return (f"{head} ({self.engine}; {len(self.pairs)} image{'s' if len(self.pairs) != 1 else ''}, "
                f"{compared} built on both sides{'; ' + rest if rest else ''})")

    def report(self) -> str:
        lines = [f"build: {self.summary()}"]
        width = max([len(p.key) for p in self.pairs] + [5])
        lines.append(f"  {'image':<{width}}  {self.before_label} → {self.after_label}")
        for p in self.pairs:
            lines.append(f"  {p.key:<{width}}  {_cell(p.before)} → {_cell(p.after)}{_delta(p)}")
        for label, both in (("distinct layer bytes, shared layers counted once", False),
                            ("  of the images built on both sides", True)):
            b, a = self.distinct_bytes("before", both_sides_only=both), self.distinct_bytes("after", both_sides_only=both)
            if b is None or a is None:
                if not both:
                    lines.append(f"  {label}: not measured ({self.engine} reports no per-layer sizes)")
                break
            if both:
                n = sum(1 for p in self.pairs if p.built_on_both)
                count = f"{n} image{'s' if n != 1 else ''}"
            else:
                count = f"{self.built('before')} → {self.built('after')} images"
            lines.append(f"  {label}: {_mb(b)} → {_mb(a)}{_percent(b, a)} ({count})")
        from dockfix.prover.compare import finding_lines

        lines += finding_lines(self.findings, SEVERITIES, lambda f: f.check)
        for error in self.cleanup_errors:
            lines.append(f"  cleanup: {error}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        def side(build: ImageBuild | None) -> dict | None:
            return None if build is None else build.to_json()

        return {
            "holds": self.holds, "engine": self.engine, "summary": self.summary(),
            "duration_s": round(self.duration_s, 1),
            "images": [{"image": p.key, self.before_label: side(p.before), self.after_label: side(p.after),
                        "findings": [f.to_json() for f in p.findings]} for p in self.pairs],
            "distinct_layer_bytes": {
                "all": {"before": self.distinct_bytes("before"), "after": self.distinct_bytes("after")},
                "built_on_both_sides": {"before": self.distinct_bytes("before", both_sides_only=True),
                                        "after": self.distinct_bytes("after", both_sides_only=True)},
            },
            "findings": [f.to_json() for f in self.findings],
            "cleanup_errors": self.cleanup_errors,
        }


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
        step = build.result.failed_step if build.result else None
        return f"failed at {build.dockerfile}:{step.line}" if step and step.line else "failed"
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


# -- building a tree ----------------------------------------------------------------------
def private_name(label: str, key: str) -> str:
    """The name `key` gets inside the session namespace for tree `label`, as one path
    component: ``before.academy-base:latest``, ``before.unnamed.docker-dockerfile:latest``.

    One component, because buildah resolves a short name such as ``academy-base:latest`` to
    any local image whose name ends in ``/academy-base:latest``: with ``…/before/academy-base``
    a literal ``FROM academy-base:latest`` could pick either tree's base, and the alias that
    should make it pick the right one would be refused as taken."""
    def component(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"

    if key.startswith("<") and key.endswith(">"):
        repository, tag = "unnamed/" + component(key[1:-1]), "latest"  # the path, flattened
    else:
        repository, tag = key.split("@", 1)[0], "latest"
        if repository.rfind(":") > repository.rfind("/"):
            repository, tag = repository.rsplit(":", 1)
        tag = re.sub(r"[^A-Za-z0-9_.-]+", "-", tag).lstrip(".-")[:128] or "latest"
    parts = [component(label)] + [component(c) for c in repository.split("/")]
    return ".".join(parts) + ":" + tag


@dataclass(frozen=True)
class _Target:
    key: str
    dockerfile: str
    context: str
    target: str | None
    args: dict[str, str]
    stage: int | None  # the stage the image is, None when the Dockerfile does not parse


def _targets(graph) -> list[_Target]:
    out = []
    for ref in graph.build_order():
        m = graph.images[ref]
        out.append(_Target(ref, m.dockerfile, m.context, m.target, dict(m.args), graph.image_stage(m)))
    mapped = {m.dockerfile for m in graph.images.values()}
    for path, node in sorted(graph.dockerfiles.items()):
        if path in mapped or node.document is None or not node.document.stages:
            continue
        out.append(_Target(f"<{path}>", path, node.context, None, {}, node.document.stages[-1].index))
    return out


def build_tree(session: BuildSession, root: str | Path, config: Config, label: str, *,
               progress: Progress | None = None, timeout: float | None = None) -> TreeBuild:
    """Build every image of the repository at `root`, bases first, and look inside each."""
    from dockfix.graph import build_graph
    from dockfix.tree import Tree

    root = Path(root)
    started = time.monotonic()
    graph = build_graph(Tree(root, exclude=config.exclude), config)
    tree = TreeBuild(label=label, root=root, engine=session.engine.name)
    names: dict[str, str] = {}  # key -> private reference
    present: dict[str, bool] = {}  # external reference -> in local storage
    aliases: list[str] = []
    taken: set[str] = set()  # private names used in this tree
    say = progress or (lambda _msg: None)
    try:
        for t in _targets(graph):
            build_args = dict(t.args)
            skip = None
            literal_bases: list[tuple[str, str]] = []  # (name FROM uses, private image)
            node = graph.dockerfiles[t.dockerfile]
            stages = node.document.stages if node.document is not None else []
            for st in stages:
                if t.stage is not None and st.index > t.stage:
                    break
                base = graph.base_of(t.dockerfile, st.index)
                if base is None or base.kind == "stage":
                    continue
                if base.kind == "external":
                    if base.ref and base.ref != "scratch":
                        if base.ref not in present:
                            present[base.ref] = session.engine.image_exists(base.ref)
                        if not present[base.ref]:
                            skip = f"base {base.ref} not available locally"
                            break
                    continue
                built = tree.images.get(base.ref)
                if built is None or not built.ok:
                    why = "was not built" if built is None else (
                        f"was skipped ({built.skip_reason})" if built.status == "skipped" else "failed to build")
                    skip = f"in-repo base {base.ref} {why}"
                    break
                var = _SINGLE_VAR.match(base.raw.strip())
                if var:
                    build_args[var.group(1) or var.group(2)] = names[base.ref]
                else:  # the name the engine resolves FROM to: as written, or expanded when compound
                    literal_bases.append((base.raw.strip() if "$" not in base.raw else base.ref, names[base.ref]))
            if skip is None:
                for literal, image in literal_bases:
                    if literal in aliases:
                        continue
                    try:
                        session.alias(literal, image)
                    except TagConflict as conflict:
                        skip = str(conflict)
                        break
                    aliases.append(literal)
            if skip is not None:
                say(f"{label}: {t.key}: skipped: {skip}")
                tree.images[t.key] = ImageBuild(t.key, t.dockerfile, "skipped", skip_reason=skip)
                continue
            say(f"{label}: building {t.key} ({t.dockerfile})")
            private = private_name(label, t.key)
            while private in taken:  # two keys that reduce to one name (`a.b` and `a-b`)
                repository, tag = private.rsplit(":", 1)
                private = f"{repository}-{len(taken)}:{tag}"
            taken.add(private)
            spec = BuildSpec(private, root / t.dockerfile, root / t.context if t.context else root,
                             target=t.target, build_args=build_args)
            result = session.build(spec, timeout=timeout)
            if result.status == "skipped":
                tree.images[t.key] = ImageBuild(t.key, t.dockerfile, "skipped", result, result.skip_reason)
            elif not result.ok:
                tree.images[t.key] = ImageBuild(t.key, t.dockerfile, "failed", result)
            else:
                names[t.key] = result.image
                info = session.inspect(result.image)
                tree.images[t.key] = ImageBuild(t.key, t.dockerfile, "ok", result, info=info,
                                                smoke=smoke_checks(session, result.image, info))
            done = tree.images[t.key]
            say(f"{label}: {t.key}: {done.status} ({result.duration_s:.0f} s)"
                + (f": {done.failure()}" if done.status == "failed" else "")
                + (f": {done.skip_reason}" if done.status == "skipped" else ""))
    finally:
        for name in aliases:
            session.unalias(name)
    tree.duration_s = time.monotonic() - started
    return tree


def smoke_checks(session: BuildSession, image: str, info: ImageInfo) -> Smoke:
    """The smoke checks of `dockfix.build.smoke`, run as the image's user."""
    executable = cmd_executable_resolves(session, image, info) if command_executable(info) else None
    module = None
    if (found := command_module(info)) is not None:
        interpreter, name = found
        module = module_importable(session, image, name, python=interpreter)
    files, note = None, ""
    if (info.working_dir or "/") == "/":
        note = "WORKDIR is /: the whole file system, not compared"
    else:
        try:
            files = workdir_files(session, image, info)
        except RuntimeError as error:
            note = str(error)
    return Smoke(python_version(session, image), executable, module, files, note)


# -- comparing two trees ------------------------------------------------------------------
def compare_builds(before: TreeBuild, after: TreeBuild) -> BuildVerdict:
    from dockfix.prover.compare import _path_without_sites  # the prover's PATH rule, not a copy

    keys = list(before.images) + [k for k in after.images if k not in before.images]
    verdict = BuildVerdict(engine=before.engine, pairs=[], before_label=before.label, after_label=after.label,
                           duration_s=before.duration_s + after.duration_s)
    for key in keys:
        pair = ImagePair(key, before.images.get(key), after.images.get(key))
        _compare_pair(pair, _path_without_sites)
        verdict.pairs.append(pair)
    return verdict


def _compare_pair(pair: ImagePair, path_without_sites: Callable[[str], str]) -> None:
    b, a, key = pair.before, pair.after, pair.key
    add = pair.findings.append

    def finding(check: str, severity: str, message: str, before: object = "", after: object = "",
                side: ImageBuild | None = None, line: int | None = None) -> None:
        side = side or a or b
        add(BuildFinding(key, check, severity, _text(before), _text(after), side.dockerfile if side else None,
                         line, _text(message)))

    if b is None:
        finding("image", "info", f"new image ({a.status}{': ' + a.failure() if a.status == 'failed' else ''})")
        return
    if a is None:
        finding("image", "broken", "the image is no longer built by the repository", b.status, "(gone)", b)
        return
    if b.status == a.status == "skipped" and b.skip_reason == a.skip_reason:
        finding("build", "skipped", f"not built on either side: {a.skip_reason}")
        return
    for side_name, side in (("BEFORE", b), ("AFTER", a)):
        if side.status == "skipped":
            finding("build", "skipped", f"{side_name} not built: {side.skip_reason}", side=side)
    if "skipped" in (b.status, a.status):
        return
    if b.ok and not a.ok:
        finding("build", "broken", f"builds before, fails after {a.failure()}", "builds", "fails", a,
                _line(a))
        return
    if not b.ok and not a.ok:
        finding("build", "pre-existing", f"fails before {b.failure()}; fails after {a.failure()}",
                "fails", "fails", a, _line(a))
        return
    if not b.ok:
        finding("build", "fixed", f"pre-existing defect fixed: BEFORE fails {b.failure()}; AFTER builds",
                "fails", "builds", b, _line(b))
        # Nothing to compare the new image with; it must at least start as its user.
        for check in (a.smoke.executable, a.smoke.module):
            if check is not None and not check.ok:
                finding(check.name, "broken", f"the fixed image does not start: {check.detail}",
                        "(no image)", check.detail)
        return

    bi, ai = b.info, a.info
    for name, bv, av in (("Cmd", bi.cmd, ai.cmd), ("Entrypoint", bi.entrypoint, ai.entrypoint),
                         ("WorkingDir", bi.working_dir, ai.working_dir),
                         ("ExposedPorts", bi.exposed_ports, ai.exposed_ports),
                         ("Healthcheck", bi.healthcheck, ai.healthcheck)):
        if bv != av:
            finding(name, "broken", f"{name} changed", bv, av)
    benv, aenv = bi.env_dict, ai.env_dict
    for k in sorted(set(benv) | set(aenv)):
        bv, av = benv.get(k), aenv.get(k)
        if bv == av:
            continue
        if k == "PATH" and bv is not None and av is not None and path_without_sites(bv) == path_without_sites(av):
            finding("Env PATH", "info", "PATH follows the relocated user site", bv, av)
        else:
            finding(f"Env {k}", "broken", f"Env {k} changed", bv, av)
    blabels = {k: v for k, v in bi.labels.items() if k not in ENGINE_LABELS}
    alabels = {k: v for k, v in ai.labels.items() if k not in ENGINE_LABELS}
    for k in sorted(set(blabels) | set(alabels)):
        if blabels.get(k) != alabels.get(k):
            finding(f"Label {k}", "broken", f"label {k} changed", blabels.get(k), alabels.get(k))
    if (bi.user or "root") != (ai.user or "root"):
        finding("User", "info", f"runs as {ai.user or 'root'} instead of {bi.user or 'root'}",
                bi.user or "root", ai.user or "root")

    bs, as_ = b.smoke, a.smoke
    if bs.python.value != as_.python.value:
        finding("python-version", "broken", "the Python version changed", bs.python.detail, as_.python.detail)
    for check, bc, ac in (("cmd-executable", bs.executable, as_.executable),
                          ("module-importable", bs.module, as_.module)):
        if bc is None and ac is None:
            continue
        if ac is None or bc is None:
            # Only when the command itself changed, which Cmd/Entrypoint above already call broken.
            continue
        if bc.ok and not ac.ok:
            finding(check, "broken", ac.detail, bc.detail, ac.detail)
        elif not bc.ok and not ac.ok:
            finding(check, "pre-existing", f"fails before and after: {ac.detail}", bc.detail, ac.detail)
        elif not bc.ok and ac.ok:
            finding(check, "fixed", f"pre-existing defect fixed: {bc.detail}", bc.detail, ac.detail)
    _compare_files(bs, as_, finding)


def _compare_files(bs: Smoke, as_: Smoke, finding) -> None:
    if bs.files is None or as_.files is None:
        note = bs.files_note or as_.files_note
        finding("workdir files", "info", f"not compared: {note}")
        return
    bf = {e.path: (e.kind, e.mode, e.size) for e in bs.files}
    af = {e.path: (e.kind, e.mode, e.size) for e in as_.files}
    if bf != af:
        gone = sorted(set(bf) - set(af))
        new = sorted(set(af) - set(bf))
        changed = sorted(p for p in set(bf) & set(af) if bf[p] != af[p])
        parts = []
        for label, paths in (("gone", gone), ("new", new), ("changed type, mode or size", changed)):
            if paths:
                parts.append(f"{len(paths)} {label} ({', '.join(paths[:3])}{'…' if len(paths) > 3 else ''})")
        finding("workdir files", "broken", "the files under WORKDIR changed: " + "; ".join(parts),
                f"{len(bf)} paths", f"{len(af)} paths")
        return
    bown = {e.path: (e.uid, e.gid) for e in bs.files}
    aown = {e.path: (e.uid, e.gid) for e in as_.files}
    moved = sorted(p for p in bown if bown[p] != aown[p])
    if moved:
        owners = sorted({f"{aown[p][0]}:{aown[p][1]}" for p in moved})
        finding("workdir ownership", "info",
                f"ownership changed on {len(moved)} of {len(bown)} paths (now {', '.join(owners)})")


def _line(build: ImageBuild) -> int | None:
    step = build.result.failed_step if build.result else None
    return step.line if step else None


def _text(value: object) -> str:
    """One line: a report row per finding side, whatever the engine or the command printed."""
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        return " ".join(value) if value else "(none)"
    return " ⏎ ".join(str(value).splitlines())


# -- the whole thing ----------------------------------------------------------------------
def verify_build(before_root: str | Path, after_root: str | Path, config: Config, engine: str | Engine | None = None,
                 *, progress: Progress | None = None, timeout: float | None = None) -> BuildVerdict:
    """Build both trees in one private session (layers cached between them), compare, clean up.
    `engine`: "docker", "buildah", "podman", an `Engine`, or None to detect one.
    Raises EngineUnavailable when there is none."""
    chosen = engine if isinstance(engine, Engine) else detect_engine(engine)
    with BuildSession(chosen) as session:
        before = build_tree(session, before_root, config, "before", progress=progress, timeout=timeout)
        after = build_tree(session, after_root, config, "after", progress=progress, timeout=timeout)
        verdict = compare_builds(before, after)
        report = session.cleanup()
    verdict.cleanup_errors = report.errors
    return verdict

