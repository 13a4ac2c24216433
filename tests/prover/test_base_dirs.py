"""Which directories a stage has (model.base_dirs through prover.model): WORKDIR makes only a
missing directory as the current USER, a COPY into an existing one lands inside it, and what
the model cannot know is unknown. The owners here are what a real build gives
(tests/build/test_base_dirs_buildah.py checks them on the Debian stand-in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.model.base_dirs import Presence
from dockfix.model.bases import facts_of
from dockfix.prover import Outcome, build_models, find_defects, prove
from dockfix.prover.access import Access, workdir_writable
from dockfix.tree import Tree

ACCOUNT = "RUN groupadd --gid 1000 appuser && useradd --uid 1000 --gid appuser --create-home appuser\n"
APP = 'COPY app.py .\nCMD ["python", "app.py"]\n'


def _tree(root: Path, dockerfile: str) -> Tree:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    (root / "app.py").write_text("print(1)\n")
    (root / "requirements.txt").write_text("six==1.16.0\n")
    return Tree(root)


def _state(tmp: Path, dockerfile: str):
    (model,) = build_models(_tree(tmp / "t", dockerfile), Config()).values()
    return model.state


def _verdict(tmp: Path, before: str, after: str):
    return prove(_tree(tmp / "b", before), _tree(tmp / "a", after), Config())


# The false "holds" of main: USER appuser moved above WORKDIR /srv. /srv is Debian's, root's
# 0755 (a real build: appuser cannot write it); the model took it as made by appuser.
@pytest.mark.parametrize("base", ["python:3.11-slim", "debian:bookworm-slim", "node:22-slim", "ubuntu:22.04"])
def test_user_moved_above_a_workdir_the_base_has_is_not_proved(base: str, tmp_path: Path) -> None:
    before = f"FROM {base}\n{ACCOUNT}WORKDIR /srv\n{APP}"
    after = f"FROM {base}\n{ACCOUNT}USER appuser\nWORKDIR /srv\n{APP}"
    verdict = _verdict(tmp_path, before, after)
    assert verdict.outcome in (Outcome.UNPROVEN, Outcome.BROKEN), verdict.report()
    assert "WORKDIR access" in {f.invariant for f in verdict.findings if f.severity == "unproven"}


def test_user_moved_above_a_new_workdir_still_holds(tmp_path: Path) -> None:
    """/app is not in a Debian base: WORKDIR makes it as appuser, who writes it (no regression)."""
    before = f"FROM python:3.11-slim\n{ACCOUNT}WORKDIR /app\n{APP}"
    after = f"FROM python:3.11-slim\n{ACCOUNT}USER appuser\nWORKDIR /app\n{APP}"
    verdict = _verdict(tmp_path, before, after)
    assert verdict.outcome is Outcome.PROVED, verdict.report()


@pytest.mark.parametrize("workdir, owner", [
    ("/app", "appuser"),  # absent from the base: made by WORKDIR as appuser
    ("/srv/app/data", "appuser"),  # /srv is empty in Debian
    ("/opt/tool", "appuser"),  # /opt too, while no package was installed
    ("/home/appuser", "appuser"),  # useradd -m made it
    ("/srv", None),  # the base's: root's, not appuser's
    ("/usr/local/lib/python3.11", None),  # the python image's
    ("/usr/share/app", None),  # below /usr/share: packages put anything there (unknown)
    ("/var/lib/app", None),
])
def test_who_owns_a_workdir_on_a_debian_base(workdir: str, owner: str | None, tmp_path: Path) -> None:
    state = _state(tmp_path, f"FROM python:3.11-slim\n{ACCOUNT}USER appuser\nWORKDIR {workdir}\n")
    assert state.dir_owners.get(workdir) == owner
    assert workdir_writable(state) is (Access.YES if owner else Access.UNKNOWN)


def test_opt_is_unknown_once_packages_are_installed(tmp_path: Path) -> None:
    state = _state(tmp_path, f"FROM python:3.11-slim\n{ACCOUNT}RUN apt-get install -y google-chrome-stable\n"
                             "USER appuser\nWORKDIR /opt/google\n")
    assert "/opt/google" not in state.dir_owners and workdir_writable(state) is Access.UNKNOWN


@pytest.mark.parametrize("base", ["registry.example.com/team/base:1", "nvidia/cuda:12.1.0-runtime-ubuntu22.04"])
def test_a_new_workdir_on_a_base_the_model_does_not_know_is_unknown(base: str, tmp_path: Path) -> None:
    """The base may hold /app already (root's): whether appuser writes it is not known."""
    state = _state(tmp_path, f"FROM {base}\n{ACCOUNT}USER 1000\nWORKDIR /app\n")
    assert "/app" not in state.dir_owners and workdir_writable(state) is Access.UNKNOWN


def test_a_workdir_a_run_made_keeps_its_owner(tmp_path: Path) -> None:
    """`RUN mkdir /app` as root: WORKDIR /app as appuser finds it, root's."""
    state = _state(tmp_path, f"FROM python:3.11-slim\n{ACCOUNT}RUN mkdir -p /app\nUSER appuser\nWORKDIR /app\n")
    assert state.dir_owners.get("/app") == "root" and workdir_writable(state) is Access.UNKNOWN


@pytest.mark.parametrize("run", ["RUN git clone https://example.com/x.git /app\n",
                                 "RUN useradd -m -d /app other\n", "RUN adduser --home=/app other\n",
                                 "RUN if [ -n \"$X\" ]; then mkdir /app; fi\n", "RUN mkdir $DIR\n"])
def test_a_workdir_a_run_may_have_made_is_unknown(run: str, tmp_path: Path) -> None:
    state = _state(tmp_path, f"FROM python:3.11-slim\n{ACCOUNT}{run}USER appuser\nWORKDIR /app\n")
    assert "/app" not in state.dir_owners and workdir_writable(state) is Access.UNKNOWN


def test_a_workdir_below_an_earlier_one_is_there(tmp_path: Path) -> None:
    """WORKDIR /srv/app/data as root made /srv/app (root's): appuser's WORKDIR /srv/app finds it."""
    state = _state(tmp_path, f"FROM python:3.11-slim\n{ACCOUNT}WORKDIR /srv/app/data\nUSER appuser\n"
                             "WORKDIR /srv/app\n")
    assert "/srv/app" not in state.dir_owners and workdir_writable(state) is Access.UNKNOWN


def test_copy_into_a_directory_of_the_debian_base_lands_inside_it(tmp_path: Path) -> None:
    """BuildKit copies into the existing /srv: /srv/requirements.txt, which pip then reads."""
    tree = _tree(tmp_path / "t", "FROM python:3.11-slim\nCOPY requirements.txt /srv\n"
                                 "RUN pip install -r /srv/requirements.txt\n")
    (model,) = build_models(tree, Config()).values()
    assert "/srv/requirements.txt" in model.state.files and "/srv" not in model.state.files
    assert find_defects(tree, Config()) == []


@pytest.mark.parametrize("base, lands", [("scratch", "/srv"), ("python:3.11-slim", "/srv/requirements.txt"),
                                         ("alpine:3.20", "/srv/requirements.txt"),
                                         ("python:3.11-slim", "/usr/local/lib/python3.11/requirements.txt")])
def test_copy_destination_by_base(base: str, lands: str, tmp_path: Path) -> None:
    dest = lands.rsplit("/", 1)[0] if lands.endswith(".txt") else lands
    state = _state(tmp_path, f"FROM {base}\nCOPY requirements.txt {dest}\n")
    assert lands in state.files


# A destination the model cannot place: a base it does not list (mycorp/...), or a RUN it
# cannot read. Read as absent, `COPY f /deps` made /deps the file: a reader of /deps/f, or a
# later `COPY dir/ /deps/`, became a false build defect on a healthy repository.
MAYBE = ["FROM mycorp/pybase:1\n", "FROM python:3.11-slim\nRUN ./setup.sh\n"]


@pytest.mark.parametrize("head", MAYBE)
@pytest.mark.parametrize("then", ["RUN pip install -r /deps/requirements.txt\n", "COPY app.py /deps/\n",
                                  "RUN pip install -r /deps\n"])
def test_copy_into_a_path_that_may_be_a_directory_is_no_defect(head: str, then: str, tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", f"{head}COPY requirements.txt /deps\n{then}")
    (model,) = build_models(tree, Config()).values()
    files = model.state.files
    assert files["/deps"].alternative and files["/deps/requirements.txt"].alternative
    assert files["/deps"].origin == files["/deps/requirements.txt"].origin == "context:requirements.txt"
    assert find_defects(tree, Config()) == []


def test_copy_into_a_path_the_base_lacks_is_still_the_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", "FROM python:3.11-slim\nCOPY requirements.txt /deps\n"
                                 "RUN pip install -r /deps/requirements.txt\n")
    assert [d.invariant for d in find_defects(tree, Config())] == ["missing-requirement-file"]


def test_a_second_file_into_a_path_that_may_be_a_directory_has_two_places_too(tmp_path: Path) -> None:
    """The first file's place inside does not make the path a directory."""
    files = _state(tmp_path, "FROM mycorp/pybase:1\nCOPY requirements.txt /deps\nCOPY app.py /deps\n").files
    assert files["/deps/app.py"].alternative and files["/deps"].origin == "context:app.py"


@pytest.mark.parametrize("fix", ["RUN mkdir -p /deps\n", "RUN ./setup.sh\n"])
def test_placing_a_file_the_model_could_not_place_is_not_proved(fix: str, tmp_path: Path) -> None:
    """Where BEFORE's file lands depends on the base; AFTER's does not (or differently)."""
    before = "FROM mycorp/pybase:1\nCOPY requirements.txt /deps\nCMD [\"python\"]\n"
    after = f"FROM mycorp/pybase:1\n{fix}COPY requirements.txt /deps/\nCMD [\"python\"]\n"
    verdict = _verdict(tmp_path, before, after)
    assert not verdict.holds and any(f.invariant == "files" for f in verdict.findings), verdict.report()


def test_a_file_with_two_places_is_compared_like_any_other(tmp_path: Path) -> None:
    """The same step in both images: proved, and its files' owner and mode are known."""
    before = f"FROM mycorp/pybase:1\n{ACCOUNT}COPY requirements.txt /deps\nCMD [\"python\"]\n"
    after = f"FROM mycorp/pybase:1\n{ACCOUNT}COPY requirements.txt /deps\nUSER appuser\nCMD [\"python\"]\n"
    verdict = _verdict(tmp_path, before, after)
    assert not [f for f in verdict.findings if f.invariant in ("files", "file access")], verdict.report()


def test_copy_into_a_directory_an_earlier_workdir_made(tmp_path: Path) -> None:
    state = _state(tmp_path, "FROM python:3.11-slim\nWORKDIR /app\nWORKDIR /\nCOPY requirements.txt /app\n")
    assert "/app/requirements.txt" in state.files


@pytest.mark.parametrize("base, workdir, owner", [("node:22-slim", "/home/node", "node"),
                                                  ("node:22-slim", "/home/node/app", "node"),
                                                  ("ubuntu:24.04", "/home/ubuntu", "ubuntu")])
def test_a_home_the_base_made_is_its_login_s(base: str, workdir: str, owner: str, tmp_path: Path) -> None:
    state = _state(tmp_path, f"FROM {base}\nUSER {owner}\nWORKDIR {workdir}\n")
    assert state.dir_owners.get(workdir) == owner and workdir_writable(state) is Access.YES


def test_the_tables() -> None:
    debian = facts_of("python:3.11-slim").directories
    assert debian.presence("/srv") is Presence.DIRECTORY and debian.presence("/app") is Presence.ABSENT
    assert debian.presence("/lib64") is Presence.UNKNOWN  # by architecture
    assert debian.presence("/opt/x", packages_installed=True) is Presence.UNKNOWN
    assert facts_of("scratch").directories.presence("/tmp") is Presence.ABSENT
    assert facts_of("node:22").directories.presence("/home/node") is Presence.DIRECTORY
    assert facts_of("node:22").directories.presence("/opt/x") is Presence.UNKNOWN  # Yarn's /opt/yarn-v…
    assert facts_of("golang:1.22").directories.presence("/go") is Presence.DIRECTORY
    assert facts_of("ubuntu:24.04").directories.presence("/home/ubuntu") is Presence.DIRECTORY
    assert facts_of("ubuntu:22.04").directories.presence("/home/x") is Presence.ABSENT
    assert facts_of("ubuntu:latest").directories.presence("/home/x") is Presence.UNKNOWN  # 24.04 has /home/ubuntu
