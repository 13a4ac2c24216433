"""Issue 13: the prover reads RUN only through the model (model.run, model.shell,
model.packages). Each rule has a case that must not report a defect and a twin that must,
so no test passes by reporting nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.config import Config
from dockfix.prover import WARNING, build_models, find_defects
from dockfix.tree import Tree

PY = "FROM python:3.11-slim\n"
COMPOSE = "services:\n  app:\n    build: .\n"  # names the context, so sources are judged


def _tree(tmp: Path, files: dict[str, str]) -> Tree:
    for rel, text in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    return Tree(tmp)


def _model(tree: Tree):
    (model,) = build_models(tree, Config()).values()
    return model


def _defects(tree: Tree) -> list[tuple[str, int | None, str]]:
    return [(f.invariant, f.line, f.severity) for f in find_defects(tree, Config())]


def _missing(run: str, tmp: Path, before: str = "") -> list[tuple[str, int | None, str]]:
    return _defects(_tree(tmp, {"Dockerfile": PY + before + run + "\n"}))


# -- cd and the directory pip runs in ---------------------------------------------------------
def test_cd_moves_where_pip_reads_a_relative_requirement_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"sub/req.txt": "flask==3.0.0\n", "Dockerfile": PY + "WORKDIR /app\n"
                            "COPY sub/req.txt sub/req.txt\nRUN cd sub && pip install -r req.txt\n"})
    (pip,) = _model(tree).state.pip
    assert pip.files == ("/app/sub/req.txt",) and pip.requirements == ("flask==3.0.0",)
    assert _defects(tree) == []


def test_without_cd_the_same_file_is_missing(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"sub/req.txt": "flask==3.0.0\n", "Dockerfile": PY + "WORKDIR /app\n"
                            "COPY sub/req.txt sub/req.txt\nRUN pip install -r req.txt\n"})
    assert _defects(tree) == [("missing-requirement-file", 4, "pre-existing")]


def test_a_relative_file_under_an_unknown_directory_is_unknown(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "RUN cd \"$(mktemp -d)\" && pip install -r req.txt\n"})
    (pip,) = _model(tree).state.pip
    assert pip.files == () and any("directory the model does not know" in u for u in pip.unknowns)
    assert _defects(tree) == []


# -- conditions --------------------------------------------------------------------------------
def test_a_conditional_pip_command_is_no_missing_file_defect(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"app.py": "\n", "Dockerfile": PY + "WORKDIR /app\nCOPY . .\n"
                            "RUN if [ -s dev.txt ]; then pip install -r dev.txt; fi\n"})
    (pip,) = _model(tree).state.pip
    assert pip.conditional and pip.files == ("/app/dev.txt",)
    assert _defects(tree) == []


def test_a_conditional_install_is_told_from_a_sure_one(tmp_path: Path) -> None:
    sure = _model(_tree(tmp_path / "a", {"Dockerfile": PY + "RUN pip install six==1.16.0\n"}))
    maybe = _model(_tree(tmp_path / "b", {"Dockerfile": PY + "RUN true || pip install six==1.16.0\n"}))
    assert not sure.state.pip[0].conditional and maybe.state.pip[0].conditional
    assert sure.state.sites["system"] != maybe.state.sites["system"]
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 1 and "requirements" in result.stdout


def test_a_trailing_comment_hides_the_rest_of_the_line(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "RUN pip install a==1  # web && pip install b==2\n"})
    assert [p.requirements for p in _model(tree).state.pip] == [("a==1",)]


# -- files an earlier command may have made ----------------------------------------------------
def test_a_tarball_extracted_in_the_same_run_is_unknown_not_missing(tmp_path: Path) -> None:
    run = "RUN tar -xzf /tmp/dist.tar.gz -C /opt/app && pip install -r /opt/app/requirements.txt"
    assert _missing(run, tmp_path) == []


def test_a_cloned_repository_is_unknown_not_missing(tmp_path: Path) -> None:
    run = "RUN git clone https://example.com/r.git /src && cd /src && pip install -r requirements.txt"
    tree = _tree(tmp_path, {"Dockerfile": PY + run + "\n"})
    (pip,) = _model(tree).state.pip
    assert pip.files == ("/src/requirements.txt",)
    assert any("git may create files" in u for u in pip.unknowns)
    assert _defects(tree) == []


def test_a_file_an_earlier_run_downloaded_is_unknown_not_missing(tmp_path: Path) -> None:
    assert _missing("RUN pip install -r /req.txt", tmp_path, "RUN curl -fsSL https://example.com/r -o /req.txt\n") == []


def test_a_redirection_makes_its_target(tmp_path: Path) -> None:
    assert _missing("RUN echo six > /r.txt && pip install -r /r.txt", tmp_path) == []


def test_a_run_of_an_in_repo_base_may_make_the_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {
        "compose.yaml": "services:\n  base:\n    image: me/base\n    build: base\n"
                        "  app:\n    build: app\n",
        "base/Dockerfile": PY + "RUN wget -q https://example.com/r -O /r.txt\n",
        "app/Dockerfile": "FROM me/base\nRUN pip install -r /r.txt\n"})
    assert _defects(tree) == []


def test_commands_known_to_make_no_file_leave_it_missing(tmp_path: Path) -> None:
    # apt-get, pip, echo to another file, mkdir: none of them makes /r.txt
    run = ("RUN apt-get update && apt-get install -y gcc && echo hi > /other.txt && mkdir -p /w "
           "&& pip install six && pip install -r /r.txt")
    assert _missing(run, tmp_path) == [("missing-requirement-file", 2, "pre-existing")]


def test_a_later_command_does_not_make_the_file_earlier(tmp_path: Path) -> None:
    run = "RUN pip install -r /r.txt && curl -o /r.txt https://example.com/r"
    assert _missing(run, tmp_path) == [("missing-requirement-file", 2, "pre-existing")]


def test_a_file_of_unknown_content_is_not_missing(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim AS build\nRUN make /out/req.txt\n"
                            "FROM python:3.11-slim\nCOPY --from=build /out/req.txt /req.txt\n"
                            "ADD https://example.com/c.txt /c.txt\nRUN pip install -r /req.txt -c /c.txt\n"})
    (pip,) = _model(tree).state.pip
    assert pip.files == ("/req.txt", "/c.txt") and len(pip.unknowns) == 2
    assert _defects(tree) == []


# -- what cannot be read is unknown, recorded -------------------------------------------------
def test_a_non_posix_shell_makes_the_run_unknown(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "SHELL [\"pwsh\", \"-Command\"]\n"
                            "RUN pip install six; pip install -r /r.txt\n"})
    state = _model(tree).state
    assert state.pip == [] and "pwsh" in state.unknown_effects[0].reason
    assert _defects(tree) == []


def test_a_script_heredoc_is_read_by_its_interpreter(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n"})
    state = _model(tree).state
    assert state.pip == [] and "own interpreter" in state.unknown_effects[0].reason


def test_exec_form_runs_its_argv(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "RUN [\"pip\", \"install\", \"six==1.16.0\"]\n"})
    assert _model(tree).state.sites["system"] == frozenset({"six==1.16.0"})


def test_a_command_with_unknown_words_is_an_unknown_effect(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "RUN $(which pip) install six\n"})
    effects = _model(tree).state.unknown_effects
    assert [e.line for e in effects] == [2, 2]
    assert "chosen at run time" in effects[0].reason and effects[1].reason == "<unknown> install six: a word is unknown"


def test_system_packages_come_from_the_model_reader(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN apt-get update && apt-get install -y "
                            "--no-install-recommends python3.11 libpq5 && apk add --no-cache curl\n"})
    state = _model(tree).state
    assert state.packages == frozenset({"python3.11", "libpq5", "curl"}) and state.python == "3.11"


# -- entry points: a warning, not a build defect ----------------------------------------------
def test_an_unresolved_entry_point_is_a_warning_and_check_passes(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"Dockerfile": PY + "CMD [\"python\", \"/app/main.py\"]\n"})
    assert _defects(tree) == [("entry-point-unresolved", 2, WARNING)]
    result = CliRunner().invoke(app, ["check", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["defects"] == [] and [w["invariant"] for w in body["warnings"]] == ["entry-point-unresolved"]


def test_a_real_build_defect_still_fails_check(tmp_path: Path) -> None:
    _tree(tmp_path, {"Dockerfile": PY + "RUN pip install -r /r.txt\n"})
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1 and "missing-requirement-file" not in result.stdout
    assert "pip reads /r.txt" in result.stderr


def test_a_rewrite_that_breaks_an_entry_point_is_still_broken(tmp_path: Path) -> None:
    _tree(tmp_path / "a", {"main.py": "\n", "Dockerfile": PY + "COPY main.py /app/\nCMD [\"python\", \"/app/main.py\"]\n"})
    _tree(tmp_path / "b", {"main.py": "\n", "Dockerfile": PY + "COPY main.py /srv/\nCMD [\"python\", \"/app/main.py\"]\n"})
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 1 and "broken: <Dockerfile>: entry point" in result.stdout


# -- a destination every Linux base has ------------------------------------------------------
def test_a_file_copied_to_tmp_lands_inside_it(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"requirements.txt": "six\n", "compose.yaml": COMPOSE, "Dockerfile":
                            "FROM example.com/unknown/base\nCOPY requirements.txt /tmp\n"
                            "RUN pip install -r /tmp/requirements.txt\n"})
    assert "/tmp/requirements.txt" in _model(tree).state.files
    assert _defects(tree) == []


def test_on_scratch_tmp_is_the_file_itself(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"requirements.txt": "six\n", "compose.yaml": COMPOSE, "Dockerfile":
                            "FROM scratch\nCOPY requirements.txt /tmp\n"})
    files = _model(tree).state.files
    assert "/tmp" in files and "/tmp/requirements.txt" not in files


def test_a_copy_word_the_build_decides_is_unknown_not_missing(tmp_path):
    # netbox-docker: `ARG NETBOX_PATH` (no default; build.sh passes it), then
    # `COPY ${NETBOX_PATH}/requirements.txt /`: the source is not known, so it is not missing.
    from typer.testing import CliRunner

    from dockfix.cli import app

    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: acme/a\n    build: .\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim\nARG NETBOX_PATH\nCOPY ${NETBOX_PATH}/requirements.txt /\n"
        "RUN pip install --no-cache-dir -r /requirements.txt\nCMD [\"python\"]\n")
    assert CliRunner().invoke(app, ["check", str(tmp_path)]).exit_code == 0
    # Its twin with a default the model reads is judged: that source really is missing.
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim\nARG P=sub\nCOPY ${P}/requirements.txt /\nCMD [\"python\"]\n")
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "Dockerfile:3: pre-existing: COPY source 'sub/requirements.txt' does not exist" in result.stderr


def test_a_stage_with_a_git_add_is_not_completely_listed(tmp_path):
    # moby/policy-helpers: `FROM scratch AS src` + `ADD https://…/repo.git#main /`, then
    # `COPY --from=src metadata/root.json /`: the repository's files are not known, not missing.
    from typer.testing import CliRunner

    from dockfix.cli import app

    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: acme/a\n    build: .\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM scratch AS src\nADD https://example.com/org/repo.git#main /\n\n"
        "FROM scratch AS out\nCOPY --from=src metadata/root.json /\n")
    assert CliRunner().invoke(app, ["check", str(tmp_path)]).exit_code == 0


def test_an_account_tool_makes_no_requirement_file(tmp_path):
    # non-root adds `RUN groupadd … && useradd …` to a base: a requirement file the image lacks
    # is still missing after it (useradd writes /etc, /var and a home's dotfiles only).
    from dockfix.prover.run import RunCommand, file_effects

    (effect,) = file_effects(RunCommand(("useradd", "-m", "-d", "/app", "appuser"), "/", (), False), "D", 1)
    assert not effect.may_create("/app/requirements.txt")
    assert effect.may_create("/etc/passwd") and effect.may_create("/app/.bashrc")
    (other,) = file_effects(RunCommand(("tar", "-xf", "x.tar"), "/", (), False), "D", 2)
    assert other.may_create("/app/requirements.txt")
