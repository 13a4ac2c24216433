"""merge-pip-runs against the real /bin/sh: the merged RUN runs exactly the pip commands the
separate RUNs ran, in order (a stub `pip` on PATH logs its argv). Issue 13's bug was a comment
after a command swallowing the commands merged after it."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from dockfix.config import load_config
from dockfix.engine import run
from dockfix.syntax import parse

# (RUN lines, how many RUNs the file has after the transform)
RUNS = [
    (["RUN pip install a==1  # web", "RUN pip install b==2"], 1),
    (["RUN pip install a==1 # web", "RUN pip install b==2  # worker", "RUN pip install c"], 1),
    (["RUN pip install 'x#y' git+https://h/r#egg=r  # pinned", "RUN pip install b"], 1),
    (["RUN pip install a \\\n    b  # both", "RUN pip install c"], 1),
    (["RUN pip install a\t# tab", "RUN python -m pip install b"], 1),
    (["RUN pip install --upgrade pip  # newest", "COPY r.txt .", "RUN pip install -r r.txt"], 1),
    (["RUN pip install a  # one \\\n    two", "RUN pip install b"], 2),  # refused, with a note
]


def _sh_log(tmp: Path, scripts: list[str]) -> list[str]:
    """Run each script with `sh -c` as BuildKit does; the stubs log one line per call."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp / "log"
    log.write_text("")
    for name in ("pip", "python"):
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{log}"\n')
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    for script in scripts:
        subprocess.run(["/bin/sh", "-c", script], env=env, check=True, cwd=tmp)
    return log.read_text().splitlines()


def _run_scripts(data: bytes) -> list[str]:
    return [i.value[0] for i in parse(data).instructions if i.keyword == "RUN"]


@pytest.mark.parametrize("runs,count", RUNS, ids=range(len(RUNS)))
def test_merged_run_runs_what_the_runs_ran(tmp_path: Path, runs: list[str], count: int) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    before = ("FROM python:3.12-slim\n" + "".join(r + "\n" for r in runs)).encode()
    (root / "Dockerfile").write_bytes(before)
    (root / "r.txt").write_text("six\n")
    outcome = run(root, ["merge-pip-runs"], load_config(root))
    after = outcome.after.read("Dockerfile") or before
    assert len(_run_scripts(after)) == count, after.decode()
    assert _sh_log(tmp_path, _run_scripts(after)) == _sh_log(tmp_path, _run_scripts(before))
