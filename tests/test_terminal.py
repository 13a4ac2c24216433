"""Colour on a terminal: `plan` and `check` colour the diff when stdout is a TTY (tested under
a real pseudo-terminal) or with --color; with the codes removed the text is the plain diff,
and piped output, --no-color and NO_COLOR give the plain bytes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.terminal import color_diff, strip_ansi
from rich.color import ColorSystem

ROOT = Path(__file__).resolve().parents[1]
BEFORE = ROOT / "golden" / "academy" / "before"
GREEN, RED, BOLD, CYAN = b"\x1b[32m", b"\x1b[31m", b"\x1b[1m", b"\x1b[36m"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLORTERM")}
    env.update({"PYTHONPATH": str(ROOT / "src"), "TERM": "xterm-256color"}, **extra)
    return env


def _piped(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockfix", *args], capture_output=True, env=_env(**env),
                          check=False)


def _on_a_tty(*args: str, **env: str) -> tuple[int, bytes, bytes]:
    """Run dockfix with stdout on a pseudo-terminal (output post-processing off, so the bytes
    are what the program wrote) and stderr on a pipe."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    proc = subprocess.Popen([sys.executable, "-m", "dockfix", *args], stdout=slave, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=_env(**env))
    os.close(slave)
    out = read_terminal(master)
    err = proc.stderr.read()
    proc.stderr.close()
    return proc.wait(), out, err


def read_terminal(master: int) -> bytes:
    """Everything written to a pseudo-terminal until the child closes it; closes `master`."""
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def plain_plan() -> bytes:
    result = _piped("plan", str(BEFORE), "--option", "3")
    assert result.returncode == 0 and result.stdout
    assert b"\x1b" not in result.stdout + result.stderr
    return result.stdout


def test_plan_on_a_terminal_is_coloured_and_the_same_text(plain_plan: bytes) -> None:
    code, out, err = _on_a_tty("plan", str(BEFORE), "--option", "3")
    assert code == 0, err
    assert GREEN + b"+" in out and RED + b"-" in out
    assert BOLD + b"diff --git a/docker/Dockerfile.base b/docker/Dockerfile.base" in out
    assert CYAN + b"@@ " in out
    assert strip_ansi(out) == plain_plan
    text = err.decode()
    assert "dockfix: 9 files would change" in text
    assert "  merge-pip-runs: 2 files, 4 changed regions\n" in text
    assert "  root-swap: 5 files, " in text
    assert "verify: invariants hold (8 images compared" in text


@pytest.mark.parametrize("how", ["--no-color", "NO_COLOR"])
def test_no_color_on_a_terminal_is_the_plain_diff(plain_plan: bytes, how: str) -> None:
    args = ["plan", str(BEFORE), "--option", "3"]
    env = {}
    if how == "--no-color":
        args.append("--no-color")
    else:
        env["NO_COLOR"] = "1"
    code, out, err = _on_a_tty(*args, **env)
    assert code == 0
    assert out == plain_plan
    assert b"\x1b" not in err


def test_check_on_a_terminal_is_coloured_and_keeps_its_exit_code() -> None:
    piped = _piped("check", str(BEFORE), "--option", "2")
    assert piped.returncode == 1
    code, out, err = _on_a_tty("check", str(BEFORE), "--option", "2")
    assert code == 1
    assert GREEN in out and strip_ansi(out) == piped.stdout
    text = err.decode()
    assert "  rebase-onto-base: 1 file, " in text
    assert "pre-existing: COPY source 'scripts' is excluded by .dockerignore" in text
    assert text.endswith("dockfix: 8 file(s) would change, 1 defect(s)\n")


def test_color_flag_forces_colours_through_a_pipe(plain_plan: bytes) -> None:
    result = CliRunner().invoke(app, ["plan", str(BEFORE), "--option", "3", "--color"], catch_exceptions=False)
    assert result.exit_code == 0
    out = result.stdout_bytes
    assert GREEN in out and out != plain_plan
    assert strip_ansi(out) == plain_plan
    assert b"\x1b[1;32mverify: invariants hold" in result.stderr_bytes


def test_piped_output_is_unchanged_by_default(plain_plan: bytes) -> None:
    result = CliRunner().invoke(app, ["plan", str(BEFORE), "--option", "3"], catch_exceptions=False)
    assert result.stdout_bytes == plain_plan
    assert b"\x1b" not in result.stderr_bytes
    assert "changed region" not in result.stderr  # the plain summary is the one it always was


def test_color_with_output_writes_the_plain_diff(tmp_path: Path, plain_plan: bytes) -> None:
    out = tmp_path / "x.patch"
    result = CliRunner().invoke(app, ["plan", str(BEFORE), "--option", "3", "--color", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout_bytes == b""
    assert out.read_bytes() == plain_plan


def test_color_diff_keeps_every_byte() -> None:
    diff = (b"diff --git a/D b/D\n--- a/D\n+++ b/D\n@@ -1,2 +1,2 @@\n FROM a\r\n-RUN \xff x\r\n+RUN \xfe y\n"
            b"\\ No newline at end of file\n+\n-\r mid\n \n")
    coloured = color_diff(diff, ColorSystem.STANDARD)
    assert coloured != diff
    assert strip_ansi(coloured) == diff
    assert b"\x1b[31m-RUN \xff x\x1b[0m\r\n" in coloured  # the line ending stays outside the codes
    assert color_diff(diff, None) == diff
    assert color_diff(b"", ColorSystem.STANDARD) == b""
