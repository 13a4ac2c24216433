"""model.system_packages.sets_download_cache: the apt option the prover does not compare (it
only decides whether downloaded .deb files stay in the cache; tests/build/test_apt_downloads.py
builds it)."""

from __future__ import annotations

import pytest

from dockfix.model.system_packages import read_system_packages, sets_download_cache


@pytest.mark.parametrize("argv,expected", [
    (["apt-get", "-o", "APT::Keep-Downloaded-Packages=false", "install", "x"], True),
    (["apt-get", "-oapt::keep-downloaded-packages=true", "install", "x"], True),
    (["apt-get", "--option=APT::Keep-Downloaded-Packages=0", "install", "x"], True),
    (["apt-get", "-o", "Dpkg::Options::=--force-confold", "install", "x"], False),
    (["apt-get", "-o", "APT::Install-Recommends=false", "install", "x"], False),
    (["apt-get", "-o", None, "install", "x"], False),
])
def test_sets_download_cache(argv, expected: bool) -> None:
    reading = read_system_packages(argv)
    assert any(sets_download_cache(o) for o in reading.options) is expected
