"""The table of what known programs read, and share-layers' RUN rule built on it."""

from __future__ import annotations

import pytest

from dockfix.model.program_env import env_read, may_read, program_names
from dockfix.syntax import parse
from dockfix.transforms.share_layers import _crossable


@pytest.mark.parametrize("args,name,reads", [
    (("apt-get", "install", "-y", "curl"), "DEBIAN_FRONTEND", True),
    (("apt-get", "install", "-y", "curl"), "APT_CONFIG", True),
    (("apt-get", "install", "-y", "curl"), "WORKER_TYPE", False),
    (("/usr/bin/apt-get", "update"), "WORKER_TYPE", False),
    (("pip", "install", "x"), "PIP_INDEX_URL", True),
    (("pip", "install", "x"), "PYTHONPATH", True),
    (("pip", "install", "x"), "WORKER_TYPE", False),
    (("python", "-m", "pip", "install", "x"), "PIP_NO_CACHE_DIR", True),
    (("python", "-m", "pip", "install", "x"), "WORKER_TYPE", False),
    (("python", "app.py"), "WORKER_TYPE", True),  # the user's program: anything
    (("rm", "-rf", None), "WORKER_TYPE", False),  # a glob argument is no variable
    (("rm", "-rf", "/x"), "LANG", True),
    (("rm", "-rf", "/x"), "LC_ALL", True),
    (("rm", "-rf", "/x"), "https_proxy", True),
    (("rm", "-rf", "/x"), "PATH", True),
    (("rm", "-rf", "/x"), "LD_PRELOAD", True),
    (("./setup.sh",), "WORKER_TYPE", True),
    ((None, "x"), "WORKER_TYPE", True),  # a command name the reader could not resolve
    (("env",), "WORKER_TYPE", True),
    (("find", ".", "-exec", "sh", "{}", ";"), "WORKER_TYPE", True),
    (("set",), "WORKER_TYPE", True),  # lists every variable
    (("set", "-eux"), "WORKER_TYPE", False),
    (("export",), "WORKER_TYPE", True),
])
def test_may_read(args: tuple, name: str, reads: bool) -> None:
    assert may_read(args, name) is reads


_ENV = (("DEBIAN_FRONTEND", "noninteractive"), ("PIP_INDEX_URL", "https://x"), ("WORKER_TYPE", "cpu"),
        ("LANG", "C.UTF-8"), ("PYTHONPATH", None))


@pytest.mark.parametrize("args", [
    ("apt-get", "install", "-y", "curl"), ("pip", "install", "x"), ("pip3", "install", "y"), ("python", "app.py"),
    ("python", "-m", "pip", "install", "x"), ("rm", "-rf", "/x"), (None, "x"), ("set", "-eux"), ("set",)])
@pytest.mark.parametrize("unknown,leave", [((), ()), (("CFLAGS", "APT_CONFIG", "LANG"), ()), (("PIP_X",), ("PIP_",))])
def test_env_read_is_may_read_over_the_environment(args: tuple, unknown: tuple, leave: tuple) -> None:
    """`env_read` (memoised by the program's table: pip and pip3 share one) answers as
    `may_read` does, name by name, every time it is asked."""
    expected = tuple(sorted(
        [f"{k}={'<unknown>' if v is None else v}" for k, v in _ENV
         if not k.startswith(leave or ("\0",)) and may_read(args, k)]
        + [f"{k}=<unknown>" for k in unknown if k not in dict(_ENV)
           and not k.startswith(leave or ("\0",)) and may_read(args, k)]))
    assert env_read(args, _ENV, unknown, leave) == expected
    assert env_read(args, _ENV, unknown, leave) == expected


def test_unknown_program_has_no_entry() -> None:
    assert program_names(("curl", "-fsSL", "x")) is None
    assert program_names(()) is None


def _ins(text: str):
    doc = parse(f"FROM python:3.11-slim\n{text}\n".encode())
    return doc.instructions[1]


APT = "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"


