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


def test_each_remaining_finding_gets_one_reason_class(tmp_path: Path) -> None:
    from reach_why import classify, judge

    (tmp_path / "Dockerfile").write_text(
        "FROM debian:trixie\n"
        "RUN apt-get update && apt-get install -y curl && apt-get dist-clean\n"  # 2: DL3009, nothing to fix
        "RUN make\n"                                                            # 3
        "RUN make install\n"                                                    # 4: DL3059, note on 3
        "RUN pip install six\n")                                                # 5: DL3042, no note
    notes = [{"transform": "merge-runs", "kind": "skip", "path": "Dockerfile", "line": 3,
              "message": "not merged: `make` is not a program known to change no shell state and leave no process behind"},
             {"transform": "non-root", "kind": "skip", "path": "Dockerfile", "line": 4, "message": "unrelated"}]
    remaining = [("Dockerfile", 2, "DL3009"), ("Dockerfile", 4, "DL3059"), ("Dockerfile", 5, "DL3042")]
    why = classify(tmp_path, remaining, notes, "written")
    assert why == [
        ("DL3009", "`apt-get dist-clean` removes the lists (hadolint does not know it)"),
        ("DL3059", "merge-runs: not merged: `…` is not a program known to change no shell state and leave no "
                   "process behind"),
        ("DL3042", "pip-no-cache-dir: no note (the transform did not fire)")]
    assert judge(*why[0]) is not None and judge(*why[1]) is None and judge(*why[2]) is None
    assert classify(tmp_path, remaining, notes, "refused") == [
        (code, "apply refused: an image of the repository not proved") for _, _, code in remaining]


def test_report_gives_the_figure_over_the_fixable_findings_naming_each_exclusion() -> None:
    r = RepoResult("acme+api", dockerfiles=1, changed=1, planned=1, outcome="written", images=1, second_plan=0,
                   before=Counter({"DL3042": 4, "DL3009": 2}), after=Counter({"DL3042": 1, "DL3009": 1}),
                   why=[("DL3042", "pip-no-cache-dir: no note (the transform did not fire)"),
                        ("DL3009", "`apt-get dist-clean` removes the lists (hadolint does not know it)")])
    text = render([r], [], "/corpus", 60.0)
    assert "**Safe set removed: 4/6 = 66.7%**" in text
    assert "**Over the findings that have a fix keeping the image's behaviour: 4/5 = 80.0%** (1 of the 2 left" in text
    assert "| DL3042 | pip-no-cache-dir: no note (the transform did not fire) | 1 | yes |" in text
    assert "| DL3009 | `apt-get dist-clean` removes the lists (hadolint does not know it) | 1 | no: nothing to fix" in text


def test_classes_without_a_behaviour_keeping_fix_are_named(tmp_path: Path) -> None:
    from reach_why import classify, judge

    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11\n"
        "RUN apt-get update\n"                                         # 2: DL3009, lists read at line 3
        "RUN apt-get install -y curl\n"
        "RUN pip install --no-cache six\n"                             # 4: DL3042, the cache is off
        "WORKDIR /app\n")
    notes = [{"transform": "remove-apt-lists", "kind": "skip", "path": "Dockerfile", "line": 2,
              "message": "apt lists kept: Dockerfile:3 runs `apt-get`, which reads it"},
             {"transform": "copy-absolute-dest", "kind": "skip", "path": "Dockerfile", "line": 5,
              "message": "COPY destination 'a.txt' kept relative: the base image acme/base:1.2 is not one whose "
                         "working directory is known"}]
    why = classify(tmp_path, [("Dockerfile", 2, "DL3009"), ("Dockerfile", 4, "DL3042"), ("Dockerfile", 5, "DL3045")],
                   notes, "written")
    assert why == [
        ("DL3009", "remove-apt-lists: apt lists kept: a later RUN runs `…`, which reads it"),
        ("DL3042", "pip's cache is already off: `--no-cache` (hadolint wants `--no-cache-dir`)"),
        ("DL3045", "copy-absolute-dest: COPY destination '…' kept relative: the base image … is not one whose "
                   "working directory is known")]
    assert all(judge(*w) is not None for w in why)


def test_add_classes_without_a_fix_are_named_and_the_others_are_not(tmp_path: Path) -> None:
    from reach_why import classify, judge
    from reach_why import normalise as normalise_note

    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\n"
        "ARG TOOL_URL=https://example.com/tool\n"
        "ADD $TOOL_URL /usr/local/bin/tool\n"                          # 3: a URL in a variable
        "ADD nagios.init /etc/sv/nagios/run\n"                         # 4: in no directory
        "ADD app.conf /etc/\n")                                        # 5: context not known
    notes = [{"transform": "copy-for-add", "kind": "skip", "path": "Dockerfile", "line": 3,
              "message": "ADD kept: a source is a URL or a git repository (`https://example.com/tool`): fetching "
                         "is what ADD is for"},
             {"transform": "copy-for-add", "kind": "skip", "path": "Dockerfile", "line": 4,
              "message": "ADD kept: 'nagios.init' is in no directory of the repository: its bytes, which decide "
                         "whether ADD extracts it, are not known"},
             {"transform": "copy-for-add", "kind": "skip", "path": "Dockerfile", "line": 5,
              "message": "ADD kept: the build context is not known"}]
    notes.append({"transform": "copy-for-add", "kind": "skip", "path": "Dockerfile", "line": 5,
                  "message": "ADD kept: BuildKit rejects a source word (`conf\\\\\"`: unexpected end of statement "
                             "while looking for matching double-quote): the build fails here"})
    why = classify(tmp_path, [("Dockerfile", n, "DL3020") for n in (3, 4, 5)], notes, "written")
    assert [judge(*w) is not None for w in why] == [True, True, False]
    assert judge("DL3020", "copy-for-add: " + normalise_note(notes[-1]["message"])) is not None


def test_pip_classes_without_a_fix_are_named(tmp_path: Path) -> None:
    from reach_why import classify, judge

    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nENV PIP_NO_CACHE_DIR=off\nRUN pip install six\n"
                                         "RUN pip install x && cp /root/.cache/pip/wheels/*/x.whl /w/\n")
    notes = [{"transform": "pip-no-cache-dir", "kind": "skip", "path": "Dockerfile", "line": 3,
              "message": "pip install: pip's cache is already off: ENV PIP_NO_CACHE_DIR=off (pip turns it off for "
                         "any value it accepts)"},
             {"transform": "pip-no-cache-dir", "kind": "skip", "path": "Dockerfile", "line": 4,
              "message": "pip install: a command reads the pip or uv cache directory (`cp`, line 4): without the "
                         "cache it reads nothing"}]
    why = classify(tmp_path, [("Dockerfile", 3, "DL3042"), ("Dockerfile", 4, "DL3042")], notes, "written")
    assert all(judge(*w) is not None for w in why)
