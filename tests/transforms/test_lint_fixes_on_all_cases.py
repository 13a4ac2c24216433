"""The lint fixes together on every other transform's case input: no traceback, every rewrite
proved, a second run changes nothing. (Their own cases are byte-exact in test_cases.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockfix.config import load_config
from dockfix.engine import run, second_pass
from dockfix.prover import prove
from dockfix.transforms import CODES

ROOT = Path(__file__).resolve().parents[2]
LINT_FIXES = sorted(CODES.values())


def _inputs() -> list[Path]:
    found = []
    for tdir in sorted((ROOT / "transforms").iterdir()):
        if tdir.name in LINT_FIXES or not (tdir / "cases").is_dir():
            continue
        for entry in sorted((tdir / "cases").iterdir()):
            if entry.name.endswith(".before.Dockerfile") or (entry / "before").is_dir():
                found.append(entry)
    return found


@pytest.mark.parametrize("case", _inputs(), ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_lint_fixes_hold_on_other_cases(case: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    if case.is_dir():
        shutil.copytree(case / "before", root, symlinks=True)
    else:
        root.mkdir()
        (root / "Dockerfile").write_bytes(case.read_bytes())
    config = load_config(root)
    outcome = run(root, LINT_FIXES, config)
    assert second_pass(outcome, config) == {}
    verdict = prove(outcome.before, outcome.after, config)
    assert verdict.holds, verdict.report()
