"""Fixtures for the real-build tests: the stand-in base image and an engine.

Nothing here skips: when buildah or the base image is missing, the stand-in-bases script
installs and builds them (apt-get, debootstrap; about two minutes on a fresh machine).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockfix.build import BuildSession, Engine, detect_engine

REPO = Path(__file__).resolve().parents[2]
STAND_IN_BASES = REPO / "tools" / "stand-in-bases.sh"


@pytest.fixture(scope="session")
def stand_in_bases() -> None:
    done = subprocess.run([str(STAND_IN_BASES)], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"stand-in-bases failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def engine(stand_in_bases: None) -> Engine:
    return detect_engine()


@pytest.fixture(scope="module")
def session(engine: Engine):
    """One private namespace per test module; its teardown checks that cleanup was complete."""
    images_before = {(r.id, r.names) for r in engine.list_images()}
    containers_before = set(engine.list_containers())
    build_session = BuildSession(engine)
    yield build_session
    report = build_session.cleanup()
    assert report.errors == []
    assert {(r.id, r.names) for r in engine.list_images()} == images_before
    assert set(engine.list_containers()) == containers_before
