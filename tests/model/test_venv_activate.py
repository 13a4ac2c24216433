"""`. DIR/bin/activate` as dockfix.model.shell reads it (model/activate.py), against the real
scripts: venvs made here by CPython's `venv`, virtualenv and `uv venv`, sourced by the real
/bin/sh (dash) in generated scripts, with stub programs (in the venvs' bin and on the outer
PATH) that log the path they ran from, their directory and their whole environment. Every fact
the model states (a directory, a variable's value, a variable being absent, which `pip` runs)
must hold in that log; a function the script defines (`deactivate`) must be opaque.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix.model.shell import read_script

EXAMPLES = max(150, int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "150")) // 10)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_STUB = """#!/bin/sh
{ printf '%s\\036%s\\036' "$0" "$(pwd -P)"; env -0; printf '\\035'; } >> "$DOCKFIX_LOG"
"""
PROGRAMS = ("pip", "python", "tool")
# Names the shell itself manages in its children's environment.
_SHELL_OWN = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})
_BIN = Path(sys.executable).parent


def _stubs(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in PROGRAMS:
        path = directory / name
        if path.is_symlink() or path.exists():
            path.unlink()  # a venv's python is a link to the real interpreter: never write through it
        path.write_text(_STUB)
        path.chmod(0o755)


def _make_sandbox() -> tuple[Path, dict[str, str]]:
    root = Path(tempfile.mkdtemp(prefix="dockfix-venv-")).resolve()
    work = root / "work"
    (work / "sub" / "sub").mkdir(parents=True)  # `cd sub` succeeds from work and from work/sub
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True, "cwd": work}
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "py"], **quiet)
    subprocess.run([sys.executable, "-m", "virtualenv", "--no-seed", "-q", "ve"], **quiet)
    subprocess.run([str(_BIN / "uv"), "venv", "-q", "--offline", "--no-python-downloads", "--python",
                    sys.executable, "uvv"], **quiet)
    for venv in ("py", "ve", "uvv"):
        _stubs(work / venv / "bin")
    _stubs(root / "outer")
    env = {"PATH": f"{root / 'outer'}:/usr/bin:/bin", "DOCKFIX_LOG": str(root / "log"), "HOME": str(root),
           "LC_ALL": "C"}
    return root, env


ROOT, ENV = _make_sandbox()
WORK = ROOT / "work"
VENVS = frozenset(str(WORK / v) for v in ("py", "ve", "uvv"))


def run(script: str, env: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    log = Path(env["DOCKFIX_LOG"])
    log.write_bytes(b"")
    subprocess.run(["/bin/sh", "-c", script], cwd=WORK, env=env, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=30)
    out = []
    for record in log.read_bytes().decode("utf-8", "surrogateescape").split("\x1d"):
        if not record:
            continue
        program, cwd, rest = record.split("\x1e", 2)
        variables = dict(v.split("=", 1) for v in rest.split("\0") if v)
        out.append((program, cwd, variables))
    return out


# Scripts -----------------------------------------------------------------------------------------

PRELUDE = st.sampled_from([
    "", "set -e; ", "export PYTHONHOME=/ph; ", "VIRTUAL_ENV_DISABLE_PROMPT=1; export VIRTUAL_ENV_DISABLE_PROMPT; ",
    "export PS1='$ '; ", "PYTHONHOME=; export PYTHONHOME; ", "set -e; cd sub; ", "export VIRTUAL_ENV_PROMPT=x; ",
    "export PKG_CONFIG_PATH=/pc; ", "export VIRTUAL_ENV=/elsewhere; ",
])
VENV = st.sampled_from(["py", "ve", "uvv"])
SPELLING = st.sampled_from(["rel", "dot", "abs"])
COMMAND = st.sampled_from(["pip install x", "python -V", "tool a", 'tool "$VIRTUAL_ENV"', "tool $PATH",
                           "export PATH=/nowhere:$PATH; tool p", "unset PYTHONHOME; pip list",
                           "VIRTUAL_ENV=/o pip x", "(cd sub; python -c 1)"])
JOIN = st.sampled_from([" && ", "; ", "\n"])


@st.composite
def activation(draw, in_sub: bool) -> str:
    venv, spelling = draw(VENV), draw(SPELLING)
    up = "../" if in_sub else ""
    path = {"rel": f"{up}{venv}", "dot": f"./{up}{venv}", "abs": str(WORK / venv)}[spelling]
    return f". {path}/bin/activate"


@st.composite
def scripts(draw) -> str:
    prelude = draw(PRELUDE)
    in_sub = "cd sub" in prelude
    parts = [draw(activation(in_sub))]
    if draw(st.booleans()):
        parts.append(draw(COMMAND))
    if draw(st.integers(0, 3)) == 0:
        parts.append(draw(activation(in_sub)))  # a second activation: deactivate's restore
    parts.append(draw(COMMAND))
    if draw(st.integers(0, 4)) == 0:
        parts += ["deactivate", draw(COMMAND)]
    out = prelude
    for i, part in enumerate(parts):
        out += (draw(JOIN) if i else "") + part
    return out


# Checks ------------------------------------------------------------------------------------------

def _resolve(program: str, path: str) -> str | None:
    """Where /bin/sh finds `program` on `path` (the stubs' directories and /usr/bin, /bin)."""
    for directory in path.split(":"):
        candidate = os.path.join(directory or ".", program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def check(script: str, complete: bool) -> None:
    model = read_script(script, workdir=str(WORK), env=ENV if complete else {"PATH": ENV["PATH"]},
                        env_is_complete=complete, venvs=VENVS)
    log = run(script, ENV)
    opaque_from = min((o.start for o in model.opaque), default=len(script))
    # Every stub and `cd sub` succeeds: each command before the first opaque part runs, in order.
    stubs = [c for c in model.commands if c.name in PROGRAMS and c.start < opaque_from]
    assert len(log) >= len(stubs), (script, log)
    for command, (program, cwd, env) in zip(stubs, log):
        assert command.cwd in (None, cwd), (script, command.cwd, cwd)
        stated = dict(command.env)
        for name, value in stated.items():
            if value is not None:
                assert env.get(name) == value, (script, name, value, env.get(name))
        if complete:
            extra = set(env) - set(stated) - _SHELL_OWN
            assert not extra, (script, extra)
        if stated.get("PATH") is not None:
            assert _resolve(command.name, stated["PATH"]) == program, (script, stated["PATH"], program)
    if "deactivate" in script:
        assert any(o.detail == "deactivate" for o in model.opaque), script
    else:
        assert not model.opaque, (script, model.opaque)
        assert len(log) == len(stubs), (script, log)


@SETTINGS
@given(scripts())
def test_activation_agrees_with_sh_from_a_known_environment(script: str) -> None:
    check(script, complete=True)


@SETTINGS
@given(scripts())
def test_activation_agrees_with_sh_from_a_partly_known_environment(script: str) -> None:
    check(script, complete=False)


def test_pip_after_activation_runs_from_the_venv() -> None:
    """The case of issue 16: `. .venv/bin/activate && pip install ...` (here `py`)."""
    script = ". py/bin/activate && pip install -U packaging"
    model = read_script(script, workdir=str(WORK), env=ENV, env_is_complete=True, venvs=VENVS)
    pip = model.commands[-1]
    assert not model.opaque and pip.name == "pip" and pip.checked
    assert dict(pip.env)["VIRTUAL_ENV"] == str(WORK / "py")
    assert dict(pip.env)["PATH"] == f"{WORK / 'py'}/bin:{ENV['PATH']}"
    ((program, _, env),) = run(script, ENV)
    assert program == str(WORK / "py" / "bin" / "pip") and env["VIRTUAL_ENV"] == str(WORK / "py")


def test_a_file_not_named_as_a_venv_stays_opaque() -> None:
    """Default-deny: the same script without the venv in `venvs`, a bare name (dash searches
    PATH), extra arguments, a redirection: opaque, as before."""
    for script, venvs in ((". py/bin/activate && pip install x", frozenset()),
                          (". activate && pip install x", VENVS),
                          (". py/bin/activate x && pip install x", VENVS),
                          (". py/bin/activate >/dev/null && pip install x", VENVS),
                          (". py/bin/activate.fish && pip install x", VENVS),
                          ("source py/bin/activate && pip install x", VENVS)):
        model = read_script(script, workdir=str(WORK), venvs=venvs)
        assert model.opaque, script


def test_a_relative_activation_needs_the_directory() -> None:
    model = read_script(". py/bin/activate && pip install x", workdir=None, venvs=VENVS)
    assert model.opaque
