"""One harness for every transform case, byte for byte.

A case is either a pair of files
    transforms/<name>/cases/<case>.before.Dockerfile
    transforms/<name>/cases/<case>.after.Dockerfile   (absent: must come out unchanged)
run as a one-file repo (the file is named `Dockerfile`), or a pair of trees
    transforms/<name>/cases/<case>/before/...
    transforms/<name>/cases/<case>/after/...          (absent: must come out unchanged)

For every case the harness checks: the transform's output equals `after` byte for byte;
a second run changes nothing (idempotence); and the prover judges (before, after) held.
A case may carry `<case>.notes` (or `<case>/notes`): the exact notes the run must report,
and `<case>.transforms` (or `<case>/transforms`): the transforms the run runs, when the case
is about a transform together with those it follows (root-swap acts only on a base that
non-root made non-root in the same run); without it the run is the transform alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockfix.config import load_config
from dockfix.engine import run, second_pass

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "transforms"


def _cases() -> list[tuple[str, str, Path]]:
    found = []
    for tdir in sorted(p for p in CASES.iterdir() if (p / "cases").is_dir()):
        for entry in sorted((tdir / "cases").iterdir()):
            if entry.name.endswith(".before.Dockerfile"):
                found.append((tdir.name, entry.name[: -len(".before.Dockerfile")], entry))
            elif entry.is_dir() and (entry / "before").is_dir():
                found.append((tdir.name, entry.name, entry))
    return found


def _transforms(name: str, case: Path) -> list[str]:
    named = case / "transforms" if case.is_dir() else case.with_name(
        case.name.replace(".before.Dockerfile", ".transforms"))
    return named.read_text().split() if named.exists() else [name]


def _materialise(case: Path, tmp: Path) -> tuple[Path, dict[str, bytes], Path | None]:
    """Copy the case's before state into tmp; return (root, expected files, notes file)."""
    root = tmp / "repo"
    if case.is_dir():
        shutil.copytree(case / "before", root, symlinks=True)
        expected_dir = case / "after" if (case / "after").is_dir() else case / "before"
        expected = {str(p.relative_to(expected_dir)): p.read_bytes()
                    for p in sorted(expected_dir.rglob("*")) if p.is_file()}
        notes = case / "notes"
    else:
        root.mkdir()
        before = case.read_bytes()
        (root / "Dockerfile").write_bytes(before)
        after = case.with_name(case.name.replace(".before.", ".after."))
        expected = {"Dockerfile": after.read_bytes() if after.exists() else before}
        notes = case.with_name(case.name.replace(".before.Dockerfile", ".notes"))
    return root, expected, notes if notes.exists() else None


@pytest.mark.parametrize("name,case_name,case", _cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_transform_case(name: str, case_name: str, case: Path, tmp_path: Path) -> None:
    root, expected, notes_file = _materialise(case, tmp_path)
    config = load_config(root)
    names = _transforms(name, case)
    assert name in names, "a case runs the transform it belongs to"
    outcome = run(root, names, config)

    actual = {p: outcome.after.read(p) for p in outcome.after.paths()}
    assert sorted(actual) == sorted(expected), "the set of files differs"
    for path in expected:
        assert actual[path] == expected[path], f"{path} differs from the expected output"

    assert second_pass(outcome, config) == {}, "a second run still changes files"

    if notes_file is not None:
        got = "".join(f"{n}\n" for n in outcome.notes)
        assert got == notes_file.read_text(), "reported notes differ"

    from dockfix.prover import prove

    verdict = prove(outcome.before, outcome.after, config)
    expected = NOT_PROVED.get((name, case_name))
    if expected is not None:  # exactly this outcome, for exactly these invariants
        outcome, invariants = expected
        assert verdict.outcome.value == outcome, verdict.report()
        assert sorted({f.invariant for f in verdict.findings if f.severity == outcome}) == invariants, verdict.report()
        return
    assert verdict.holds, verdict.report()


# Cases whose output the prover does not prove, with why: transform issues, not rules to loosen.
# Empty: every case is proved. (A transform whose output would be unproven skips with a note.)
NOT_PROVED: dict[tuple[str, str], tuple[str, list[str]]] = {}
