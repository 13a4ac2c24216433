"""apt-get-for-apt on a base it does not know: real builds show that
`apt-get -o APT::Keep-Downloaded-Packages=false install`, what the transform writes for
`apt install`, leaves /var/cache/apt/archives as apt does (no .deb), while a plain `apt-get
install` keeps the packages there (so the check can fail, and the base has no docker-clean).

The base is the stand-in bookworm (debootstrap: apt 2.6, no /etc/apt/apt.conf.d/docker-clean)
under a name no table knows; the apt mirror is the machine's (tools/stand-in-bases.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.build import BuildSpec
from dockfix.config import load_config
from dockfix.engine import run

BASE = "localhost/dockfix-test-unknown-debian:1"
INSTALL = "apt-get update -qq && {} install -y -qq --no-install-recommends hello"


@pytest.fixture(scope="module")
def base(session) -> str:
    session.alias(BASE, "docker.io/library/python:3.11-slim")
    return BASE


def _archives(session, tmp_path: Path, name: str, dockerfile: str) -> list[str]:
    context = tmp_path / name
    context.mkdir()
    (context / "Dockerfile").write_text(dockerfile)
    result = session.build(BuildSpec(f"dockfix-test-apt-{name}", context / "Dockerfile", context))
    assert result.ok, result.log
    listed = session.run_as_user(result.image, ["ls", "-A", "/var/cache/apt/archives"], user="root")
    assert listed.exit_code == 0, listed.stderr
    return sorted(w for w in listed.stdout.split() if w.endswith(".deb"))


def test_apt_get_with_keep_false_leaves_the_archives_as_apt_does(base, session, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    before = f"FROM {base}\nRUN {INSTALL.format('apt')}\n"
    (repo / "Dockerfile").write_text(before)
    after = run(repo, ["apt-get-for-apt"], load_config(repo)).after.read("Dockerfile").decode()
    assert after == f"FROM {base}\nRUN {INSTALL.format('apt-get -o APT::Keep-Downloaded-Packages=false')}\n"

    plain = f"FROM {base}\nRUN {INSTALL.format('apt-get')}\n"
    assert _archives(session, tmp_path, "apt", before) == []
    assert _archives(session, tmp_path, "rewritten", after) == []
    assert any(name.startswith("hello_") for name in _archives(session, tmp_path, "plain", plain))
