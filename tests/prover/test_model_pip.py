"""The prover's pip records, read by the model's pip reader (src/dockfix/model/packages.py)."""

from __future__ import annotations

from pathlib import Path

from dockfix.config import Config
from dockfix.model.packages import PipAction
from dockfix.prover import build_models, find_defects
from dockfix.prover.model import PipInstall
from dockfix.tree import Tree


def _pips(tmp: Path, dockerfile: str, files: dict[str, str] | None = None) -> list[PipInstall]:
    for rel, text in {"Dockerfile": dockerfile, **(files or {})}.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    (model,) = build_models(Tree(tmp), Config()).values()
    return model.state.pip


def test_a_pin_moved_into_a_constraint_file_is_in_the_record(tmp_path: Path) -> None:
    pinned = _pips(tmp_path / "a", "FROM python:3.11-slim\nRUN pip install flask==2.0\n")
    moved = _pips(tmp_path / "b", "FROM python:3.11-slim\nCOPY c.txt /c.txt\nRUN pip install flask -c /c.txt\n",
                  {"c.txt": "Flask == 2.0  # the pin\n"})
    assert (pinned[0].requirements, pinned[0].constraints) == (("flask==2.0",), ())
    assert (moved[0].requirements, moved[0].constraints) == (("flask",), ("flask==2.0",))
    assert moved[0].files == ("/c.txt",)


def test_python3_and_python3_11_are_recorded_apart(tmp_path: Path) -> None:
    (three,) = _pips(tmp_path / "a", "FROM python:3.11-slim\nRUN python3 -m pip install six\n")
    (eleven,) = _pips(tmp_path / "b", "FROM python:3.11-slim\nRUN python3.11 -m pip install six\n")
    assert (three.spelling, eleven.spelling) == ("python3 -m pip", "python3.11 -m pip")
    assert three.command.version == "3" and eleven.command.version == "3.11"
    assert three.requirements == eleven.requirements == ("six",)


def test_pip_uninstall_is_recorded_and_leaves_the_site(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.11-slim\nRUN pip install six attrs==23.1\nRUN pip uninstall -y six\n"
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (model,) = build_models(Tree(tmp_path), Config()).values()
    install, uninstall = model.state.pip
    assert (install.action, uninstall.action, uninstall.uninstall) == (PipAction.INSTALL, PipAction.UNINSTALL, True)
    assert uninstall.command.arguments == ("six",)
    assert model.state.sites["system"] == frozenset({"attrs==23.1"})


def test_requirement_files_keep_editables_and_indexes_and_nest_relative_to_the_includer(tmp_path: Path) -> None:
    files = {"req/main.txt": "-r sub/more.txt\n-e ./pkg\n--index-url https://idx.example/simple\nsix\n",
             "req/sub/more.txt": "--extra-index-url https://extra.example/simple\nidna==3.4\n"}
    (pip,) = _pips(tmp_path, "FROM python:3.11-slim\nWORKDIR /app\nCOPY req req\n"
                             "RUN pip install --no-cache-dir -r req/main.txt\n", files)
    assert pip.files == ("/app/req/main.txt", "/app/req/sub/more.txt")
    assert pip.requirements == ("idna==3.4", "six")
    assert pip.editables == ("./pkg",)
    assert pip.index_urls == ("https://idx.example/simple", "https://extra.example/simple")
    assert pip.unknowns == ()


def test_options_target_and_environment_are_in_the_record(tmp_path: Path) -> None:
    (pip,) = _pips(tmp_path, "FROM python:3.11-slim\nENV PIP_INDEX_URL=https://mirror.example/simple\n"
                             "WORKDIR /app\nRUN pip install --target vendor -U six\n")
    assert pip.target == "vendor" and pip.site == "/app/vendor"
    assert pip.index_urls == ("https://mirror.example/simple",)
    assert pip.command.value("upgrade") is True


def test_a_relative_requirement_file_resolves_against_the_given_cwd(tmp_path: Path) -> None:
    from dockfix.prover.model import ModelBuilder
    from dockfix.prover.run import RunCommand

    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /app\nCOPY sub/req.txt sub/req.txt\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "req.txt").write_text("six\n")
    builder = ModelBuilder(Tree(tmp_path), Config())
    (model,) = builder.models().values()
    state = model.state.copy()
    ins = builder.graph.dockerfiles["Dockerfile"].document.instructions[-1]
    builder._pip(state, "Dockerfile", ins, RunCommand(("pip", "install", "-r", "req.txt"), "/app/sub", (), False))
    assert state.pip[-1].files == ("/app/sub/req.txt",) and state.pip[-1].requirements == ("six",)
    assert not state.breaks


