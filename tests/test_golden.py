"""The academy golden repo: `apply --option N` on a copy of before/ equals option-N/
byte for byte; `plan` equals the diff between the trees and `git apply` accepts it;
a second plan is empty."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.diff import unified_diff

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "academy"
OPTIONS = [1, 2, 3]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _tree_diff(before: Path, after: Path) -> bytes:
    a, b = _files(before), _files(after)
    return b"".join(unified_diff(p, a.get(p), b.get(p)) for p in sorted(set(a) | set(b)))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    dst = tmp_path / "repo"
    shutil.copytree(GOLDEN / "before", dst, symlinks=True)
    return dst


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("option", OPTIONS)
def test_apply_equals_golden_tree(option: int, work: Path) -> None:
    result = _cli("apply", str(work), "--option", str(option))
    assert result.exit_code == 0, result.stderr
    assert _files(work) == _files(GOLDEN / f"option-{option}")


@pytest.mark.parametrize("option", OPTIONS)
def test_plan_is_the_diff_between_trees(option: int, work: Path) -> None:
    result = _cli("plan", str(work), "--option", str(option))
    assert result.exit_code == 0, result.stderr
    expected = _tree_diff(GOLDEN / "before", GOLDEN / f"option-{option}")
    assert result.stdout_bytes == expected


@pytest.mark.parametrize("option", OPTIONS)
def test_git_apply_accepts_the_plan(option: int, work: Path, tmp_path: Path) -> None:
    patch = tmp_path / "x.patch"
    assert _cli("plan", str(work), "--option", str(option), "--output", str(patch)).exit_code == 0
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "apply", "--check", str(patch)], check=True)
    subprocess.run(["git", "-C", str(work), "apply", str(patch)], check=True)
    shutil.rmtree(work / ".git")
    assert _files(work) == _files(GOLDEN / f"option-{option}")


@pytest.mark.parametrize("option", OPTIONS)
def test_second_plan_is_empty(option: int, work: Path) -> None:
    assert _cli("apply", str(work), "--option", str(option)).exit_code == 0
    again = _cli("plan", str(work), "--option", str(option))
    assert again.exit_code == 0
    assert again.stdout_bytes == b""


def test_option_2_then_3_equals_option_3(work: Path) -> None:
    assert _cli("apply", str(work), "--option", "2").exit_code == 0
    assert _cli("apply", str(work), "--option", "3").exit_code == 0
    assert _files(work) == _files(GOLDEN / "option-3")


def test_result_does_not_depend_on_the_order_of_independent_transforms(work: Path, tmp_path: Path) -> None:
    """merge-pip-runs, merge-apt-runs and prune-dockerignore touch different things: any order
    gives the option-3 tree when the rest of the preset runs after them."""
    import itertools

    from dockfix.config import Config
    from dockfix.engine import run
    from dockfix.tree import Tree

    independent = ["merge-pip-runs", "merge-apt-runs", "prune-dockerignore"]
    from dockfix.transforms import PRESETS

    rest = [n for n in PRESETS[3] if n not in independent]  # in their canonical order
    results = set()
    for order in itertools.permutations(independent):
        tree = Tree(work)
        for name in order:  # one at a time: run() would put them in canonical order
            run(work, [name], Config(), tree=tree)
        run(work, rest, Config(), tree=tree)  # non-root fires only when root-swap runs after it
        results.add(tuple(sorted((p, tree.read(p)) for p in tree.paths())))
    assert len(results) == 1
    [result] = results
    assert dict(result) == _files(GOLDEN / "option-3")
