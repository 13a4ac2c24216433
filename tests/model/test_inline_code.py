"""model.inline_code: what `python -c`/`-m`/a script and `R -e` run.

Ground truth for `python_code_starts_process`: the real interpreter under strace. Every sample
the reader accepts starts no process when run (no fork, vfork or clone other than a thread);
every sample of REFUSED_SPAWNING starts one, and the reader refuses it (so the refusals are not
vacuous). R is not installed here: its reader is checked on written examples only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dockfix.model.inline_code import (PythonMode, PythonRun, python_code_starts_process, read_python_argv,
                                       read_r_expression)

ACCEPTED = [
    "import json; print(json.dumps([1]))",
    "import sys; print(sys.version)",
    "import os; print(os.getcwd())",
    "from pathlib import Path; Path('out.txt').write_text('x')",
    "import threading; t = threading.Thread(target=print); t.start(); t.join()",
    "import asyncio; asyncio.run(asyncio.sleep(0))",
]
# Each starts a process when run; the reader must refuse each.
REFUSED_SPAWNING = [
    "import subprocess; subprocess.run(['true'])",
    "import os; os.system('true')",
    "import os; os.fork() or os._exit(0)",
    "from os import system as s; s('true')",
    "__import__('os').system('true')",
    "exec(\"import os; os.system('true')\")",
    "import os; getattr(os, 'sys' + 'tem')('true')",
    "import multiprocessing as m; p = m.Process(target=print); p.start(); p.join()",
    "import asyncio; asyncio.run(asyncio.create_subprocess_exec('true'))",
    "import os; os.posix_spawnp('true', ['true'], dict(os.environ))",
    "import pty; pty.fork()",
    "import importlib; importlib.import_module('os').system('true')",
]
# Refused without running them: unreadable or reaching names unwritten.
REFUSED_OTHER = ["print 'python 2'", "from os import *", "import pickle; pickle.loads(b'')", "eval('1')"]

_PROCESS_START = re.compile(r"\b(?:v?fork|clone3?)\(")


def _starts_process(code: str, tmp_path: Path) -> bool:
    trace = tmp_path / "trace.txt"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=fork,vfork,clone,clone3", "-o", str(trace),
                    sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=60)
    lines = trace.read_text().splitlines()
    return any(_PROCESS_START.search(line) and "CLONE_THREAD" not in line for line in lines)


@pytest.mark.parametrize("code", ACCEPTED)
def test_accepted_code_starts_no_process(code: str, tmp_path: Path) -> None:
    assert python_code_starts_process(code) is None
    assert not _starts_process(code, tmp_path)


@pytest.mark.parametrize("code", REFUSED_SPAWNING)
def test_refused_code_does_start_a_process(code: str, tmp_path: Path) -> None:
    assert python_code_starts_process(code) is not None
    assert _starts_process(code, tmp_path)


@pytest.mark.parametrize("code", REFUSED_OTHER)
def test_unreadable_or_dynamic_code_is_refused(code: str) -> None:
    assert python_code_starts_process(code) is not None


@pytest.mark.parametrize("argv,expected", [
    (["python", "-c", "print(1)"], PythonRun(PythonMode.CODE, "print(1)", ())),
    (["python3", "-u", "-c", "print(1)", "x"], PythonRun(PythonMode.CODE, "print(1)", ("x",))),
    (["python3", "-uBc", "print(1)"], PythonRun(PythonMode.CODE, "print(1)", ())),
    (["python3", "-cprint(1)"], PythonRun(PythonMode.CODE, "print(1)", ())),
    (["/usr/bin/python3.12", "-W", "ignore", "-m", "venv", "/v"], PythonRun(PythonMode.MODULE, "venv", ("/v",))),
    (["python", "-mspacy", "download", "en"], PythonRun(PythonMode.MODULE, "spacy", ("download", "en"))),
    (["python3.12", "/tmp/get-pip.py"], PythonRun(PythonMode.SCRIPT, "/tmp/get-pip.py", ())),
    (["python", "-"], PythonRun(PythonMode.STDIN, None, ())),
    (["python"], PythonRun(PythonMode.STDIN, None, ())),
    (["python", "-i", "-c", "print(1)"], None),  # interactive after the code: reads stdin
    (["python", "--version"], None),
    (["python", None, "-c", "print(1)"], None),
    (["python", "-c", None], None),
    (["pip", "install", "x"], None),
])
def test_read_python_argv(argv, expected) -> None:
    assert read_python_argv(argv) == expected


@pytest.mark.parametrize("expr,calls", [
    ("install.packages(c('Rcpp', 'BH', 'R6'), repos='https://cloud.r-project.org')", ("install.packages",)),
    ('install.packages("x", dependencies=TRUE); library(x)', ("install.packages", "library")),
    ("BiocManager::install(c('a'), ask = FALSE, update = 1)", ("BiocManager::install",)),
    ("library(x)\nrequire(y)", ("library", "require")),
    ("system('Rserve &')", ("system",)),
    ("install.packages(pkgs, lib = x)", ("install.packages",)),  # names are looked up: nothing runs
    ("install.packages(c(p, 'a'))", ("install.packages",)),
    ("install.packages(get('x')())", None),
    ("x <- 1", None),
    ("install.packages(paste0('a', 'b'))", None),  # only c() may nest
    ("install.packages('a'", None),
    ("", None),
])
def test_read_r_expression(expr: str, calls) -> None:
    assert read_r_expression(expr) == calls
