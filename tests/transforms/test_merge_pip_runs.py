"""merge-pip-runs beyond the case harness: the academy repo exactly, the command
classification, and properties on generated Dockerfiles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix.config import Config, load_config
from dockfix.engine import run, second_pass
from dockfix.syntax import parse
from dockfix.transforms import _text
from dockfix.transforms.base import Context
from dockfix.transforms.merge_pip_runs import (
    MergePipRuns,
    hash_hazard,
    pip_commands,
    pip_program,
    upgrade_names,
)
from dockfix.tree import Tree

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "golden" / "academy"


@pytest.fixture
def academy(tmp_path: Path) -> Path:
    dst = tmp_path / "academy"
    shutil.copytree(GOLDEN / "before", dst, symlinks=True)
    return dst


def test_academy_hoists_and_merges_in_the_two_builders_only(academy: Path) -> None:
    outcome = run(academy, ["merge-pip-runs"], load_config(academy))
    changed = outcome.after.changed()
    assert sorted(changed) == ["docker/Dockerfile", "docker/Dockerfile.base"]
    for path, data in changed.items():
        assert data == (GOLDEN / "option-1" / path).read_bytes()
        assert b"RUN pip install --upgrade pip && pip install --user --no-cache-dir -r requirements/common.txt\n" in data
    # ai-worker-cpu keeps its worker-ai-excel step apart, and says why; the GPU file's pip
    # bootstrap mixes ensurepip with pip and sits behind a WORKDIR: nothing to say there.
    assert [str(n) for n in outcome.notes] == [
        "docker/ai-worker-cpu/Dockerfile:28: skip: kept apart from the pip RUN at line 25: the COPY at "
        "line 27 brings files this RUN reads (an intentional cache split) [merge-pip-runs]"]
    assert second_pass(outcome, load_config(academy)) == {}


def _cmds(script: str):
    return _text.split_commands(script)


@pytest.mark.parametrize("script,program", [
    ("pip install a", "script"), ("pip3 install a", "script"), ("pip3.11 install a", "script"),
    ("/opt/venv/bin/pip install a", "script"), ("python -m pip install a", "module"),
    ("python3 -m pip install a", "module"), ("python3.11 -m pip install a", "module"),
    ("/usr/bin/python3 -m pip list", "module"), ("pipx install a", None), ("python -m venv v", None),
    ("python3.11 -m ensurepip --upgrade", None), ("PIP_X=1 pip install a", None), ("$PIP install a", None),
    ("python -m pipx install a", None), ("uv pip install a", None), ("pip-compile", None),
])
def test_pip_program(script: str, program: str | None) -> None:
    (cmd,) = _cmds(script)
    assert pip_program(cmd) == program


def test_pip_commands_need_every_command_to_be_pip() -> None:
    doc = parse(b'FROM a\nRUN pip install a && python -m pip check\nRUN pip install a && echo done\n'
                b'RUN ["pip", "install", "a"]\nRUN <<EOF\npip install a\nEOF\n')
    assert [pip_commands(i) is not None for i in doc.instructions[1:]] == [True, False, False, False]


@pytest.mark.parametrize("script,names", [
    ("pip install --upgrade pip", {"pip"}),
    ("pip install -U pip setuptools wheel", {"pip", "setuptools", "wheel"}),
    ("pip3 install --no-cache-dir --upgrade pip==24.0", {"pip==24.0", "pip"}),
    ("pip install -q --upgrade --root-user-action=ignore pip", {"pip"}),
    ("pip install --upgrade --progress-bar off Setuptools", {"Setuptools"}),
    ("python -m pip install --upgrade pip", {"pip"}),  # an upgrade; the hoist refuses the form
    ("pip install --upgrade pip && pip install -U wheel", {"pip", "wheel"}),
    ("pip install pip", None),  # no upgrade flag
    ("pip install --upgrade flask", None),  # not the installer
    ("pip install --upgrade -r requirements.txt", None),  # names a file
    ("pip install --upgrade ./pip", None),
    ("pip install --upgrade pip -c constraints.txt", None),
    ("pip install --upgrade --user pip", None),
    ("pip install --upgrade $PKG", None),
    ("pip install --upgrade 'pip[extra]'", None),
    ("pip install --upgrade", None),
    ("pip uninstall -y pip", None),
    ("pip install --upgrade pip && pip install flask", None),
])
def test_upgrade_names(script: str, names: set[str] | None) -> None:
    assert upgrade_names(_cmds(script)) == names


# -- properties on generated Dockerfiles ----------------------------------------------

_PIP_LINE = st.sampled_from([
    "RUN pip install a", "RUN pip3 install --no-cache-dir b==1.0", "RUN python -m pip install c",
    "RUN pip install -r requirements.txt", "RUN pip install --upgrade pip",
    "RUN pip install d \\\n    e", "RUN pip install f && pip check",
    "RUN --mount=type=cache,target=/root/.cache/pip pip install g",
    "RUN pip install x-long-name-number-one-two-three-four-five-six-seven-eight-nine",
])
_OTHER_LINE = st.sampled_from([
    "", "", "# a comment", "# dockfix: ignore[merge-pip-runs]", "COPY requirements.txt ./",
    "COPY src ./src", "USER app", "WORKDIR /srv/app", "ENV A=1", "ARG B", "RUN echo hi",
    "RUN <<EOF\npip install h\nEOF", 'RUN ["pip", "install", "i"]', "FROM python:3.11-slim AS s",
    'SHELL ["/bin/bash", "-c"]', "LABEL a=b",
])


def _sequence(data: bytes) -> tuple[list, list, list[str]]:
    """What must not change: per stage, the shell commands of the RUNs in order and the other
    instructions in order; and the comment lines (as a multiset)."""
    doc = parse(data)
    runs: list[tuple[int, str]] = []
    others: list[tuple[int, str]] = []
    for ins in doc.instructions:
        if ins.keyword == "RUN" and not ins.json and not ins.heredocs:
            cmds = _text.split_and_chain(ins.value[0]) or [ins.value[0]]
            runs += [(ins.stage, ins.flag("mount") or "", " ".join(c.split())) for c in cmds]
        else:
            others.append((ins.stage, doc.text(ins)))
    comments = sorted(line.strip() for line in data.decode().splitlines() if line.strip().startswith("#"))
    return runs, others, comments


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIP_LINE, _OTHER_LINE), min_size=1, max_size=18),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_merging_keeps_every_command_in_order(lines: list[str], eol: str, final_newline: bool) -> None:
    text = "FROM python:3.11-slim\nWORKDIR /app\n" + "\n".join(lines) + ("\n" if final_newline else "")
    data = text.replace("\n", eol).encode()
    doc = parse(data)
    ctx = Context(tree=Tree("/nonexistent", {"Dockerfile": data}), config=Config(), transform="merge-pip-runs")
    out = MergePipRuns().transform_document(ctx, "Dockerfile", doc)
    if out is None:
        return
    after = parse(out)
    assert _sequence(out) == _sequence(data)
    assert len(after.instructions) < len(doc.instructions)
    assert out.endswith(eol.encode()) == data.endswith(eol.encode())
    if eol == "\r\n":
        assert b"\n" not in out.replace(b"\r\n", b"")
    assert b"\n\n\n" not in out.replace(b"\r\n", b"\n") or b"\n\n\n" in data.replace(b"\r\n", b"\n")
    for a, b in zip([h for i in doc.instructions for h in i.heredocs],
                    [h for i in after.instructions for h in i.heredocs], strict=True):
        assert a == b
    ctx2 = Context(tree=Tree("/nonexistent", {"Dockerfile": out}), config=Config(), transform="merge-pip-runs")
    assert MergePipRuns().transform_document(ctx2, "Dockerfile", after) is None


@pytest.mark.parametrize("before,after,official,hazard", [
    (["pip3 install -U pip"], "pip3 install flask", False, "pip3"),
    (["pip3 install -U pip"], "pip3 install flask", True, None),  # replaced in place
    (["pip install --user -U pip"], "pip install flask", True, "pip"),  # ~/.local/bin
    (["pip install --prefix=/opt/p -U pip"], "pip install flask", True, "pip"),
    (["pip3 install -U pip"], "pip install flask", False, None),  # `pip` not looked up yet
    (["pip3 install -U pip"], "python3 -m pip install flask", False, None),  # an import, not a lookup
    (["/usr/bin/pip3 install -U pip"], "/usr/bin/pip3 install flask", False, None),  # a path
    (["pip3 install flask", "pip3 install -U pip"], "pip3 install x", False, "pip3"),
    (["pip3 install -U flask"], "pip3 install x", False, None),  # not pip
    (["pip install -r requirements.txt"], "pip install x", False, None),  # not read
])
def test_hash_hazard(before: list[str], after: str, official: bool, hazard: str | None) -> None:
    assert hash_hazard([_cmds(b) for b in before], _cmds(after), official) == hazard
