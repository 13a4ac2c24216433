"""prune-dockerignore beyond the case harness: the academy result, a wildcard source, and a
property over random .dockerignore files and COPYs. What a COPY source names and when it
reaches the context are model/copy's (tests/model/test_copy_sources.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix.config import load_config
from dockfix.engine import run, second_pass
from dockfix.graph.dockerignore import DockerIgnore
from dockfix.model.copy import in_context, named_files, required_path

ROOT = Path(__file__).resolve().parents[2]
ACADEMY = ROOT / "golden" / "academy" / "before"
NAME = "prune-dockerignore"


def test_academy_removes_scripts_only() -> None:
    outcome = run(ACADEMY, [NAME], load_config(ACADEMY))
    assert sorted(outcome.after.changed()) == [".dockerignore"]
    before = (ACADEMY / ".dockerignore").read_bytes()
    assert outcome.after.read(".dockerignore") == before.replace(b"scripts/\n", b"", 1)
    assert [str(n) for n in outcome.notes] == [
        ".dockerignore:20: info: removed `scripts/`: docker/ai-worker-cpu/Dockerfile:34 (scripts) needs what it "
        "excluded, and no build that works copies any of it [prune-dockerignore]"]


def _repo(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "repo"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def test_wildcard_source_in_an_excluded_directory_is_narrowed(tmp_path: Path) -> None:
    """`COPY scripts/*.py` with `scripts/` excluded fails (BuildKit: lstat scripts: no such
    file); the exception is the wildcard itself and scripts/README.md stays excluded."""
    root = _repo(tmp_path, {
        ".dockerignore": "docs/\nscripts/\n",
        "build.sh": "docker build -f docker/Dockerfile -t w .\n",
        "docker/Dockerfile": "FROM python:3.11-slim\nCOPY scripts/*.py /opt/\n",
        "scripts/a.py": "", "scripts/b.py": "", "scripts/README.md": "", "docs/x.md": ""})
    config = load_config(root)
    outcome = run(root, [NAME], config)
    assert outcome.after.read(".dockerignore") == b"docs/\nscripts/\n!scripts/*.py\n"
    assert second_pass(outcome, config) == {}
    after = DockerIgnore.parse(outcome.after.read(".dockerignore"))
    assert after.excludes("scripts/README.md") and not after.excludes("scripts/a.py")


# -- property: random .dockerignore files and COPYs
TREE = ["app/main.py", "app/util.py", "app/cache.pyc", "scripts/run.sh", "scripts/gate.py",
        "scripts/tools/x.sh", "bin/entrypoint.sh", "docs/guide.md", "tests/test_a.py", "manage.py"]
PATTERNS = ["scripts/", "/scripts", "./scripts", "scripts/*", "scripts/*.sh", "**/*.sh", "*.sh", "bin",
            "**/*.pyc", "*.pyc", "docs", "tests/", "app/cache.pyc", "!scripts/gate.py", "!bin/entrypoint.sh",
            "!app/cache.pyc", "script*", "**/tools", "manage.py", "# comment", ""]
SOURCES = ["app", "scripts", "scripts/run.sh", "scripts/*.py", "bin/entrypoint.sh", "manage.py", "docs",
           "scripts/tools", "*.py", "."]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=7),
       st.lists(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=3), min_size=1, max_size=3),
       st.booleans())
def test_only_what_failing_copies_name_comes_back(patterns: list[str], images: list[list[str]], crlf: bool) -> None:
    eol = "\r\n" if crlf else "\n"
    files = {p: "x\n" for p in TREE}
    files[".dockerignore"] = eol.join(patterns) + eol
    lines = []
    for k, srcs in enumerate(images):
        files[f"docker/d{k}/Dockerfile"] = "FROM python:3.11-slim\n" + "".join(
            f"COPY {s} /dst{k}/{i}/\n" for i, s in enumerate(srcs))
        lines.append(f"docker build -f docker/d{k}/Dockerfile -t img{k} .\n")
    files["build.sh"] = "".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp), files)
        config = load_config(root)
        outcome = run(root, [NAME], config)
        before = DockerIgnore.parse(outcome.before.read(".dockerignore"))
        after_bytes = outcome.after.read(".dockerignore")
        after = DockerIgnore.parse(after_bytes)
        all_files = outcome.before.under("")

        def state(ign: DockerIgnore, src: str) -> bool:
            return not named_files(all_files, src) or in_context(ign, all_files, required_path(src))

        failing = [srcs for srcs in images if not all(state(before, s) for s in srcs)]
        working = [srcs for srcs in images if srcs not in failing]
        came_back = {f for f in all_files if before.excludes(f) and not after.excludes(f)}
        gone = {f for f in all_files if not before.excludes(f) and after.excludes(f)}
        assert not gone
        named_failing = {f for srcs in failing for s in srcs for f in named_files(all_files, s)}
        named_working = {f for srcs in working for s in srcs for f in named_files(all_files, s)}
        assert came_back <= named_failing
        assert not came_back & named_working
        skipped = any(n.kind == "skip" for n in outcome.notes)
        if not skipped:
            for srcs in failing:
                for s in srcs:
                    assert state(after, s), (patterns, s, after_bytes)
        # Lines are only removed or added, each with the file's line ending.
        assert after_bytes.count(b"\n") == after_bytes.count(b"\r\n" if crlf else b"\n")
        assert second_pass(outcome, config) == {}
