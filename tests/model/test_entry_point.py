"""model.entry_point: ENTRYPOINT and CMD as BuildKit combines them (dispatchEntrypoint resets
a CMD the stage has not set itself), and what kind of program the entry point names."""

from __future__ import annotations

import pytest

from dockfix.model.entry_point import EntryConfig, EntryProgram, entry_argv, entry_program, named_ports
from dockfix.syntax import parse


def _config(*stages: str) -> EntryConfig:
    """The config after each stage's instructions, each stage built on the one before."""
    config = EntryConfig()
    for text in stages:
        doc = parse(text.encode())
        config = config.next_stage()
        for ins in doc.instructions[1:]:
            config = config.step(ins)
    return config


def test_entrypoint_resets_an_inherited_cmd() -> None:
    config = _config('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n', 'FROM base\nENTRYPOINT ["tini", "--"]\n')
    assert config.argv() == ["tini", "--"]


def test_entrypoint_keeps_the_stages_own_cmd() -> None:
    config = _config('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\nENTRYPOINT ["tini", "--"]\n')
    assert config.argv() == ["tini", "--", "python", "-m", "app"]


def test_cmd_inherited_without_entrypoint() -> None:
    assert _config('FROM x\nCMD python -m app --port 8000\n', 'FROM base\nRUN true\n').argv() == [
        "python", "-m", "app", "--port", "8000"]


def test_none_set_is_the_base_images() -> None:
    config = _config("FROM ubuntu:22.04\nRUN true\n")
    assert config.argv() == []
    assert entry_program(config.argv()) is EntryProgram.BASE_IMAGE


@pytest.mark.parametrize("argv,program", [
    (["python3.11", "-m", "x"], EntryProgram.PYTHON),
    (["/usr/local/bin/python", "x.py"], EntryProgram.PYTHON),
    (["gunicorn", "app:app"], EntryProgram.APP_SERVER),
    (["./start.sh"], EntryProgram.PROGRAM),
    (["celery", "-A", "x"], EntryProgram.PROGRAM),
])
def test_entry_program(argv: list[str], program: EntryProgram) -> None:
    assert entry_program(argv) is program


def test_named_ports() -> None:
    assert named_ports(["gunicorn", "app:app", "--bind", "0.0.0.0:80"]) == (80,)
    assert named_ports(["uvicorn", "app:app", "--port", "8000"]) == (8000,)
    assert entry_argv(None, ("gunicorn --bind :443 app:app",), False) == ["gunicorn", "--bind", ":443", "app:app"]
