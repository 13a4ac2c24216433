"""graph.churn against a real git repository the test makes (git is the ground truth)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockfix.graph.churn import HOT_EDITS, Churn, NoHistory, read_churn

BASE = ["FROM python:3.11-slim", "RUN pip install --no-cache-dir numpy==1.26.0",
        "RUN pip install --no-cache-dir pandas==2.1.0", "RUN pip install --no-cache-dir kfp==2.0.0",
        'CMD ["python"]']


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


def commit(repo: Path, lines: list[str], message: str) -> None:
    (repo / "Dockerfile").write_text("\n".join(lines) + "\n")
    git(repo, "add", "Dockerfile")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    commit(tmp_path, BASE, "create")
    return tmp_path


def churn(repo: Path, text: str | None = None) -> Churn:
    current = (repo / "Dockerfile").read_bytes() if text is None else text.encode()
    found = read_churn(repo, "Dockerfile", current)
    assert isinstance(found, Churn), found
    return found


def bump_last(repo: Path, times: int) -> list[str]:
    lines = list(BASE)
    for n in range(times):
        lines[3] = f"RUN pip install --no-cache-dir kfp==2.{n + 1}.0"
        commit(repo, lines, f"release 2.{n + 1}")
    return lines


def test_creation_is_no_edit(repo: Path) -> None:
    found = churn(repo)
    assert found.commits == 1 and all(found.edits(n, n) == 0 for n in range(1, 6))


def test_each_bump_of_a_line_counts(repo: Path) -> None:
    lines = bump_last(repo, 4)
    lines[1] = "RUN pip install --no-cache-dir numpy==1.26.4"
    commit(repo, lines, "numpy")
    found = churn(repo)
    assert found.commits == 6
    assert [found.edits(n, n) for n in range(1, 6)] == [0, 1, 0, 4, 0]
    assert found.hot(4, 4) and not found.hot(2, 3) and found.edits(1, 5) == 5
    assert HOT_EDITS == 3


def test_lines_moved_by_an_insertion_are_followed(repo: Path) -> None:
    lines = bump_last(repo, 2)
    lines.insert(1, "# tools")
    lines.insert(2, "RUN pip install --no-cache-dir black==24.1.0")
    commit(repo, lines, "black")
    lines[5] = "RUN pip install --no-cache-dir kfp==2.9.0"
    commit(repo, lines, "release 2.9")
    found = churn(repo)
    assert found.edits(6, 6) == 3  # the kfp line, now line 6, bumped three times
    assert found.edits(2, 3) == 1 and found.edits(4, 5) == 0


def test_the_current_text_is_mapped_to_head(repo: Path) -> None:
    """Transforms see the tree as earlier ones left it: two RUNs merged in memory still carry
    the history of the lines they came from."""
    lines = bump_last(repo, 3)
    merged = [lines[0], lines[1] + " \\", "    && " + lines[2][4:], lines[3], lines[4]]
    found = churn(repo, "\n".join(merged) + "\n")
    assert [found.edits(n, n) for n in range(1, 6)] == [0, 0, 0, 3, 0]


def test_window_is_the_last_ten_commits(repo: Path) -> None:
    bump_last(repo, 12)
    found = churn(repo)
    assert found.commits == 10 and found.edits(4, 4) == 10


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    found = read_churn(tmp_path, "Dockerfile", b"FROM a\n")
    assert isinstance(found, NoHistory) and found == "not a git work tree"


def test_outside_any_repository_git_is_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a repository the answer is git's, without a git process per file (a monorepo
    of 2,000 Dockerfiles forked 1,000)."""
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    ran: list = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    found = read_churn(tmp_path, "Dockerfile", b"FROM a\n")
    assert found == "not a git work tree" and ran == []


@pytest.mark.parametrize("marker", [".git", "HEAD"])
def test_where_git_may_find_a_repository_it_is_asked(tmp_path: Path, marker: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A `.git` or a HEAD (a bare repository) in ROOT or above: git decides."""
    (tmp_path / marker).write_text("")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM a\n")
    real, ran = subprocess.run, []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: (ran.append(a), real(*a, **k))[1])
    found = read_churn(tmp_path / "svc", "Dockerfile", b"FROM a\n")
    assert isinstance(found, NoHistory) and len(ran) == 1


def test_never_committed(repo: Path) -> None:
    (repo / "other.Dockerfile").write_text("FROM a\n")
    found = read_churn(repo, "other.Dockerfile", b"FROM a\n")
    assert isinstance(found, NoHistory) and found == "the file has no commits"


def test_no_git_program(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "nowhere"))
    found = read_churn(repo, "Dockerfile", b"x\n")
    assert isinstance(found, NoHistory) and found.startswith("git could not be run")


def test_a_file_in_a_subdirectory_of_the_work_tree(repo: Path) -> None:
    (repo / "svc").mkdir()
    (repo / "svc" / "Dockerfile").write_text("FROM a\nRUN b\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "svc")
    (repo / "svc" / "Dockerfile").write_text("FROM a\nRUN c\n")
    git(repo, "commit", "-qam", "c")
    found = read_churn(repo / "svc", "Dockerfile", b"FROM a\nRUN c\n")
    assert isinstance(found, Churn) and found.edits(2, 2) == 1 and found.edits(1, 1) == 0


def test_crlf_lines_map_to_head_as_written(repo: Path) -> None:
    lines = list(BASE)
    for n in range(3):
        lines[3] = f"RUN pip install --no-cache-dir kfp==2.{n + 1}.0"
        (repo / "Dockerfile").write_bytes(("\r\n".join(lines) + "\r\n").encode())
        git(repo, "commit", "-qam", f"crlf {n}")
    found = churn(repo)
    assert [found.edits(n, n) for n in range(1, 6)] == [1, 1, 1, 3, 1]  # the first CRLF commit rewrote every line
    assert found.hot(4, 4) and not found.hot(1, 3)
