"""The hadolint code -> transform table, `--select`, and the word-span editor the lint fixes share."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix import transforms
from dockfix.cli import app
from dockfix.syntax import parse
from dockfix.transforms import _run_words as rw


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_every_code_names_the_transform_that_answers_it() -> None:
    for code, name in transforms.CODES.items():
        assert transforms.load(name).answers == code
    answering = {transforms.load(n).answers: n for n in transforms.REGISTRY
                 if transforms.load(n).answers.startswith("DL")}
    assert answering == transforms.CODES


def test_lint_fixes_are_in_option_1_and_presets_are_cumulative() -> None:
    """Option 1 ("layers") is where a user expects cache cleanups and merges (issue 16)."""
    assert set(transforms.CODES.values()) <= set(transforms.PRESETS[1])
    assert set(transforms.PRESETS[1]) <= set(transforms.PRESETS[2]) <= set(transforms.PRESETS[3])
    assert transforms.canonical(list(transforms.PRESETS[3])) == list(transforms.CANONICAL_ORDER)
    for members in transforms.PRESETS.values():
        assert transforms.canonical(list(members)) == list(members)


@pytest.mark.parametrize("spelling", ["DL3042", "dl3042", "pip-no-cache-dir"])
def test_select_resolves_codes_and_names(spelling: str) -> None:
    assert transforms.select(None, [spelling]) == ["pip-no-cache-dir"]


def test_skip_by_code() -> None:
    assert "pip-no-cache-dir" not in transforms.select(None, None, ["DL3042"])


def test_unknown_code_is_an_unknown_transform(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM a\n")
    result = _cli("plan", str(tmp_path), "--select", "DL9999")
    assert result.exit_code == 2
    assert "unknown transform 'DL9999'" in result.stderr


@pytest.mark.parametrize("flag", ["--select", "--only"])
def test_plan_by_code(tmp_path: Path, flag: str) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.11-slim\nRUN pip install flask==3.0.0\n")
    result = _cli("plan", str(tmp_path), flag, "DL3042")
    assert result.exit_code == 0
    assert "+RUN pip install --no-cache-dir flask==3.0.0\n" in result.stdout


def test_apply_and_check_by_code(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.11-slim\nRUN pip install flask==3.0.0\n")
    assert _cli("check", str(tmp_path), "--select", "DL3042").exit_code == 1
    assert _cli("apply", str(tmp_path), "--select", "DL3042").exit_code == 0
    assert (tmp_path / "Dockerfile").read_bytes() == b"FROM python:3.11-slim\nRUN pip install --no-cache-dir flask==3.0.0\n"
    assert _cli("check", str(tmp_path), "--select", "DL3042").exit_code == 0


def _edit(text: bytes, word: str, new: str, nth: int = 0) -> bytes | rw.Refusal:
    doc = parse(text)
    ins = next(i for i in doc.instructions if i.keyword == "RUN")
    run = rw.read_run(doc, ins)
    assert isinstance(run, rw.RunScript)
    w = [w for c in run.script.commands for w in c.argv if w.value == word][nth]
    return rw.edit_run(doc, run, [rw.WordEdit(w.start, w.end, new)])


def test_edit_maps_script_spans_through_continuations_and_comments() -> None:
    text = b"FROM a\nRUN --mount=type=tmpfs,target=/apt echo apt \\\n# apt\n  && apt \\\n   install -y x\n"
    assert _edit(text, "apt", "apt-get") == (
        b"FROM a\nRUN --mount=type=tmpfs,target=/apt echo apt-get \\\n# apt\n  && apt \\\n   install -y x\n")
    assert _edit(text, "apt", "apt-get", 1) == (
        b"FROM a\nRUN --mount=type=tmpfs,target=/apt echo apt \\\n# apt\n  && apt-get \\\n   install -y x\n")


def test_runs_bash_reads_as_sh_are_read() -> None:
    """The SHELL in force, per RUN: before a SHELL, /bin/sh; bash with status options only (model.run
    reads_as_sh, tests/model/test_shell_bash.py); a stage FROM another inherits its SHELL."""
    doc = parse(b'FROM a AS one\nRUN pip install x\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
                b'RUN pip install y\nFROM one\nRUN pip install z\nFROM a\nSHELL ["/bin/bash", "-c"]\n'
                b'RUN apt install w\nRUN echo {a,b}\n')
    runs = [i for i in doc.instructions if i.keyword == "RUN"]
    assert all(isinstance(rw.read_run(doc, i), rw.RunScript) for i in runs[:4])
    assert rw.read_run(doc, runs[4]) is rw.Refusal.OPAQUE  # brace expansion: bash's own
    # bash defines a function where sh reads a command named `function`
    doc = parse(b'FROM a\nSHELL ["/bin/bash", "-c"]\nRUN function apt { echo; } ; apt install -y x\n')
    assert rw.read_run(doc, doc.instructions[2]) is rw.Refusal.OPAQUE


def test_refusals() -> None:
    for shell in (b'["/bin/bash", "-euo", "pipefail", "-c"]', b'["/bin/bash", "--login", "-c"]', b'["/bin/ash", "-c"]',
                  b'["pwsh", "-Command"]', b"/bin/bash -c"):
        doc = parse(b"FROM a\nSHELL " + shell + b"\nRUN pip install x $Y\n")
        assert rw.read_run(doc, doc.instructions[2]) is rw.Refusal.SHELL_INSTRUCTION, shell
    # -u stops nothing in a script that expands no variable
    doc = parse(b'FROM a\nSHELL ["/bin/bash", "-euo", "pipefail", "-c"]\nRUN pip install x\n')
    assert isinstance(rw.read_run(doc, doc.instructions[2]), rw.RunScript)
    doc = parse(b'FROM a\nENV BASH_ENV=/etc/profile.d/x.sh\nSHELL ["/bin/bash", "-c"]\nRUN pip install x\n')
    assert rw.read_run(doc, doc.instructions[3]) is rw.Refusal.SHELL_INSTRUCTION
    doc = parse(b"FROM a\nRUN [\"pip\", \"install\", \"x\"]\n")
    assert rw.read_run(doc, doc.instructions[1]) is rw.Refusal.NOT_SHELL
    doc = parse(b"FROM a\nRUN <<EOF\npip install x\nEOF\n")
    assert rw.read_run(doc, doc.instructions[1]) is rw.Refusal.NOT_SHELL
