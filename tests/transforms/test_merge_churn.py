"""Issue 16's kubeflow example: merge-pip-runs joined seven pip RUNs into one, although the last
is the line the project's releases bump (6 of the last 8 commits to the file), and stacked the
section comments above one RUN. Fixture of our own, in a git repository the test makes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockfix.config import load_config
from dockfix.engine import run, second_pass
from dockfix.prover import prove

SECTIONS = [("# Data processing", "'apache-beam[gcp]==2.50.0'"), ("# Google Cloud", "google-cloud-aiplatform==1.35.0"),
            ("# Dataframes", "pandas==2.1.1"), ("# Models", "scikit-learn==1.3.1"),
            ("# Serving", "fastapi==0.103.2"), ("# Testing", "pytest==7.4.2"), ("# The pipeline SDK", "kfp==2.0.0")]


def dockerfile(kfp: str = "kfp==2.0.0", pandas: str = "pandas==2.1.1") -> str:
    lines = ["FROM python:3.11-slim\n"]
    for comment, req in SECTIONS:
        req = kfp if req.startswith("kfp") else pandas if req.startswith("pandas") else req
        lines.append(f"{comment}\nRUN pip install --no-cache-dir {req}\n")
    return "".join(lines) + 'CMD ["python"]\n'


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


def commit(repo: Path, text: str) -> None:
    (repo / "Dockerfile").write_text(text)
    git(repo, "add", "Dockerfile")
    git(repo, "commit", "-q", "-m", "x")


@pytest.fixture
def kubeflow(tmp_path: Path) -> Path:
    """8 commits to the file: created, pandas bumped once, kfp bumped in six releases."""
    git(tmp_path, "init", "-q")
    commit(tmp_path, dockerfile())
    commit(tmp_path, dockerfile(pandas="pandas==2.1.2"))
    for minor in range(1, 7):
        commit(tmp_path, dockerfile(kfp=f"kfp==2.{minor}.0", pandas="pandas==2.1.2"))
    return tmp_path


MERGED_SIX = (
    "FROM python:3.11-slim\n"
    "# Data processing\n"
    "RUN pip install --no-cache-dir 'apache-beam[gcp]==2.50.0' \\\n"
    "    # Google Cloud\n"
    "    && pip install --no-cache-dir google-cloud-aiplatform==1.35.0 \\\n"
    "    # Dataframes\n"
    "    && pip install --no-cache-dir pandas==2.1.2 \\\n"
    "    # Models\n"
    "    && pip install --no-cache-dir scikit-learn==1.3.1 \\\n"
    "    # Serving\n"
    "    && pip install --no-cache-dir fastapi==0.103.2 \\\n"
    "    # Testing\n"
    "    && pip install --no-cache-dir pytest==7.4.2\n")


def _apply(root: Path):
    config = load_config(root)
    outcome = run(root, ["merge-pip-runs"], config)
    assert second_pass(outcome, config) == {}
    verdict = prove(outcome.before, outcome.after, config)
    assert verdict.holds, verdict.report()
    return outcome


def test_the_release_line_stays_apart_and_sections_stay_with_their_commands(kubeflow: Path) -> None:
    outcome = _apply(kubeflow)
    assert outcome.after.read("Dockerfile").decode() == (
        MERGED_SIX + "# The pipeline SDK\nRUN pip install --no-cache-dir kfp==2.6.0\nCMD [\"python\"]\n")
    assert [str(n) for n in outcome.notes] == [
        "Dockerfile:15: skip: kept apart: 6 of the last 8 commits to the file edit this RUN; merged, each edit "
        "would re-run the commands it joins [merge-pip-runs]"]


def test_without_history_nothing_is_known_and_all_seven_merge(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile(kfp="kfp==2.6.0", pandas="pandas==2.1.2"))
    outcome = _apply(tmp_path)
    assert outcome.after.read("Dockerfile").decode() == (
        MERGED_SIX.replace("pytest==7.4.2\n", "pytest==7.4.2 \\\n")
        + "    # The pipeline SDK\n    && pip install --no-cache-dir kfp==2.6.0\nCMD [\"python\"]\n")
    assert outcome.notes == []


def test_uncommitted_edits_are_read_against_head(kubeflow: Path) -> None:
    """The working tree's text, not HEAD's, is what is merged: lines are mapped to HEAD first."""
    text = (kubeflow / "Dockerfile").read_text().replace("FROM python:3.11-slim\n", "FROM python:3.11-slim\nENV A=1\n")
    (kubeflow / "Dockerfile").write_text(text)
    outcome = _apply(kubeflow)
    after = outcome.after.read("Dockerfile").decode()
    assert "\n# The pipeline SDK\nRUN pip install --no-cache-dir kfp==2.6.0\n" in after
    assert [n.line for n in outcome.notes] == [16]


def test_one_git_call_per_file_and_none_without_a_candidate(kubeflow: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockfix.graph import churn

    calls: list[list[str]] = []
    real = churn.subprocess.run

    def counted(args, **kwargs):
        calls.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(churn.subprocess, "run", counted)
    (kubeflow / "other.Dockerfile").write_text("FROM python:3.11-slim\nRUN pip install --no-cache-dir six==1.16.0\n")
    config = load_config(kubeflow)
    run(kubeflow, ["merge-pip-runs", "merge-runs"], config)
    assert [c[-1] for c in calls] == ["Dockerfile"]
