"""The prover reads `. DIR/bin/activate` through the same model as the transforms
(model.venv, model.activate): pip-no-cache-dir's rewrite of such a RUN is proved, and a mutant
of it (another package, another venv, the venv not made, a COPY over it) is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import prove
from dockfix.prover.model import build_models
from dockfix.tree import Tree

BEFORE = ("FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN python -m venv .venv\n"
          "RUN . .venv/bin/activate && pip install -r requirements.txt flask==3.0.0\n"
          "CMD [\"python\", \"-V\"]\n")
REWRITE = BEFORE.replace("pip install -r", "pip install --no-cache-dir -r")


def _tree(tmp: Path, name: str, dockerfile: str) -> Tree:
    root = tmp / name
    root.mkdir()
    (root / "Dockerfile").write_text(dockerfile)
    (root / "requirements.txt").write_text("six==1.16.0\n")
    return Tree(root)


def test_the_rewrite_is_proved(tmp_path: Path) -> None:
    verdict = prove(_tree(tmp_path, "b", BEFORE), _tree(tmp_path, "a", REWRITE), Config())
    assert verdict.holds, verdict.report()


MUTANTS = {
    "another package": ("flask==3.0.0", "flask==3.0.1"),
    "another venv": (". .venv/bin/activate", ". /opt/venv/bin/activate"),
    "venv made elsewhere": ("RUN python -m venv .venv\n", "RUN python -m venv /opt/venv\n"),
    "venv not made": ("RUN python -m venv .venv\n", ""),
    "copied over": ("RUN . .venv", "COPY . .\nRUN . .venv"),
    "prompt disabled": ("RUN . .venv", "ENV VIRTUAL_ENV_DISABLE_PROMPT=1\nRUN . .venv"),
    "PATH moved": ("&& pip install", "&& export PATH=/opt/bin:$PATH && pip install"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_is_refused(name: str, tmp_path: Path) -> None:
    old, new = MUTANTS[name]
    assert old in REWRITE
    verdict = prove(_tree(tmp_path, "b", BEFORE), _tree(tmp_path, "a", REWRITE.replace(old, new)), Config())
    assert not verdict.holds, verdict.report()


def test_the_prover_model_reads_pip_through_the_activation(tmp_path: Path) -> None:
    """The pip record of the image: in /app (the activation keeps the directory), reading
    /app/requirements.txt, with the venv's VIRTUAL_ENV and PATH in what pip reads; the same RUN
    after a venv the stage did not make is read as unknown."""
    (model,) = build_models(_tree(tmp_path, "b", BEFORE), Config()).values()
    (pip,) = model.state.pip
    assert "six==1.16.0" in pip.requirements and pip.files == ("/app/requirements.txt",)
    assert "VIRTUAL_ENV=/app/.venv" in pip.env
    assert any(e.startswith("PATH=/app/.venv/bin:") for e in pip.env)
    assert not model.state.unknown_effects
    (other,) = build_models(_tree(tmp_path, "o", BEFORE.replace("RUN python -m venv .venv\n", "")), Config()).values()
    assert other.state.unknown_effects and "six==1.16.0" not in other.state.pip[0].requirements


def test_a_venv_made_and_sourced_in_one_run(tmp_path: Path) -> None:
    before = "FROM python:3.11-slim\nRUN python -m venv /opt/v && . /opt/v/bin/activate && pip install flask==3.0.0\n"
    after = before.replace("pip install", "pip install --no-cache-dir")
    assert prove(_tree(tmp_path, "b", before), _tree(tmp_path, "a", after), Config()).holds
    (model,) = build_models(_tree(tmp_path, "m", before), Config()).values()
    assert "VIRTUAL_ENV=/opt/v" in model.state.pip[0].env and not model.state.unknown_effects
    mutant = after.replace(". /opt/v/bin/activate", ". /opt/w/bin/activate")
    assert not prove(_tree(tmp_path, "b2", before), _tree(tmp_path, "a2", mutant), Config()).holds
