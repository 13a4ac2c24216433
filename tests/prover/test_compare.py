"""src/dockfix/prover/compare.py: two views of one disk are compared by what either wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import prove
from dockfix.tree import Tree

DOCKERFILE = ("FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
              "COPY app ./app\nCMD [\"python\", \"-m\", \"app.main\"]\n")


def _views(tmp: Path) -> tuple[Tree, Tree]:
    for rel, text in {"Dockerfile": DOCKERFILE, "requirements.txt": "six\n", "app/__init__.py": "",
                      "app/main.py": "TIMEOUT = 30\n", "app/other.py": "NAME = 'x'\n"}.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    before = Tree(tmp)
    return before, before.copy()


def test_a_constant_written_in_the_after_view_is_broken(tmp_path: Path) -> None:
    before, after = _views(tmp_path)
    after.write("app/main.py", b"TIMEOUT = 60\n")
    verdict = prove(before, after, Config())
    assert not verdict.holds
    assert [(f.invariant, f.before, f.after) for f in verdict.findings if f.severity == "broken"] == [
        ("Python constant", "TIMEOUT = 30", "TIMEOUT = 60")]


def test_a_file_written_back_unchanged_holds(tmp_path: Path) -> None:
    before, after = _views(tmp_path)
    after.write("app/other.py", b"NAME = 'x'\n")
    after.write("Dockerfile", DOCKERFILE.replace("WORKDIR /app\n", "WORKDIR /app\n\n").encode())
    assert prove(before, after, Config()).holds


@pytest.mark.parametrize("first", ["", "RUN pip install six\n", "RUN pip install -r requirements.txt\n"])
def test_a_fixed_requirement_file_installs_into_a_site_before_had_not(first: str, tmp_path: Path) -> None:
    """BEFORE cannot open its requirement file (.dockerignore excludes it), so its pip installs
    nothing; AFTER's does: the site AFTER fills, and a second spec of a project it names, are
    the fixed step's, not a site moved or pip commands reordered; so is the file a pip before
    its COPY fails to open on both sides (all found by the transform property test with
    prune-dockerignore)."""
    for side, ignore in (("b", "requirements.txt\n"), ("a", "")):
        root = tmp_path / side
        root.mkdir()
        (root / ".dockerignore").write_text(ignore)
        (root / "requirements.txt").write_text("six==1.16.0\n")
        (root / "Dockerfile").write_text(f"FROM python:3.11-slim\nWORKDIR /app\n{first}COPY requirements.txt ./\n"
                                         "RUN pip install -r requirements.txt\n")
    verdict = prove(Tree(tmp_path / "b"), Tree(tmp_path / "a"), Config())
    assert verdict.holds, verdict.report()


def test_a_requirement_file_both_sides_cannot_open_is_no_fix(tmp_path: Path) -> None:
    """The same tree on both sides: a pip that reads the file before its COPY fails in both,
    and the later pip that reads it after installs the same into the same site (the fixed-step
    allowance once took it as AFTER's fix, on one side only)."""
    for side in ("b", "a"):
        root = tmp_path / side
        root.mkdir()
        (root / "requirements.txt").write_text("six==1.16.0\n")
        (root / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /app\nRUN pip install -r requirements.txt\n"
                                         "COPY requirements.txt ./\nRUN pip install -r requirements.txt\n")
    verdict = prove(Tree(tmp_path / "b"), Tree(tmp_path / "a"), Config())
    assert verdict.holds, verdict.report()
