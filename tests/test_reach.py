"""tools/reach.py (`make reach`): which repositories it runs, and the report it writes."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from reach import RepoResult, render, repositories  # noqa: E402


def test_repositories_follow_the_fetch_list_and_name_the_missing(tmp_path: Path) -> None:
    for name in ("a+one", "b+two", "c+three", "not-a-repo"):
        (tmp_path / name).mkdir()
    listing = tmp_path / "fetch_list.txt"
    listing.write_text("# comment a/one\nb/two a/one\n  z/gone\n")
    found, missing = repositories(tmp_path, listing)
    assert [p.name for p in found] == ["b+two", "a+one"] and missing == ["z/gone"]
    found, missing = repositories(tmp_path, None)
    assert [p.name for p in found] == ["a+one", "b+two", "c+three"] and missing == []


def test_report_counts_the_safe_set_and_says_why_apply_refused() -> None:
    wrote = RepoResult("acme+api", dockerfiles=3, changed=2, planned=2, outcome="written", images=3, second_plan=0,
                       before=Counter({"DL3042": 4, "DL3008": 2}), after=Counter({"DL3042": 1, "DL3008": 2}))
    refused = RepoResult("acme+web", dockerfiles=2, unparsable=1, planned=5, outcome="refused", images=4,
                         not_proved={"web:latest": "unproven"}, reasons=Counter({"RUN: commands changed": 1}),
                         before=Counter({"DL3059": 4}), after=Counter({"DL3059": 4}))
    text = render([wrote, refused], ["z/gone"], "/corpus", 60.0)
    assert "**Safe set removed: 3/8 = 37.5%**" in text
    assert "| DL3042 | 4 | 1 | 75.0% |" in text and "| DL3059 | 4 | 4 | 0.0% |" in text
    assert "apply wrote 2 files in 1 repositories; it refused 1 repositories" in text
    assert "after apply, a second plan is empty in all 1 repositories it wrote." in text
    assert ("| acme/web | 2 (1) | 0 (5 planned) | refused | 1 of 4 not proved (1 unproven): "
            "RUN: commands changed (×1) | — | 4 → 4 | 4 → 4 |") in text
    assert "- acme/api: DL3008 2→2, DL3042 4→1" in text
    assert text.endswith("Listed but without a local copy (not run): z/gone.\n")
