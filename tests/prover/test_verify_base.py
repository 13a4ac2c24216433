"""`dockfix verify --base REV` (the hook): application code is an input of both builds; the
build definition is judged (issue 14, item 4)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from tests.prover.test_mutants import BASE, tree_of


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    tree_of(BASE, tmp_path, "repo")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    return root


def _verify(root: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["verify", "--base", "HEAD", str(root), "--format", "json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}


@pytest.mark.parametrize("path,old,new", [
    ("app/settings.py", "3600", "60"),  # a constant: application code
    ("app/wsgi.py", "return []", "return [b'ok']"),
    ("app/new_module.py", None, "X = 1\n"),
    ("docs/readme.md", "x", "y"),
])
def test_a_commit_that_edits_only_application_code_passes(tmp_path: Path, path: str, old: str | None,
                                                          new: str) -> None:
    root = _repo(tmp_path)
    target = root / path
    target.write_text(new if old is None else target.read_text().replace(old, new))
    code, data = _verify(root)
    assert code == 0, data
    assert data["holds"] is True


@pytest.mark.parametrize("path,old,new", [
    ("docker/web/Dockerfile", "EXPOSE 8000", "EXPOSE 9000"),
    ("docker/Dockerfile.base", "WORKDIR /app", "WORKDIR /srv"),
    (".dockerignore", "docs/\n", "docs/\napp/wsgi.py\n"),
    ("requirements/common.txt", "six==1.16.0", "six==1.15.0"),
    ("compose.yaml", "dockerfile: docker/web/Dockerfile", "dockerfile: docker/Dockerfile.base"),
])
def test_an_edit_of_the_build_definition_is_judged(tmp_path: Path, path: str, old: str, new: str) -> None:
    root = _repo(tmp_path)
    target = root / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    code, data = _verify(root)
    assert code == 1, data
    assert data["holds"] is False


def test_a_build_script_that_names_an_image_is_judged(tmp_path: Path) -> None:
    """A script the graph reads an image mapping from is part of the build definition."""
    root = _repo(tmp_path)
    (root / "compose.yaml").unlink()
    (root / "build.sh").write_text("docker build -t shop-base -f docker/Dockerfile.base .\n"
                                   "docker build -t shop-web --build-arg BASE=shop-base -f docker/web/Dockerfile .\n")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "script"], check=True)
    assert _verify(root)[0] == 0
    (root / "build.sh").write_text("docker build -t shop-base -f docker/Dockerfile.base .\n"
                                   "docker build -t shop-web --build-arg BASE=python:3.11-slim -f docker/web/Dockerfile .\n")
    code, data = _verify(root)
    assert code == 1, data
