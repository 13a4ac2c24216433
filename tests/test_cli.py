"""The command line as a user meets it: streams, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
from typer.testing import CliRunner

from dockfix.cli import app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_BEFORE = ROOT / "golden" / "academy" / "before"


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _golden_dockerfiles() -> list[Path]:
    return sorted(p for p in (ROOT / "golden").rglob("*")
                  if p.is_file() and (p.name == "Dockerfile" or p.name.startswith("Dockerfile.")))


@pytest.mark.parametrize("path", _golden_dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_parse_json_lines_match_buildkit(path: Path) -> None:
    result = _cli("parse", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    ours = [(i["instruction"], i["start_line"], i["end_line"]) for i in json.loads(result.stdout)["instructions"]]
    theirs = [(c.cmd.upper(), c.start_line, c.end_line) for c in dockerfile.parse_file(str(path))]
    assert ours == theirs


def test_parse_rejects_unterminated_heredoc(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_bytes(b"FROM a\nRUN <<EOF\necho\n")
    result = _cli("parse", str(bad), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{bad}:2: unterminated heredoc\n"


def test_parse_rejects_file_without_instructions(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_bytes(b"# only a comment\n\n")
    result = _cli("parse", str(bad))
    assert result.exit_code == 2
    assert result.stderr == f"{bad}:2: file with no instructions\n"


def test_parse_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = _cli("parse", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "No such file" in result.stderr and "Traceback" not in result.stderr


def test_plan_on_a_missing_root_is_bad_input(tmp_path: Path) -> None:
    result = _cli("plan", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path / 'nope'}: no such directory")


def test_plan_with_a_malformed_dockerfile_skips_it_and_plans_the_others(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    good = b"FROM python:3.11-slim\nRUN pip install a\nRUN pip install b\n"
    (tmp_path / "good" / "Dockerfile").write_bytes(good)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Dockerfile").write_bytes(b"FROM a\nCOPY <<EOF /x\nbody\n")
    result = _cli("plan", str(tmp_path), "--option", "1")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"{tmp_path}/bad/Dockerfile:2: warning: unterminated heredoc; "
                                    "BuildKit rejects this file, skipped\n"), result.stderr
    assert result.stdout.startswith("diff --git a/good/Dockerfile b/good/Dockerfile\n")
    assert "bad/Dockerfile" not in result.stdout
    assert (tmp_path / "good" / "Dockerfile").read_bytes() == good


def test_plan_exits_0_with_and_without_changes(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.11-slim\nRUN pip install a\nRUN pip install b\n")
    first = _cli("plan", str(tmp_path), "--option", "1")
    assert first.exit_code == 0
    assert first.stdout.startswith("diff --git a/Dockerfile b/Dockerfile\n")
    assert _cli("apply", str(tmp_path), "--option", "1").exit_code == 0
    second = _cli("plan", str(tmp_path), "--option", "1")
    assert second.exit_code == 0 and second.stdout == ""


def test_unknown_transform_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM a\n")
    result = _cli("plan", str(tmp_path), "--only", "no-such-thing")
    assert result.exit_code == 2
    assert "unknown transform 'no-such-thing'" in result.stderr


def test_only_outside_the_named_preset_says_so(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM a\nRUN apt-get update\nRUN apt-get install -y x\n")
    result = _cli("plan", str(tmp_path), "--option", "1", "--only", "merge-apt-runs")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert ("--only merge-apt-runs: not in option 1 (layers: merge-pip-runs, merge-runs, apt-get-for-apt, "
            "remove-apt-lists, apk-no-cache, dnf-clean-all, yum-clean-all, yarn-cache-clean, pip-no-cache-dir, "
            "copy-for-add, "
            "copy-absolute-dest); they are in option 3, "
            "or drop --option to run exactly the named transforms") in result.stderr


def test_only_without_a_preset_runs_exactly_the_named_transforms(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(
        b"FROM a\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
        b"RUN apt-get update && apt-get install -y y && rm -rf /var/lib/apt/lists/*\n")
    result = _cli("plan", str(tmp_path), "--only", "merge-apt-runs")
    assert result.exit_code == 0
    assert "+RUN apt-get update && apt-get install -y \\\n+    x \\\n+    y \\\n" in result.stdout


def test_help_imports_neither_libcst_nor_the_prover() -> None:
    code = ("import sys; sys.argv = ['dockfix', '--help']\n"
            "from dockfix.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "bad = [m for m in sys.modules if m == 'libcst' or m.startswith('dockfix.prover')]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args, code", [
    (["check", str(GOLDEN_BEFORE)], 1),
    (["plan", str(GOLDEN_BEFORE), "--option", "3", "--format", "json"], 0),
    (["plan", "/nonexistent-dockfix-root"], 2),
])
def test_the_command_exits_with_the_code_and_all_the_output(args: list[str], code: int) -> None:
    """`dockfix` (cli.entry) skips the interpreter's teardown: the exit code and every byte
    written must still come out, as the in-process run gives them."""
    done = subprocess.run([sys.executable, "-m", "dockfix", *args], capture_output=True, text=True)
    expected = _cli(*args)
    assert done.returncode == expected.exit_code == code
    assert done.stdout == expected.stdout
    assert done.stderr == expected.stderr
