"""The base-image table: references read as Docker reads them, tag families matched
exactly, and nothing outside the table guessed."""

from __future__ import annotations

import pytest

from dockfix.model.bases import DEFAULT_PATH, ImageRef, PackageManager, facts_of, parse_ref, windows_image

PY_PATH = "/usr/local/bin:" + DEFAULT_PATH  # `ENV PATH /usr/local/bin:$PATH` over BuildKit's default


@pytest.mark.parametrize("text,expected", [
    ("python", ImageRef("docker.io", "library/python", None, None)),
    ("python:3.11-slim", ImageRef("docker.io", "library/python", "3.11-slim", None)),
    ("docker.io/library/python:3.11-slim@sha256:" + "a" * 64,
     ImageRef("docker.io", "library/python", "3.11-slim", "sha256:" + "a" * 64)),
    ("index.docker.io/library/python:3", ImageRef("docker.io", "library/python", "3", None)),
    ("foo/python:3.11", ImageRef("docker.io", "foo/python", "3.11", None)),
    ("localhost/python:3.11", ImageRef("localhost", "python", "3.11", None)),
    ("localhost:5000/a/b", ImageRef("localhost:5000", "a/b", None, None)),
    ("ghcr.io/org/img:v1", ImageRef("ghcr.io", "org/img", "v1", None)),
    ("Foo/bar", ImageRef("Foo", "bar", None, None)),  # an upper-case first component is a host
    ("Python:3.11", None), ("python:", None), ("python:3.11@sha256:abc", None), ("", None), ("a b", None),
])
def test_reference_parsing(text: str, expected: ImageRef | None) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize("ref,python,distro,version", [
    ("python:3.11-slim", "3.11", "debian", None),  # the default suite moves: release unknown
    ("python:3.11-slim-bookworm", "3.11", "debian", "12"),
    ("python:3.11-bookworm", "3.11", "debian", "12"),
    ("python:3.12", "3.12", "debian", None),
    ("python:3.11.9-slim-bullseye", "3.11", "debian", "11"),
    ("python:3-alpine", "3", "alpine", None),
    ("python:3.12-alpine3.20", "3.12", "alpine", "3.20"),
    ("python:alpine", None, "alpine", None),
    ("python", None, "debian", None),
    ("docker.io/library/python:3.11-slim@sha256:" + "b" * 64, "3.11", "debian", None),
    ("mirror.gcr.io/library/python:3.13-slim-trixie", "3.13", "debian", "13"),
])
def test_python_families(ref: str, python: str | None, distro: str, version: str | None) -> None:
    f = facts_of(ref)
    assert f is not None and f.has_python is True
    assert (f.python_version, f.distribution, f.distribution_version) == (python, distro, version)
    assert f.env["PATH"] == PY_PATH and (f.user, f.uid, f.workdir) == ("root", 0, "/")
    assert f.package_manager is (PackageManager.APK if distro == "alpine" else PackageManager.APT)
    assert f.python_minor == (python if python and "." in python else None)


def test_python_env_follows_the_dockerfiles() -> None:
    assert facts_of("python:3.11-slim").env["LANG"] == "C.UTF-8"
    assert "LANG" not in facts_of("python:3.13-slim").env  # 3.13+ set no LANG today
    assert "LANG" not in facts_of("python:3-slim").env  # the minor decides, and it is not pinned
    assert facts_of("python:3.11.4-slim").env["PYTHON_VERSION"] == "3.11.4"
    assert "PYTHON_VERSION" not in facts_of("python:3.11-slim").env  # the patch release moves
    assert not facts_of("python:3.11-slim").env_complete


@pytest.mark.parametrize("ref", [
    "foo/python:3.11", "localhost:5000/python:3.11", "ghcr.io/library/python:3.11",  # not the official image
    "python@sha256:" + "c" * 64,  # a digest names no tag family
    "python:3.11-windowsservercore-ltsc2022", "python:3.11-slim-foo", "python:3.11-", "python:-slim",
    "debian:sid", "debian:bookworm-backports", "debian:99", "ubuntu:99.04", "ubuntu:nonsense",
    "alpine:edge", "node:20-foo", "myorg/base:1", "nvidia/cuda:12.1.0-runtime-centos7", "not a ref",
])
def test_anything_outside_the_table_is_unknown(ref: str) -> None:
    assert facts_of(ref) is None


def test_other_families() -> None:
    d = facts_of("debian:bookworm-slim")
    assert (d.distribution, d.distribution_version, d.package_manager, d.has_python) == \
        ("debian", "12", PackageManager.APT, False)
    assert facts_of("debian:12.5").distribution_version == "12"
    assert facts_of("ubuntu:jammy-20240101").distribution_version == "22.04"
    assert facts_of("ubuntu:24.04").env["PATH"] == DEFAULT_PATH
    assert facts_of("alpine:3.20.1").package_manager is PackageManager.APK
    n = facts_of("node:22.1.0-bookworm-slim")
    assert (n.user, n.env["NODE_VERSION"], n.distribution_version, n.has_python) == ("root", "22.1.0", "12", False)
    assert facts_of("node:20").has_python is None  # the full variant: not known
    g = facts_of("golang:1.22-alpine")
    assert (g.workdir, g.env["GOPATH"], g.distribution) == ("/go", "/go", "alpine")
    c = facts_of("nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04")
    assert (c.distribution, c.distribution_version, c.user, c.workdir, c.python_version) == \
        ("ubuntu", "22.04", None, None, None)
    assert facts_of("scratch").env_complete
    dc = facts_of("mcr.microsoft.com/devcontainers/python:3.11-bullseye")
    assert (dc.python_minor, dc.distribution_version, dc.user, dc.workdir, dict(dc.env)) == ("3.11", "11", None, None, {})


@pytest.mark.parametrize("reference,windows", [
    ("mcr.microsoft.com/windows/servercore:ltsc2022", True),
    ("mcr.microsoft.com/windows/nanoserver:ltsc2022", True),
    ("mcr.microsoft.com/windows/servercore:${WINDOWS_VERSION}", True),
    ("mcr.microsoft.com/dotnet/framework/sdk:4.8-windowsservercore-ltsc2019", True),
    ("python:3.12-windowsservercore-ltsc2022", True),
    ("nanoserver", True),
    ("mcr.microsoft.com/dotnet/sdk:8.0", False),
    ("python:3.12-slim", False),
    ("mcr.microsoft.com/devcontainers/python:3.12", False),
])
def test_windows_image(reference: str, windows: bool) -> None:
    # Names as Microsoft's registry and the official images' Windows tags spell them.
    assert windows_image(reference) is windows
