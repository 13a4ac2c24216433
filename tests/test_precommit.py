"""The hooks as a user meets them: real `pre-commit try-repo` in a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BEFORE = PROJECT / "golden" / "academy" / "before"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(cwd.parent / "pre-commit-home"), GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def _pre_commit(*args: str) -> list[str]:
    return [sys.executable, "-m", "pre_commit", *args]


def test_check_hook_fails_before_and_passes_after_option_2(tmp_path: Path) -> None:
    repo = tmp_path / "academy"
    shutil.copytree(BEFORE, repo)
    assert _run(["git", "init", "-q"], repo).returncode == 0
    _run(["git", "add", "-A"], repo)
    assert _run(["git", "commit", "-qm", "before"], repo).returncode == 0

    first = _run(_pre_commit("try-repo", str(PROJECT), "dockfix-check", "--all-files"), repo)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "docker/ai-worker-cpu/Dockerfile:34" in first.stdout

    applied = _run([str(Path(sys.executable).parent / "dockfix"), "apply", ".", "--option", "2"], repo)
    assert applied.returncode == 0, applied.stderr
    _run(["git", "add", "-A"], repo)
    second = _run(_pre_commit("try-repo", str(PROJECT), "dockfix-check", "--all-files"), repo)
    assert second.returncode == 0, second.stdout + second.stderr


def test_verify_hook_guards_hand_edits(tmp_path: Path) -> None:
    repo = tmp_path / "academy"
    shutil.copytree(BEFORE, repo)
    _run(["git", "init", "-q"], repo)
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", "before"], repo)
    api = repo / "docker" / "api" / "Dockerfile"
    api.write_text(api.read_text().replace("0.0.0.0:8000", "0.0.0.0:9000"))
    _run(["git", "add", "-A"], repo)
    broken = _run(_pre_commit("try-repo", str(PROJECT), "dockfix-verify", "--all-files"), repo)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "CMD" in broken.stdout
