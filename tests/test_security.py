"""dockfix never runs anything from the repository (outside real builds), never uses a shell
with strings from it, and keeps configured paths inside ROOT."""

from __future__ import annotations

import ast
from pathlib import Path

from typer.testing import CliRunner

from dockfix.cli import app

SRC = Path(__file__).resolve().parents[1] / "src" / "dockfix"


def test_no_shell_true_and_no_os_system_in_the_package() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                        offenders.append(f"{path}:{node.lineno}: shell=")
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in ("system", "popen") and \
                        isinstance(func.value, ast.Name) and func.value.id == "os":
                    offenders.append(f"{path}:{node.lineno}: os.{func.attr}")
    assert offenders == []


def test_repository_scripts_are_read_never_run(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    (tmp_path / "Makefile").write_text(f"all:\n\ttouch {canary}\n\tdocker build -f Dockerfile -t x .\n")
    (tmp_path / "build.sh").write_text(f"#!/bin/sh\ntouch {canary}\ndocker build -t y .\n")
    (tmp_path / "build.sh").chmod(0o755)
    (tmp_path / "compose.yaml").write_text(f"services:\n  a:\n    build: .\n    command: touch {canary}\n")
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.11-slim\nRUN touch {canary}\nRUN pip install a\nRUN pip install b\n")
    (tmp_path / "setup.py").write_text(f"open({str(canary)!r}, 'w')\n")
    for cmd in (["plan", str(tmp_path), "--option", "3"], ["check", str(tmp_path)], ["graph", str(tmp_path)],
                ["apply", str(tmp_path), "--option", "3"], ["verify", str(tmp_path), str(tmp_path)]):
        CliRunner().invoke(app, cmd, catch_exceptions=False)
    assert not canary.exists()
