"""src/dockfix/prover/model.py: where files land, read from the Dockerfile as BuildKit reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import build_models, find_defects
from dockfix.tree import Tree


def _tree(tmp: Path, dockerfile: str) -> Tree:
    for rel, text in {"Dockerfile": dockerfile, "requirements.txt": "six==1.16.0\n",
                      "app/main.py": "X = 1\n"}.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    return Tree(tmp)


@pytest.mark.parametrize("dest, lands", [
    (".", "/app/requirements.txt"),  # BuildKit's dispatchCopy: "." is the WORKDIR, a directory
    ("./", "/app/requirements.txt"),
    ("/srv/", "/srv/requirements.txt"),
    ("reqs.txt", "/app/reqs.txt"),  # no trailing slash: the file's new name
    ("/srv/reqs.txt", "/srv/reqs.txt"),
])
def test_a_single_file_lands_where_buildkit_puts_it(tmp_path: Path, dest: str, lands: str) -> None:
    tree = _tree(tmp_path, f"FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt {dest}\n")
    (model,) = build_models(tree, Config()).values()
    assert lands in model.state.files
    assert model.state.files[lands].origin == "context:requirements.txt"


def test_copy_to_the_workdir_then_pip_is_no_defect(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
                           "RUN pip install --no-cache-dir -r requirements.txt\nCOPY app ./app\n"
                           'CMD ["python", "-m", "app.main"]\n')
    assert find_defects(tree, Config()) == []


def test_a_directory_lands_below_the_destination(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "FROM python:3.11-slim\nWORKDIR /app\nCOPY app .\n")
    (model,) = build_models(tree, Config()).values()
    assert "/app/main.py" in model.state.files  # a directory's contents, not the directory