@pytest.mark.parametrize("text,crossable", [
    (APT, True),
    ('RUN ["apt-get", "update"]', True),
    ('RUN ["./build.sh"]', False),
    ("RUN pip install --no-cache-dir -r requirements.txt", True),
    ("RUN echo $WORKER_TYPE > /tmp/t", False),
    ("RUN echo ${WORKER_TYPE:-cpu} > /tmp/t", False),
    ("RUN echo $((WORKER_TYPE + 1))", False),
    ("RUN printenv WORKER_TYPE", False),
    ("RUN <<EOF\necho $WORKER_TYPE\nEOF", False),
    ("RUN cat <<EOF > /x\n$WORKER_TYPE\nEOF", False),
    ("RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF", False),
    ("RUN apt-get update && curl -fsSL https://x | sh", False),
    ("RUN f() { apt-get update; }; f", False),
    ("RUN eval apt-get update", False),
    ("RUN --mount=type=cache,target=/c/$WORKER_TYPE apt-get update", False),
    ("COPY requirements.txt ./", True),
    ("COPY --chown=${WORKER_TYPE} requirements.txt ./", False),
    ("COPY requirements.txt /opt/$WORKER_TYPE/", False),
    ("COPY --from=build /x /x", False),
    ("WORKDIR /app", False),
    ("USER app", False),
    ("ADD requirements.txt ./", False),
])
def test_crossing_a_step_for_worker_type(text: str, crossable: bool) -> None:
    assert _crossable(_ins(text), frozenset({"WORKER_TYPE"}), "\\") is crossable


def test_a_variable_apt_reads_does_not_cross_apt() -> None:
    assert not _crossable(_ins(APT), frozenset({"DEBIAN_FRONTEND"}), "\\")
    assert _crossable(_ins(APT), frozenset({"PIP_NO_CACHE_DIR"}), "\\")
    assert not _crossable(_ins("RUN pip install x"), frozenset({"PIP_NO_CACHE_DIR"}), "\\")


# Ground truth for the shell's part of the rule: under the real /bin/sh, with stub programs
# that log their argv and directory, a script the rule lets an ENV cross runs the same
# commands whatever the variable holds; a script the rule refuses for naming it does not.
_STUB = '#!/bin/sh\nprintf "%s|%s|%s\\n" "${0##*/}" "$(pwd)" "$*" >> "$LOG"\n'
SCRIPTS_CROSSED = [
    "apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
    "set -eux; mkdir -p /tmp/a && cd /tmp && pip install -r r.txt",
    'export PIP_NO_CACHE_DIR=1 && pip install "x==1" || rm -rf /tmp/x',
    "for p in a b; do pip install $p; done",
]
SCRIPTS_NAMING = [
    "pip install $WORKER_TYPE",
    "mkdir -p /tmp/${WORKER_TYPE:-none}",
    "test -n \"$WORKER_TYPE\" && pip install x || rm -rf /tmp/y",
    "cat <<EOF > /dev/null && pip install $((WORKER_TYPE + 1))\nx\nEOF",
]


def _log(tmp_path, script: str, value: str | None) -> str:
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("apt-get", "pip", "rm", "mkdir", "cat"):
        stub = bin_dir / name
        stub.write_text(_STUB)
        stub.chmod(0o755)
    log = tmp_path / "log"
    log.write_text("")
    env = {"PATH": str(bin_dir), "LOG": str(log), "HOME": str(tmp_path)}
    if value is not None:
        env["WORKER_TYPE"] = value
    subprocess.run(["/bin/sh", "-c", script], env=env, cwd=tmp_path, capture_output=True, check=False)
    return log.read_text()


@pytest.mark.parametrize("script", SCRIPTS_CROSSED)
def test_crossed_script_runs_the_same_whatever_the_variable(script: str, tmp_path) -> None:
    assert _crossable(_ins(f"RUN {script}"), frozenset({"WORKER_TYPE"}), "\\")
    logs = {_log(tmp_path, script, v) for v in (None, "", "CPU", "a b")}
    assert len(logs) == 1 and next(iter(logs))


@pytest.mark.parametrize("script", SCRIPTS_NAMING)
def test_refused_script_does_read_the_variable(script: str, tmp_path) -> None:
    assert not _crossable(_ins(f"RUN {script}"), frozenset({"WORKER_TYPE"}), "\\")
    logs = {_log(tmp_path, script, v) for v in (None, "", "1", "2")}
    assert len(logs) > 1
