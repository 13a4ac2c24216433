"""dockfix.model.venv: which commands make a venv where (against the real tools, run here), and
which venvs a RUN may source after the stage's earlier instructions (the walk's rules)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dockfix.model.venv import Creation, VenvTool, read_creation, venvs_at
from dockfix.syntax import parse

_BIN = Path(sys.executable).parent
PY = sys.executable
UV = str(_BIN / "uv")

# (command as the Dockerfile would spell it, its argv here): each makes what the model says.
CREATIONS = {
    "venv": ("python3 -m venv --without-pip .venv", [PY, "-m", "venv", "--without-pip", ".venv"]),
    "venv two": ("python3.11 -m venv --without-pip --prompt app a b/c",
                 [PY, "-m", "venv", "--without-pip", "--prompt", "app", "a", "b/c"]),
    "venv options": ("python -m venv --without-pip --clear --copies --prompt=x /ABS/env",
                     [PY, "-m", "venv", "--without-pip", "--clear", "--copies", "--prompt=x", "/ABS/env"]),
    "virtualenv": ("virtualenv --no-seed -q env", [PY, "-m", "virtualenv", "--no-seed", "-q", "env"]),
    "python -m virtualenv": ("python3 -m virtualenv --no-seed --python PY ve",
                             [PY, "-m", "virtualenv", "--no-seed", "--python", PY, "ve"]),
    "uv default": ("uv venv --offline -q --python PY", [UV, "venv", "--offline", "-q", "--python", PY]),
    "uv path": ("uv venv --offline --python=PY --seed x/.env", [UV, "venv", "--offline", f"--python={PY}", "x/.env"]),
    "uv no project": ("uv venv --no-project -p PY --offline", [UV, "venv", "--no-project", "-p", PY, "--offline"]),
}


def _made(root: Path) -> set[str]:
    return {str(p.parent.parent) for p in root.rglob("bin/activate")}


@pytest.mark.parametrize("name", sorted(CREATIONS))
def test_creation_is_where_the_tool_puts_it(name: str, tmp_path: Path) -> None:
    spelled, argv = CREATIONS[name]
    work = tmp_path / "work"
    (work / "b").mkdir(parents=True)
    (work / "x").mkdir()
    spelled = spelled.replace("/ABS", str(tmp_path))
    argv = [a.replace("/ABS", str(tmp_path)) for a in argv]
    # A project in the directory: uv still makes `.venv` here (UV_PROJECT_ENVIRONMENT unset).
    (work / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    model = read_creation(tuple(shlex.split(spelled)), str(work), {})
    assert model is not None and model.dirs is not None
    subprocess.run(argv, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={"PATH": f"{_BIN}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert set(model.dirs) == _made(tmp_path)


@pytest.mark.parametrize("spelled", [
    "uv venv --relocatable", "uv venv --directory /x", "uv venv a b", "python -m venv --without-pi x",
    "python -m venv", "virtualenv a b", "virtualenv --activators bash x", "uv venv --python",
])
def test_creation_not_read_exactly_is_a_creation_of_unknown_place(spelled: str) -> None:
    found = read_creation(tuple(shlex.split(spelled)), "/app", {})
    assert isinstance(found, Creation) and found.dirs is None


def test_uv_under_its_placing_variables_is_not_placed() -> None:
    assert read_creation(("uv", "venv"), "/app", {"UV_PROJECT_ENVIRONMENT": "/env"}).dirs is None
    assert read_creation(("uv", "venv"), "/app", {"UV_VENV_RELOCATABLE": None}).dirs is None
    assert read_creation(("uv", "venv"), "/app", {}) == Creation(VenvTool.UV, ("/app/.venv",))
    assert read_creation(("uv", "venv", None), "/app", {}).dirs is None  # an unknown word: 0..n fields
    assert read_creation(("uv", "venv"), None, {}).dirs is None
    assert read_creation(("pip", "install", "venv"), "/app", {}) is None


# The walk -------------------------------------------------------------------------------------

def _at(text: str, line: int | None = None):
    doc = parse(text.encode())
    runs = [i for i in doc.instructions if i.keyword == "RUN" and "activate" in i.original]
    ins = runs[-1] if line is None else next(i for i in runs if i.start_line == line)
    return venvs_at(doc, ins)


HEAD = "FROM python:3.11-slim\nWORKDIR /app\nRUN python -m venv .venv\n"
USE = "RUN . .venv/bin/activate && pip install flask\n"


@pytest.mark.parametrize("between", [
    "", "ENV A=1\n", "COPY requirements.txt /srv/\n", "RUN rm -rf /var/lib/apt/lists/*\n",
    "RUN apt-get update && apt-get install -y gcc\n", "RUN pip install -r /srv/requirements.txt\n",
    "RUN mkdir -p /app/data && chown -R 1000 /app\n", "USER 1000\n", "WORKDIR /srv\nWORKDIR /app\n",
    "RUN git clone https://example.invalid/x.git src\n", "RUN . .venv/bin/activate && pip install gunicorn\n",
    "RUN --mount=type=cache,target=/root/.cache pip install x\n",
])
def test_the_venv_stays_known(between: str) -> None:
    assert _at(HEAD + between + USE).dirs == {"/app/.venv"}


@pytest.mark.parametrize("between", [
    "COPY . .\n", "COPY requirements.txt .\n", "ADD app.tar.gz /app/\n", "COPY $SRC /\n",
    "RUN rm -rf .venv\n", "RUN cp activate /app/.venv/bin/activate\n", "RUN echo x > .venv/bin/activate\n",
    "RUN eval \"$X\"\n", "RUN rm -rf $DIR\n", "RUN cd $D && rm -rf x\n", "RUN rm -rf .*\n",
    "RUN $TOOL install\n", "RUN [\"python\", \"-m\", \"venv\", \"/other\"]\n", "SHELL [\"pwsh\", \"-c\"]\nRUN x\n",
    "RUN uv -q venv\n", "RUN pip install --target=/app/.venv/lib x\n",
])
def test_the_venv_is_forgotten(between: str) -> None:
    assert _at(HEAD + between + USE).dirs == frozenset()


def test_a_mount_over_the_venv_hides_it_from_that_run_only() -> None:
    assert _at(HEAD + "RUN --mount=type=bind,target=/app . .venv/bin/activate && pip install x\n").dirs == frozenset()
    assert _at(HEAD + "RUN --mount=type=bind,target=/app pip install -r requirements.txt\n" + USE).dirs == {"/app/.venv"}


def test_a_creation_that_may_not_run_makes_nothing_known() -> None:
    for made in ("RUN test -d .venv || python -m venv .venv\n", "RUN python -m venv .venv; true\n",
                 "RUN if [ -n \"$X\" ]; then python -m venv .venv; fi\n"):
        assert _at("FROM python:3.11-slim\nWORKDIR /app\n" + made + USE).dirs == frozenset(), made


def test_the_venv_of_the_stage_built_on() -> None:
    text = HEAD + "FROM scratch AS other\nRUN . /app/.venv/bin/activate\n"
    assert _at(text).dirs == frozenset()
    text = HEAD.replace("slim\n", "slim AS base\n") + "FROM base AS final\nCOPY x /srv/\n" + USE
    assert _at(text).dirs == {"/app/.venv"}
    assert _at(text).workdir == "/app"


def test_a_relative_venv_needs_a_known_directory() -> None:
    assert _at("FROM python:3.11-slim\nRUN python -m venv .venv\n" + USE).dirs == frozenset()
    assert _at("FROM python:3.11-slim\nRUN python -m venv /opt/venv\nRUN . /opt/venv/bin/activate && pip install x\n"
               ).dirs == {"/opt/venv"}
    assert _at("FROM python:3.11-slim\nENV V=/opt/v\nRUN python -m venv $V\nRUN . $V/bin/activate && pip install x\n"
               ).dirs == {"/opt/v"}


def test_the_text_generation_inference_shape() -> None:
    """Issue 16's case (Dockerfile_amd, in small): `uv venv --python ${PYTHON_VERSION}` in the
    base stage, activation in stages built on it, past bind mounts, dpkg and apt-list cleanup."""
    text = ("FROM rocm/dev-ubuntu-22.04:6.3.1-complete AS base\nARG PYTHON_VERSION=3.11\nRUN mkdir -p /app\n"
            "WORKDIR /app\nCOPY --from=ghcr.io/astral-sh/uv:0.5.31 /uv /uvx /bin/\n"
            "RUN uv venv --python ${PYTHON_VERSION} && uv pip install pip setuptools packaging\n"
            "ENV VIRTUAL_ENV=/usr/src/.venv/\n"
            "FROM base AS final\n"
            "RUN --mount=type=bind,from=base,src=/app/install/,target=/install dpkg -i /install/*deb"
            " && sed -i 's/a/b/g' /var/lib/dpkg/status\n"
            "RUN rm -rf /var/lib/apt/lists/*\n"
            "RUN . .venv/bin/activate && pip install setuptools_scm\n")
    assert _at(text).dirs == {"/app/.venv"}


@pytest.mark.parametrize("run, known", [
    ("RUN python -m venv /opt/v && . /opt/v/bin/activate && pip install x\n", {"/opt/v"}),
    ("RUN set -e; python3 -m venv /opt/v; . /opt/v/bin/activate; pip install x\n", {"/opt/v"}),
    ("RUN cd /opt && uv venv && . .venv/bin/activate && uv pip install x\n", {"/opt/.venv"}),
    ("RUN . /opt/v/bin/activate; python -m venv /opt/v && pip install x\n", set()),  # sourced first
    ("RUN python -m venv /opt/v; . /opt/v/bin/activate && pip install x\n", set()),  # may not have run
    ("RUN python -m venv /opt/v & . /opt/v/bin/activate && pip install x\n", set()),  # in the background
    ("RUN python -m venv /opt/v && rm -rf /opt/v && . /opt/v/bin/activate\n", set()),
    ("RUN python -m venv /opt/v && . /opt/w/bin/activate\n", set()),
])
def test_a_venv_the_run_makes_before_sourcing_it(run: str, known: set[str]) -> None:
    assert _at("FROM python:3.11-slim\n" + run).dirs == known


def test_a_venv_made_under_a_mount_is_gone_after_the_run() -> None:
    text = ("FROM python:3.11-slim\nRUN --mount=type=tmpfs,target=/opt python -m venv /opt/v && . /opt/v/bin/activate\n"
            "RUN . /opt/v/bin/activate && pip install x\n")
    assert _at(text, 2).dirs == {"/opt/v"}
    assert _at(text, 3).dirs == frozenset()
