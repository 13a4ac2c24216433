"""Jinja/cookiecutter templates are skipped with a warning; the rest of the repository is
still planned and checked (one template used to abort the whole run with exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.config import load_config
from dockfix.graph import build_graph
from dockfix.graph.discover import template_line
from dockfix.graph.model import skipped_templates
from dockfix.tree import Tree

JINJA = b"FROM python:3.12-slim\n{% if cookiecutter.use_celery == 'y' %}\nRUN pip install celery\n{% endif %}\n"
FILES = {
    "tpl/Dockerfile": JINJA,
    "{{cookiecutter.project_slug}}/compose/Dockerfile": b"FROM python:3.12-slim\nCOPY . /app\n",
    "ok/Dockerfile": b"FROM python:3.12-slim\nCOPY missing.txt /\n",
    # The build that gives ok/ its context: without one the context is unknown and a missing
    # COPY source is not judged.
    "compose.yaml": b"services:\n  ok:\n    image: acme/ok\n    build: ok\n",
}


def _repo(tmp_path: Path) -> Path:
    for rel, data in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("path,data,line", [
    ("Dockerfile", JINJA, 2),
    ("Dockerfile", b"FROM a\nCOPY ./{{ cookiecutter.repo_name }} /app\n", 2),
    ("Dockerfile", b"FROM a\n{# a comment #}\n", 2),
    ("{{ cookiecutter.repo_name }}/Dockerfile", b"FROM a\n", 1),
    # Not templates: Go templates in RUN, shell braces, `${x%y}`.
    ("Dockerfile", b"FROM a\nRUN docker inspect -f '{{.Id}}' x && { echo; }\n", None),
    ("Dockerfile", b"FROM a\nRUN x=${y%.tar}; echo \"%{z}\"\n", None),
])
def test_template_line(path: str, data: bytes, line: int | None) -> None:
    assert template_line(path, data) == line


def test_graph_skips_templates_and_records_them(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    skipped_templates()  # what earlier tests left
    g = build_graph(Tree(root), load_config(root))
    assert sorted(g.dockerfiles) == ["ok/Dockerfile"]
    assert [(t.path, t.line) for t in skipped_templates()] == [
        (f"{root}/tpl/Dockerfile", 2), (f"{root}/{{{{cookiecutter.project_slug}}}}/compose/Dockerfile", 1)]


@pytest.mark.parametrize("command", ["check", "plan", "scan"])
def test_a_template_does_not_abort_the_run(tmp_path: Path, command: str) -> None:
    root = _repo(tmp_path)
    result = CliRunner().invoke(app, [command, str(root)], catch_exceptions=False)
    assert f"{root}/tpl/Dockerfile:2: warning: Jinja/cookiecutter template, skipped" in result.stderr
    assert result.exit_code == (1 if command == "check" else 0)
    if command == "check":  # the other Dockerfile is still checked
        assert "ok/Dockerfile:2: pre-existing: COPY source 'missing.txt'" in result.stderr