def test_a_missing_constraint_file_is_a_defect(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN pip install six -c /c.txt\n")
    (finding,) = find_defects(Tree(tmp_path), Config())
    assert finding.invariant == "missing-requirement-file"


def test_an_unknown_requirement_file_word_is_unknown_not_missing(tmp_path: Path) -> None:
    from dockfix.prover.model import ModelBuilder
    from dockfix.prover.run import RunCommand

    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN true\n")
    builder = ModelBuilder(Tree(tmp_path), Config())
    (model,) = builder.models().values()
    state = model.state.copy()
    ins = builder.graph.dockerfiles["Dockerfile"].document.instructions[-1]
    builder._pip(state, "Dockerfile", ins, RunCommand(("pip", "install", "-r", None), "/", (), False))
    assert state.pip[-1].unknowns == ("a requirement file's name is unknown",)
    assert state.pip[-1].files == () and not state.breaks


# The same pip commands, one RUN each and then merged into one RUN, under several users, homes,
# directories and conditions; some read a requirement file (never answered from the memo).
_REPLAYED = """FROM python:3.11-slim
COPY req.txt /app/req.txt
{runs}
WORKDIR /app
{runs}
USER 1000
{runs}
USER root
RUN useradd -u 1000 bob
USER 1000
{runs}
ENV HOME=/srv
USER app
{runs}
USER other
{runs}
ENV PIP_INDEX_URL=https://example.org/simple
{runs}
"""
_COMMANDS = ["pip install six==1.0 attrs", "pip install --user flask", "pip install -r req.txt",
             "pip uninstall -y six", "true || pip install --target=t x", "pip install --target=t x",
             "PIP_USER=1 pip install y", "pip install -r /app/req.txt --user",
             "python3 -m pip install --no-cache-dir six==1.0 attrs"]


def _pip_and_sites(tmp: Path, runs: str) -> list[tuple]:
    root = tmp / str(abs(hash(runs)))
    root.mkdir(parents=True)
    (root / "Dockerfile").write_text(_REPLAYED.format(runs=runs))
    (root / "req.txt").write_text("Django==4.2\n")
    (model,) = build_models(Tree(root), Config()).values()
    return [model.state.pip, model.state.sites]


class _Forgetful(dict):
    """A memo that never answers: every record is read."""

    def get(self, key, default=None):
        return default

    def put(self, key, value):
        return value


def test_pip_records_replayed_from_the_memo_are_the_records_read(tmp_path: Path, monkeypatch) -> None:
    from dockfix.prover import model

    separate = "\n".join(f"RUN {c}" for c in _COMMANDS)
    merged = "RUN " + " \\\n    && ".join(_COMMANDS)
    for runs in (separate, merged):
        with monkeypatch.context() as m:
            m.setattr(model, "_PIP_RECORDS", _Forgetful())
            read = _pip_and_sites(tmp_path / "read", runs)
        model._PIP_RECORDS.clear()
        _pip_and_sites(tmp_path / "fill", runs)
        replayed = _pip_and_sites(tmp_path / "replay", runs)
        assert model._PIP_RECORDS and replayed == read
        assert {p.user for p in read[0]} == {"root", "1000", "app", "other"}
        assert {p.index_urls for p in read[0]} == {(), ("https://example.org/simple",)}
        assert {p.site for p in read[0]} >= {"/home/1000/.local", "/home/bob/.local", "/srv/.local", "/t", "/app/t"}
