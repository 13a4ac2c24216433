"""Issue 13's examples, end to end: each was a false defect (or a wrong rewrite the prover
approved) on a public repository. Every fixture here is a small tree written for this test.

`check` must report no pre-existing defect for a build that really succeeds; a rewrite that
changes what runs must not be approved."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dockfix.cli import app


# Each tree is built by compose with `.` as its context, so the context is known and every
# COPY is judged (a Dockerfile no build names, whose sources resolve nowhere, has an unknown
# context, and then no COPY defect is reported at all).
COMPOSE = "services:\n  app:\n    image: acme/app\n    build: .\n"


def _tree(root: Path, files: dict[str, str]) -> Path:
    files = {"compose.yaml": COMPOSE, **files}
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def _defects(root: Path) -> list[str]:
    result = CliRunner().invoke(app, ["check", str(root), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    return [f"{d['path']}:{d['line']}: {d['message']}" for d in data["defects"]]


def _verify(before: Path, after: Path):
    return CliRunner().invoke(app, ["verify", str(before), str(after)])


PY = "FROM python:3.11-slim\n"


def test_cd_in_a_run_moves_where_pip_reads(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "WORKDIR /app\nCOPY sub/req.txt sub/req.txt\n"
                     "RUN cd sub && pip install --no-cache-dir -r req.txt\nCMD [\"python\"]\n",
                     "sub/req.txt": "flask==3.0.0\n"})
    assert _defects(tmp_path) == []


def test_a_single_file_copied_to_an_existing_directory_lands_inside_it(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "COPY app.py /src/\nCOPY requirements.txt /src\n"
                     "RUN pip install --no-cache-dir -r /src/requirements.txt\nCMD [\"python\", \"/src/app.py\"]\n",
                     "app.py": "print(1)\n", "requirements.txt": "flask==3.0.0\n"})
    assert _defects(tmp_path) == []


def test_empty_wildcard_sources_are_allowed(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "COPY environment.yml* noop.txt /tmp/x/\nCOPY cwallet.ss[o] ./\n"
                     "CMD [\"python\"]\n",
                     "noop.txt": "\n"})
    assert _defects(tmp_path) == []


def test_a_file_an_earlier_stage_built_is_no_defect(tmp_path):
    _tree(tmp_path, {"Dockerfile": "FROM golang:1.22 AS builder\nWORKDIR /src\nCOPY main.go .\n"
                     "RUN go build -o /svc main.go\n"
                     "FROM debian:bookworm-slim\nCOPY --from=builder /svc /usr/local/bin/svc\n"
                     "CMD [\"svc\"]\n",
                     "main.go": "package main\nfunc main() {}\n"})
    assert _defects(tmp_path) == []


def test_a_tarball_extracted_in_the_same_run_is_no_defect(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "COPY dist.tar.gz /tmp/\n"
                     "RUN mkdir /opt/app && tar -xzf /tmp/dist.tar.gz -C /opt/app "
                     "&& pip install --no-cache-dir -r /opt/app/requirements.txt\nCMD [\"python\"]\n",
                     "dist.tar.gz": "not really a tarball\n"})
    assert _defects(tmp_path) == []


def test_copy_of_the_git_directory_is_no_defect(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "COPY .git /src/.git\nCMD [\"python\"]\n",
                     ".git/HEAD": "ref: refs/heads/main\n"})
    assert _defects(tmp_path) == []


def test_a_quoted_workdir_is_read_without_its_quotes(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "WORKDIR \"serve\"\nCOPY requirements.txt .\n"
                     "RUN pip install --no-cache-dir -r /serve/requirements.txt\nCMD [\"python\"]\n",
                     "requirements.txt": "flask==3.0.0\n"})
    assert _defects(tmp_path) == []


def test_pip_inside_a_condition_is_not_a_defect_when_the_file_may_be_absent(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "WORKDIR /app\nCOPY . .\n"
                     "RUN if [ -s requirements-dev.txt ]; then pip install --no-cache-dir -r requirements-dev.txt; fi\n"
                     "CMD [\"python\"]\n",
                     "app.py": "print(1)\n"})
    assert _defects(tmp_path) == []


def test_a_source_git_ignores_is_made_by_ci_before_the_build(tmp_path):
    _tree(tmp_path, {"Dockerfile": PY + "COPY dist/ /app/dist/\nCMD [\"python\"]\n",
                     ".gitignore": "dist/\n"})
    assert _defects(tmp_path) == []


def test_a_trailing_comment_never_swallows_a_merged_command(tmp_path):
    before = _tree(tmp_path / "before", {"Dockerfile": PY + "RUN pip install --no-cache-dir a==1  # web\n"
                                         "RUN pip install --no-cache-dir b==2\nCMD [\"python\"]\n"})
    result = CliRunner().invoke(app, ["plan", str(before), "--option", "1"])
    assert result.exit_code == 0
    assert "# web \\\n" not in result.stdout and "# web &&" not in result.stdout
    # The rewrite the prover used to approve: b is never installed (`#` comments out the rest).
    after = _tree(tmp_path / "after", {"Dockerfile": PY + "RUN pip install --no-cache-dir a==1  # web \\\n"
                                       "    && pip install --no-cache-dir b==2\nCMD [\"python\"]\n"})
    verdict = _verify(before, after)
    assert verdict.exit_code == 1, verdict.output
