"""SARIF 2.1.0 output, for GitHub code scanning: one rule per transform and per defect
kind; one result per changed region (rule = the transform) and per defect."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from dockfix import __version__
from dockfix import transforms as registry

if TYPE_CHECKING:
    from dockfix.pipeline import Plan

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/dockfix/dockfix"


def _changed_regions(before: bytes, after: bytes) -> list[tuple[int, int]]:
    """1-based (start, end) line ranges of `before` that a change replaces or touches."""
    a, b = before.split(b"\n"), after.split(b"\n")
    regions = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = i1 + 1
        end = max(i2, i1 + 1)  # a pure insertion points at the line it goes before
        regions.append((min(start, max(len(a), 1)), min(end, max(len(a), 1))))
    return regions


def _transform_rules() -> list[dict]:
    rules = []
    for name in sorted(registry.REGISTRY):
        t = registry.load(name)
        rules.append({
            "id": name,
            "name": "".join(part.capitalize() for part in name.split("-")),
            "shortDescription": {"text": t.summary},
            "fullDescription": {"text": f"{t.summary} Safety: {t.safety.value}."
                                + (f" Answers {t.answers}." if t.answers else "")},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"safety": t.safety.value},
        })
    return rules


def _defect_rules() -> list[dict]:
    from dockfix.prover import DEFECT_KINDS

    return [{"id": kind, "name": "".join(p.capitalize() for p in kind.split("-")),
             "shortDescription": {"text": text}, "defaultConfiguration": {"level": "error"}}
            for kind, text in sorted(DEFECT_KINDS.items())]


def _location(path: str, start: int, end: int | None = None) -> dict:
    region = {"startLine": max(start, 1)}
    if end is not None and end >= start:
        region["endLine"] = end
    return {"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                                 "region": region}}


def _change_results(plan: "Plan") -> list[dict]:
    results = []
    for step in plan.outcome.steps:
        for path, (prior, data) in sorted(step.files.items()):
            for start, end in _changed_regions(prior, data):
                results.append({
                    "ruleId": step.transform,
                    "level": "warning",
                    "message": {"text": f"{step.transform}: {registry.load(step.transform).summary}"},
                    "locations": [_location(path, start, end)],
                })
    return results


def _defect_results(defects) -> list[dict]:
    return [{"ruleId": d.kind, "level": "warning" if d.severity == "warning" else "error", "message": {"text": d.message},
             "locations": [_location(d.path, d.line or 1)]} for d in defects]


def _log(rules: list[dict], results: list[dict]) -> dict:
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockfix", "version": __version__,
                                "informationUri": INFO_URI, "rules": rules}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def plan_to_sarif(plan: "Plan") -> dict:
    return _log(_transform_rules() + _defect_rules(), _change_results(plan))


def check_to_sarif(plan: "Plan", defects) -> dict:
    return _log(_transform_rules() + _defect_rules(), _change_results(plan) + _defect_results(defects))
