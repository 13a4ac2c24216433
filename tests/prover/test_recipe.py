"""The rule "The recipe copied as data" (src/dockfix/prover/README.md): an image that copies its
context whole holds the build's own files; their rewrite is information, any other file's
change is broken. Recipe = what discovery takes for a Dockerfile, whatever its case or
spelling, a file a build names with `-f`, and ignore files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import prove
from dockfix.tree import Tree

RECIPE = "FROM python:3.11-slim\nCOPY . /\nRUN pip install six\nCMD [\"python\", \"/main.py\"]\n"
REWRITTEN = RECIPE.replace("pip install six", "pip install --no-cache-dir six")


def _views(tmp: Path, files: dict[str, str]) -> tuple[Tree, Tree]:
    for rel, text in {"main.py": "print(1)\n", "notes.txt": "a\n", **files}.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    before = Tree(tmp)
    return before, before.copy()


def _broken(verdict) -> list[str]:
    return [f.message for f in verdict.findings if f.severity == "broken"]


@pytest.mark.parametrize("name", ["dockerfile", "Dockerfile", "Containerfile", "app.containerfile",
                                  "Dockerfile_amd", "Dockerfile-alpine", "web.Dockerfile"])
def test_a_rewritten_dockerfile_copied_whole_is_proved(tmp_path: Path, name: str) -> None:
    before, after = _views(tmp_path, {name: RECIPE})
    after.write(name, REWRITTEN.encode())
    verdict = prove(before, after, Config())
    assert verdict.holds, _broken(verdict)
    assert any(f.message == f"/{name}: the build recipe, copied as data, is the rewritten one"
               for f in verdict.findings)


def test_a_file_named_by_dash_f_is_the_recipe(tmp_path: Path) -> None:
    before, after = _views(tmp_path, {"build/image.df": RECIPE,
                                      "Makefile": "image:\n\tdocker build -f build/image.df -t app .\n"})
    after.write("build/image.df", REWRITTEN.encode())
    verdict = prove(before, after, Config())
    assert verdict.holds, _broken(verdict)


def test_an_ignore_file_copied_whole_is_the_recipe(tmp_path: Path) -> None:
    before, after = _views(tmp_path, {"dockerfile": RECIPE, "other/.dockerignore": "*.log\n"})
    after.write("other/.dockerignore", b"*.log\n*.tmp\n")
    assert prove(before, after, Config()).holds


@pytest.mark.parametrize("name", ["notes.txt", "dockerfile.md", "Dockerfile.txt"])
def test_any_other_file_copied_whole_that_changed_is_broken(tmp_path: Path, name: str) -> None:
    before, after = _views(tmp_path, {"dockerfile": RECIPE, "dockerfile.md": "# docs\n", "Dockerfile.txt": "x\n"})
    after.write(name, b"changed\n")
    assert _broken(prove(before, after, Config())) == [f"/{name}: the content of a file the image holds changed"]
