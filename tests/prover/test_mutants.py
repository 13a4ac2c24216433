"""Every protected invariant has a mutant that must be judged broken; valid rewrites must hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.config import Config
from dockfix.prover import find_defects, prove
from dockfix.tree import Tree

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "academy"

BASE = {
    "compose.yaml": ("services:\n  base:\n    image: shop-base\n    build: {context: ., dockerfile: docker/Dockerfile.base}\n"
                     "  web:\n    image: shop-web\n    build: {context: ., dockerfile: docker/web/Dockerfile}\n"),
    "docker/Dockerfile.base": ("FROM python:3.11-slim AS builder\nWORKDIR /build\nCOPY requirements/common.txt ./requirements/\n"
                               "RUN pip install --user -r requirements/common.txt\n\nFROM python:3.11-slim\n"
                               "ENV PYTHONPATH=/app\nENV PATH=/root/.local/bin:$PATH\nWORKDIR /app\n"
                               "COPY --from=builder /root/.local /root/.local\nCOPY app ./app\nCMD [\"python\", \"--version\"]\n"),
    "docker/web/Dockerfile": ("ARG BASE=shop-base\nFROM ${BASE}\nARG LEVEL=1\nENV MODE=web\nCOPY requirements/common.txt requirements/web.txt ./requirements/\n"
                              "RUN pip install --user -r requirements/web.txt\nEXPOSE 8000\n"
                              "HEALTHCHECK CMD python -c \"import app\"\n"
                              "CMD [\"gunicorn\", \"app.wsgi:application\", \"--bind\", \"0.0.0.0:8000\"]\n"),
    ".dockerignore": "docs/\n",
    "requirements/common.txt": "six==1.16.0\n",
    "requirements/web.txt": "-r common.txt\ngunicorn==23.0.0\n",
    "app/__init__.py": "",
    "app/settings.py": "TIMEOUT_SECONDS = 3600\nNAME = 'shop'\n\ndef f():\n    return 1\n",
    "app/wsgi.py": "def application(environ, start_response):\n    return []\n",
    "docs/readme.md": "x\n",
}


def tree_of(files: dict[str, str], tmp: Path, name: str) -> Tree:
    root = tmp / name
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return Tree(root)


def mutate(**changes: tuple[str, str] | str | None) -> dict[str, str]:
    files = dict(BASE)
    for key, change in changes.items():
        path = key.replace("__", "/").replace("_DOT_", ".")
        if change is None:
            files.pop(path)
        elif isinstance(change, tuple):
            old, new = change
            assert old in files[path], (path, old)
            files[path] = files[path].replace(old, new)
        else:
            files[path] = change
    return files


W = "docker__web__Dockerfile"
B = "docker__Dockerfile_DOT_base"
MUTANTS = {
    "CMD": ({W: ("0.0.0.0:8000\"]", "0.0.0.0:9000\"]")}, "CMD"),
    "ENTRYPOINT": ({W: ("EXPOSE 8000\n", "EXPOSE 8000\nENTRYPOINT [\"tini\", \"--\"]\n")}, "ENTRYPOINT"),
    "WORKDIR": ({B: ("WORKDIR /app\n", "WORKDIR /srv\n")}, "WORKDIR"),
    "file set": ({B: ("COPY app ./app\n", "COPY app ./application\n")}, "files"),
    "ENV value": ({W: ("ENV MODE=web", "ENV MODE=worker")}, "ENV MODE"),
    "ENV gone": ({B: ("ENV PYTHONPATH=/app\n", "")}, "ENV PYTHONPATH"),
    "ARG value": ({W: ("ARG LEVEL=1\n", "ARG LEVEL=2\n")}, "ARG LEVEL"),
    "EXPOSE": ({W: ("EXPOSE 8000", "EXPOSE 8080")}, "EXPOSE"),
    "HEALTHCHECK": ({W: ("HEALTHCHECK CMD python -c \"import app\"\n", "")}, "HEALTHCHECK"),
    "Python version": ({B: ("FROM python:3.11-slim\nENV", "FROM python:3.12-slim\nENV")}, "Python version"),
    "requirements": ({"requirements__web_DOT_txt": ("gunicorn==23.0.0", "gunicorn==22.0.0")}, "requirements"),
    "requirement closure": ({"requirements__common_DOT_txt": ("six==1.16.0\n", "six==1.16.0\nattrs==24.2.0\n")}, "requirements"),
    "Python constant": ({"app__settings_DOT_py": ("3600", "3540")}, "Python constant"),
    "missing requirement file": ({W: ("COPY requirements/common.txt requirements/web.txt", "COPY requirements/web.txt")},
                                 "missing-requirement-file"),
    "excluded COPY source": ({".dockerignore": "docs/\napp/wsgi.py\n", W: ("ENV MODE=web\n", "ENV MODE=web\nCOPY app/wsgi.py /srv/\n")},
                             "copy-excluded-source"),
    "entry point module": ({W: ("app.wsgi:application", "app.web:application")}, "entry point"),
    "user site unreadable": ({W: ("EXPOSE 8000\n", "EXPOSE 8000\nUSER nobody\n")}, "entry point"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_broken(name: str, tmp_path: Path) -> None:
    changes, invariant = MUTANTS[name]
    before = tree_of(BASE, tmp_path, "before")
    after = tree_of(mutate(**changes), tmp_path, "after")
    verdict = prove(before, after, Config())
    assert not verdict.holds, verdict.report()
    broken = [f for f in verdict.findings if f.severity == "broken"]
    assert any(f.invariant == invariant for f in broken), verdict.report()
    assert all(f.image and f.path for f in broken)


def test_a_new_arg_that_changes_nothing_holds(tmp_path: Path) -> None:
    """ARG values are compared where both sides have the ARG; a new ARG is only a new name."""
    changes = {W: ("ARG LEVEL=1\n", "ARG LEVEL=1\nARG OTHER=x\n")}
    assert prove(tree_of(BASE, tmp_path, "b"), tree_of(mutate(**changes), tmp_path, "a"), Config()).holds


def test_user_site_unreadable_names_the_executable(tmp_path: Path) -> None:
    changes, _ = MUTANTS["user site unreadable"]
    verdict = prove(tree_of(BASE, tmp_path, "b"), tree_of(mutate(**changes), tmp_path, "a"), Config())
    assert "gunicorn: not found" in verdict.report()


VALID = {
    "reformatted continuations and comments": {W: ("RUN pip install --user -r requirements/web.txt\n",
                                                   "# install web deps\nRUN pip install --user \\\n    -r requirements/web.txt\n")},
    "merged layers": {B: ("COPY requirements/common.txt ./requirements/\nRUN pip install --user -r requirements/common.txt\n",
                          "COPY requirements/common.txt ./requirements/\n"
                          "RUN pip install --upgrade pip && pip install --user -r requirements/common.txt\n")},
    "ownership": {B: ("COPY app ./app\n", "COPY --chown=1000:1000 app ./app\n")},
    "crlf": {W: "\r\n".join(BASE["docker/web/Dockerfile"].split("\n"))},
    "comment edit in Python": {"app__settings_DOT_py": ("TIMEOUT_SECONDS = 3600\n", "# seconds\nTIMEOUT_SECONDS = 3600  # one hour\n")},
    "relocated user site": {B: ("ENV PATH=/root/.local/bin:$PATH\n", "ENV PATH=/home/app/.local/bin:$PATH\n"),
                            },
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_rewrite_holds(name: str, tmp_path: Path) -> None:
    files = mutate(**VALID[name])
    if name == "relocated user site":
        files["docker/Dockerfile.base"] = files["docker/Dockerfile.base"].replace(
            "COPY --from=builder /root/.local /root/.local\n",
            "RUN useradd --create-home app && chown app /app\nCOPY --from=builder --chown=app:app /root/.local /home/app/.local\n").replace(
            "CMD [\"python\", \"--version\"]", "USER app\nCMD [\"python\", \"--version\"]")
        files["docker/web/Dockerfile"] = files["docker/web/Dockerfile"]
    before = VALID_BEFORE.get(name, BASE)
    verdict = prove(tree_of(before, tmp_path, "b"), tree_of(files, tmp_path, "a"), Config())
    assert verdict.holds, verdict.report()


# BEFORE of a valid rewrite when it is not BASE: the merged RUNs were two.
VALID_BEFORE = {"merged layers": mutate(**{B: (
    "RUN pip install --user -r requirements/common.txt\n",
    "RUN pip install --upgrade pip\nRUN pip install --user -r requirements/common.txt\n")})}


def test_golden_options_hold() -> None:
    before = Tree(GOLDEN / "before")
    for option in sorted(p for p in GOLDEN.iterdir() if p.name.startswith("option-")):
        verdict = prove(before, Tree(option), Config())
        assert verdict.holds, verdict.report()
        assert any(f.severity == "fixed" for f in verdict.findings) or option.name == "option-1"


def test_seed_literal_cpu_copy_without_common_is_broken(tmp_path: Path) -> None:
    """Option 2, but with the seed's literal ai-worker-cpu requirement COPY (no common.txt)."""
    after = tmp_path / "seed-literal"
    shutil.copytree(GOLDEN / "option-2", after)
    df = after / "docker" / "ai-worker-cpu" / "Dockerfile"
    df.write_text(df.read_text().replace("COPY requirements/common.txt requirements/worker-ai-common.txt",
                                         "COPY requirements/worker-ai-common.txt"))
    result = CliRunner().invoke(app, ["verify", str(GOLDEN / "before"), str(after)])
    assert result.exit_code == 1
    assert "requirements/common.txt" in result.stdout
    assert "missing-requirement-file" in result.stdout


def test_check_reports_the_scripts_defect_in_before() -> None:
    defects = find_defects(Tree(GOLDEN / "before"), Config())
    [d] = [d for d in defects if d.invariant == "copy-excluded-source"]
    assert (d.path, d.line) == ("docker/ai-worker-cpu/Dockerfile", 34)
    assert ".dockerignore:20: scripts/" in d.message
    result = CliRunner().invoke(app, ["check", str(GOLDEN / "before")])
    assert result.exit_code == 1
    assert "docker/ai-worker-cpu/Dockerfile:34: pre-existing: COPY source 'scripts' is excluded" in result.stderr


def test_verify_cli_exit_codes(tmp_path: Path) -> None:
    same = CliRunner().invoke(app, ["verify", str(GOLDEN / "before"), str(GOLDEN / "option-2")])
    assert same.exit_code == 0, same.stdout
    bad = CliRunner().invoke(app, ["verify", str(GOLDEN / "before"), str(tmp_path / "missing")])
    assert bad.exit_code == 2
    js = CliRunner().invoke(app, ["verify", str(GOLDEN / "before"), str(GOLDEN / "option-2"), "--format", "json"])
    import json

    data = json.loads(js.stdout)
    assert data["holds"] is True and data["images"] == 8
