"""The progress bar (src/dockfix/progress.py): on stderr when it is a terminal and the run is
split into parts; never on a pipe, never in stdout, never for a small repository."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.test_terminal import BEFORE, _env, read_terminal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate  # noqa: E402


def _stderr_on_a_tty(*args: str) -> tuple[int, bytes, bytes]:
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "dockfix", *args], stdout=out, stderr=slave,
                                stdin=subprocess.DEVNULL, env=_env())
        os.close(slave)
        err = read_terminal(master)
        code = proc.wait()
        out.seek(0)
        return code, out.read(), err


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mono")
    generate(root, 100)
    return root


def test_bar_on_a_terminal_for_a_large_run(monorepo: Path) -> None:
    code, out, err = _stderr_on_a_tty("plan", str(monorepo), "--option", "3", "--jobs", "2")
    assert code == 0
    assert b"0/100" in err and b"100/100" in err and b"Dockerfiles" in err
    piped = subprocess.run([sys.executable, "-m", "dockfix", "plan", str(monorepo), "--option", "3"],
                           capture_output=True, env=_env(), check=False)
    assert piped.returncode == 0
    assert out == piped.stdout  # the bar never reaches stdout
    assert b"Dockerfiles" not in piped.stderr and b"\x1b" not in piped.stderr


def test_no_bar_for_a_small_repository() -> None:
    code, _, err = _stderr_on_a_tty("plan", str(BEFORE), "--option", "2")
    assert code == 0
    assert b"Dockerfiles" not in err and b"verify: invariants hold" in err
