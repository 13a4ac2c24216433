"""model.base_dirs and prover.model's WORKDIR owners against real buildah builds on the Debian
stand-in (tools/stand-in-bases.sh: debootstrap minbase bookworm, committed as python:3.11-slim).

1. The table: every directory the Debian and python:3.11-slim tables list is a directory (or a
   link to one) in the real image, and every directory (or link to one) below a directory the
   tables call complete is listed.
2. WORKDIR and COPY: a build with `USER appuser` then WORKDIRs into the base's /srv, new
   directories, a directory a root RUN made and the user's home; each directory's real owner
   and whether appuser writes it are what the model says, and `COPY requirements.txt /srv`
   lands inside /srv.
Ubuntu and Alpine cannot be pulled here (no registry): their tables are checked by nothing but
their documentation (see model/base_dirs.py).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from dockfix.config import Config
from dockfix.model.base_dirs import BaseDirectories, Presence
from dockfix.model.bases import facts_of
from dockfix.prover import build_models
from dockfix.prover.access import Access, workdir_writable
from dockfix.tree import Tree
from tests.build.test_stage_state_buildah import BASE, _run


def _build_output(tmp: Path, dockerfile: str, files: dict[str, str] | None = None) -> list[list[str]]:
    """The `@@`-prefixed lines the build's RUNs printed, split on spaces."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {}).items():
        (tmp / name).write_text(text)
    tag = f"localhost/dockfix-base-dirs:{secrets.token_hex(6)}"
    done = _run("buildah", "build", "--isolation", "chroot", "--pull=never", "--layers=false",
                "-f", str(tmp / "Dockerfile"), "-t", tag, str(tmp), check=False)
    _run("buildah", "rmi", tag, check=False)
    assert done.returncode == 0, done.stderr
    return [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("@@ ")]


def _tables() -> dict[str, BaseDirectories]:
    return {ref: facts_of(ref).directories for ref in ("debian:bookworm-slim", "python:3.11-slim")}


def test_the_debian_tables_are_the_stand_in_base(stand_in_bases: None, tmp_path: Path) -> None:
    tables = _tables()
    listed = sorted(set().union(*(t.listed for t in tables.values())))
    complete = sorted(set().union(*(t.complete | t.complete_without_packages for t in tables.values())))
    probe = (f"RUN for d in {' '.join(listed)}; do if [ -d $d ]; then echo \"@@ dir $d\"; fi; done; "
             f"for d in {' '.join(complete)}; do find $d -mindepth 1 -maxdepth 1 -xtype d "
             "| sed 's|^//*|/|; s|^|@@ below |'; done")
    printed = _build_output(tmp_path, f"FROM {BASE}\n{probe}\n")
    dirs = {p for kind, p in printed if kind == "dir"}
    below = {p for kind, p in printed if kind == "below"}
    assert set(listed) - dirs == set()  # listed but not a directory of the real image
    for name, table in tables.items():
        unlisted = {p for p in below if table.presence(p) is Presence.ABSENT}
        assert unlisted == set(), f"{name}: below a complete directory, not listed: {sorted(unlisted)}"
    assert {"/srv", "/usr/local/lib/python3.11", "/var/lib"} <= dirs and "/usr/local/bin" in below  # probes ran


# WORKDIRs after `USER appuser`, each probed: its owner, and whether appuser writes in it.
OWNERS = """\
FROM {base}
RUN useradd -m -u 1000 appuser
COPY requirements.txt /srv
RUN mkdir /made
USER appuser
WORKDIR /srv
WORKDIR /opt/new/deep
WORKDIR /newdir
WORKDIR /made
WORKDIR /home/appuser
RUN for d in {dirs}; do echo "@@ $d $(stat -c %U $d) $(touch $d/.w 2>/dev/null && echo yes || echo no)"; done; \
    echo "@@ /srv/requirements.txt $(stat -c %F /srv/requirements.txt | tr ' ' _) -"
"""
PROBED = ("/srv", "/opt/new/deep", "/newdir", "/made", "/home/appuser")


def _model_state(tmp: Path, dockerfile: str):
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Dockerfile").write_text(dockerfile)
    (tmp / "requirements.txt").write_text("six\n")
    (model,) = build_models(Tree(tmp), Config()).values()
    return model.state


def test_workdir_owners_and_copy_into_a_base_directory(stand_in_bases: None, tmp_path: Path) -> None:
    dockerfile = OWNERS.format(base=BASE, dirs=" ".join(PROBED))
    real = {p: (owner, writes) for p, owner, writes in _build_output(tmp_path / "build", dockerfile,
                                                                     {"requirements.txt": "six\n"})}
    assert real["/srv/requirements.txt"][0] == "regular_file"
    lines = dockerfile.splitlines(keepends=True)
    claimed, writable = {}, {}
    for wd in PROBED:  # the model of the Dockerfile up to that WORKDIR
        upto = "".join(lines[:next(i for i, line in enumerate(lines) if line == f"WORKDIR {wd}\n") + 1])
        state = _model_state(tmp_path / wd.strip("/").replace("/", "_"), upto)
        assert state.workdir == wd and "/srv/requirements.txt" in state.files and "/srv" not in state.files
        owner = state.dir_owners.get(wd) or ("root" if state.base_dirs.presence(wd) is Presence.DIRECTORY else None)
        claimed[wd], writable[wd] = owner, workdir_writable(state)
    # the model names an owner for each, and it is the real one
    assert {wd: real[wd][0] for wd in PROBED} == claimed
    # what the model says appuser writes, it writes; what it cannot prove includes the base's /srv
    assert all(real[wd][1] == "yes" for wd in PROBED if writable[wd] is Access.YES)
    assert writable["/srv"] is Access.UNKNOWN and real["/srv"][1] == "no"
    assert writable["/newdir"] is Access.YES and writable["/opt/new/deep"] is Access.YES
