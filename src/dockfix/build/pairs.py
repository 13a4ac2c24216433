"""Judge one image built from BEFORE and from AFTER: status, config, smoke checks, file system.

A difference is allowed (info) when a rule allows it and the static verdict predicted it
(`expect.Expected`); with no static verdict given, the rules alone decide. A difference no
rule allows is broken, and a prover bug when the static verdict proved the image.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockfix.build.expect import NO_STATIC, Expected, compare_file_systems
from dockfix.build.filesystem import diff_snapshots
from dockfix.build.images import ImageInfo
from dockfix.build.results import BuildFinding, ImageBuild, ImagePair, Smoke

# Labels an engine writes into every image it builds; not the repository's.
ENGINE_LABELS = frozenset({"io.buildah.version"})


def severity(expected: Expected, check: str, allowed: bool) -> str:
    """The severity of a real difference in `check`, allowed by a rule of ours or not."""
    predicted = expected.outcome is None or expected.predicts(check)
    if allowed and predicted:
        return "info"
    if expected.proved:
        return "prover-bug"  # the static verdict proved the image, and the builds differ here
    return "info" if allowed else "broken"


@dataclass
class _Judge:
    pair: ImagePair
    expected: Expected

    def add(self, check: str, severity: str, message: str, before: object = "", after: object = "",
            side: ImageBuild | None = None, line: int | None = None) -> None:
        side = side or self.pair.after or self.pair.before
        self.pair.findings.append(BuildFinding(self.pair.key, check, severity, _text(before), _text(after),
                                               side.dockerfile if side else None, line, _text(message)))

    def difference(self, check: str, allowed: bool, message: str, before: object, after: object) -> None:
        found = severity(self.expected, check, allowed)
        if found == "prover-bug":
            message = f"{message} (the static verdict proved this image: a prover bug)"
        self.add(check, found, message, before, after)


def compare_pair(pair: ImagePair, expected: Expected = NO_STATIC) -> None:
    """Judge `pair`, appending its findings (and its file-system comparison)."""
    judge = _Judge(pair, expected)
    if not _both_built(judge):
        return
    b, a = pair.before, pair.after
    assert b is not None and a is not None and b.info and a.info and b.smoke and a.smoke
    _compare_config(judge, b.info, a.info)
    _compare_smoke(judge, b.smoke, a.smoke)
    _compare_files(judge, b, a)


def _both_built(judge: _Judge) -> bool:
    """Report images absent, skipped or failing on a side; True when both built."""
    b, a = judge.pair.before, judge.pair.after
    if b is None or a is None:
        _one_side(judge, b, a)
        return False
    if "skipped" in (b.status, a.status):
        _skipped(judge, b, a)
        return False
    if b.ok and a.ok:
        return True
    _failed(judge, b, a)
    return False


def _one_side(judge: _Judge, b: ImageBuild | None, a: ImageBuild | None) -> None:
    if b is None and a is not None:
        judge.add("image", "info", f"new image ({a.status}{': ' + a.failure() if a.status == 'failed' else ''})")
    elif b is not None:
        judge.add("image", "broken", "the image is no longer built by the repository", b.status, "(gone)", b)


def _skipped(judge: _Judge, b: ImageBuild, a: ImageBuild) -> None:
    if b.status == a.status == "skipped" and b.skip_reason == a.skip_reason:
        judge.add("build", "skipped", f"not built on either side: {a.skip_reason}")
        return
    for side_name, side in (("BEFORE", b), ("AFTER", a)):
        if side.status == "skipped":
            judge.add("build", "skipped", f"{side_name} not built: {side.skip_reason}", side=side)


def _failed(judge: _Judge, b: ImageBuild, a: ImageBuild) -> None:
    if b.ok:
        judge.add("build", "broken", f"builds before, fails after {a.failure()}", "builds", "fails", a, a.line())
    elif not a.ok:
        judge.add("build", "pre-existing", f"fails before {b.failure()}; fails after {a.failure()}",
                  "fails", "fails", a, a.line())
    else:
        judge.add("build", "fixed", f"pre-existing defect fixed: BEFORE fails {b.failure()}; AFTER builds",
                  "fails", "builds", b, b.line())
        # Nothing to compare the new image with; it must at least start as its user.
        assert a.smoke is not None
        for check in (a.smoke.executable, a.smoke.module):
            if check is not None and not check.ok:
                judge.add(check.name, "broken", f"the fixed image does not start: {check.detail}",
                          "(no image)", check.detail)


# -- config ------------------------------------------------------------------------------
def _config_fields(i: ImageInfo) -> dict[str, object]:
    fields: dict[str, object] = {"Cmd": i.cmd, "Entrypoint": i.entrypoint, "WorkingDir": i.working_dir,
                                 "ExposedPorts": i.exposed_ports, "Healthcheck": i.healthcheck,
                                 "StopSignal": i.stop_signal, "Volumes": i.volumes, "OnBuild": i.on_build,
                                 "Shell": i.shell_argv, "User": i.user or "root"}
    fields.update({f"Env {k}": v for k, v in i.env_dict.items()})
    fields.update({f"Label {k}": v for k, v in i.labels.items() if k not in ENGINE_LABELS})
    return fields


def _compare_config(judge: _Judge, bi: ImageInfo, ai: ImageInfo) -> None:
    from dockfix.prover.steps import path_without_user_sites  # the prover's PATH rule, not a copy

    bf, af = _config_fields(bi), _config_fields(ai)
    for check in sorted(set(bf) | set(af), key=lambda c: (c.startswith(("Env ", "Label ")), c)):
        bv, av = bf.get(check), af.get(check)
        if bv == av:
            continue
        if check == "User":
            judge.difference(check, True, f"runs as {av} instead of {bv}", bv, av)
        elif check == "Env PATH" and bv is not None and av is not None \
                and path_without_user_sites(str(bv)) == path_without_user_sites(str(av)):
            judge.difference(check, True, "PATH follows the relocated user site", bv, av)
        else:
            judge.difference(check, False, f"{_label(check)} changed", bv, av)


def _label(check: str) -> str:
    return "label " + check[len("Label "):] if check.startswith("Label ") else check


# -- smoke checks ------------------------------------------------------------------------
def _smoke_pairs(bs: Smoke, as_: Smoke) -> Iterator[tuple[str, object, object]]:
    yield "cmd-executable", bs.executable, as_.executable
    yield "module-importable", bs.module, as_.module


def _compare_smoke(judge: _Judge, bs: Smoke, as_: Smoke) -> None:
    if bs.python.value != as_.python.value:
        judge.difference("python-version", False, "the Python version changed", bs.python.detail,
                         as_.python.detail)
    for check, bc, ac in _smoke_pairs(bs, as_):
        if bc is None or ac is None:
            continue  # only when the command itself changed, which Cmd/Entrypoint already report
        if bc.ok and not ac.ok:
            judge.difference(check, False, ac.detail, bc.detail, ac.detail)
        elif not bc.ok:
            judge.add(check, "fixed" if ac.ok else "pre-existing",
                      f"pre-existing defect fixed: {bc.detail}" if ac.ok else f"fails before and after: {ac.detail}",
                      bc.detail, ac.detail)


# -- the whole file system ---------------------------------------------------------------
def _compare_files(judge: _Judge, b: ImageBuild, a: ImageBuild) -> None:
    if b.files is None or a.files is None:
        judge.add("files", "info", f"not compared: {b.files_error or a.files_error}")
        return
    fs = compare_file_systems(b.files, a.files, diff_snapshots(b.files, a.files), judge.expected)
    judge.pair.files = fs
    for rule, paths in fs.explained.items():
        judge.add(f"files: {rule.value}", "info", f"{len(paths)} paths ({_first(paths)})")
    if fs.unexplained:
        shown = "; ".join(c.describe() for c in fs.unexplained[:3])
        more = f" and {len(fs.unexplained) - 3} more" if len(fs.unexplained) > 3 else ""
        judge.difference("files", False, f"{len(fs.unexplained)} paths differ that no rule explains: {shown}{more}",
                         f"{len(b.files.entries):,} paths", f"{len(a.files.entries):,} paths")


def _first(paths: tuple[str, ...]) -> str:
    return ", ".join(paths[:3]) + ("…" if len(paths) > 3 else "")


def _text(value: object) -> str:
    """One line: a report row per finding side, whatever the engine or the command printed."""
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        return " ".join(value) if value else "(none)"
    return " ⏎ ".join(str(value).splitlines())

