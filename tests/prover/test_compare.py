"""src/dockfix/prover/compare.py: two views of one disk are compared by what either wrote."""

from __future__ import annotations

from pathlib import Path

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
