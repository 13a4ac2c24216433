"""A requirement file a RUN reads through `--mount` (model.mounts): a bind mount of the build
context shows a context file, read as such; a secret or cache mount shows what the model cannot
read. Neither is a missing file, and a bind-mounted file's content is compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import Outcome, find_defects, prove
from dockfix.tree import Tree

RUNS = [
    "RUN --mount=type=bind,source=requirements.txt,target=/tmp/r.txt pip install -r /tmp/r.txt",
    "WORKDIR /src\nRUN --mount=type=bind,target=. pip install -r requirements.txt",
    "RUN --mount=type=secret,id=req pip install -r /run/secrets/req",
    "RUN --mount=type=bind,from=builder,source=/w,target=/w pip install -r /w/r.txt",
]


def _tree(root: Path, run: str, requirements: str = "six==1.16.0\n") -> Tree:
    root.mkdir(parents=True)
    (root / "requirements.txt").write_text(requirements)
    (root / "Dockerfile").write_text(f"FROM python:3.11-slim AS builder\nFROM python:3.11-slim\n{run}\n")
    return Tree(root)


@pytest.mark.parametrize("run", RUNS)
def test_a_mounted_requirement_file_is_not_missing(run: str, tmp_path: Path) -> None:
    assert find_defects(_tree(tmp_path / "t", run), Config()) == []


def test_a_cache_mount_elsewhere_does_not_hide_a_missing_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", "RUN --mount=type=cache,target=/root/.cache pip install -r /nope.txt")
    assert [d.invariant for d in find_defects(tree, Config())] == ["missing-requirement-file"]


@pytest.mark.parametrize("run", RUNS[:2])
def test_a_bind_mounted_requirement_file_is_compared_by_content(run: str, tmp_path: Path) -> None:
    verdict = prove(_tree(tmp_path / "b", run), _tree(tmp_path / "a", run, "attrs==23.1.0\n"), Config())
    assert verdict.outcome is Outcome.BROKEN and "requirements" in {f.invariant for f in verdict.findings}
