"""What common official base images provide, when they are not built in the repository.

`facts_of(reference)` answers from a table we ship: the user, working directory, env,
shell, distribution, package manager and Python version of an official image, by tag
family. Anything the table does not hold is None (unknown), never guessed: an image that is
not official (`foo/python:3.11`), a tag family we do not list, a fact a moving tag does not
pin (`python:3.11-slim` is Debian, but which release depends on when it is pulled).

Where the facts come from (read at the commits named):
- docker-library/python 4f07059 (`3.1x/<variant>/Dockerfile`, `versions.json`): every Linux
  variant is `FROM debian:<suite>-slim`, `buildpack-deps:<suite>` or `alpine:3.x`, then
  `ENV PATH /usr/local/bin:$PATH`; 3.10 to 3.12 also `ENV LANG C.UTF-8` (3.13 and later
  do not, today); `ENV PYTHON_VERSION <x.y.z>`; no USER, WORKDIR or SHELL; CMD python3.
- docker-library/official-images 2026-08 (`library/python`, `library/debian`, …): which tags
  name which directory (`3.11-slim` is the default Debian suite's slim variant, which moves).
- docker-library/golang `1.24/bookworm/Dockerfile`: `ENV GOPATH /go`, `ENV PATH
  $GOPATH/bin:/usr/local/go/bin:$PATH`, `ENV GOTOOLCHAIN=local`, `WORKDIR $GOPATH`.
- nodejs/docker-node `22/bookworm-slim/Dockerfile`: FROM the Debian/Alpine image, a `node`
  user (uid 1000) created but no USER, no WORKDIR, no ENV PATH; NODE_VERSION, YARN_VERSION.
- moby/buildkit 73ed682 `dockerfile2llb/convert.go`: an image without PATH gets
  `util/system.DefaultPathEnvUnix` (debian, ubuntu and alpine images set none).
- devcontainers/images `src/python/.devcontainer/Dockerfile`: `FROM python:${VARIANT}` with
  the tag as the variant, then devcontainer features (a user, tools on PATH): only the
  Python version and the distribution carry over.
nvidia/cuda's Dockerfiles are not in the stored corpus: only what its tag spells (the
Ubuntu release, hence apt) is in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Mapping

from dockfix.model import base_dirs
from dockfix.model.base_dirs import BaseDirectories, distribution_directories, with_image

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # BuildKit DefaultPathEnvUnix


# ------------------------------------------------------------------------------------------
# References: distribution/reference's grammar, normalised as Docker does
# ------------------------------------------------------------------------------------------
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$")
# Registries that serve the Docker Official Images under their usual names.
_OFFICIAL_MIRRORS = {"docker.io": "library/", "index.docker.io": "library/", "registry-1.docker.io": "library/",
                     "mirror.gcr.io": "library/", "public.ecr.aws": "docker/library/"}


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "docker.io"
    path: str  # "library/python"
    tag: str | None  # None: none written ("latest" when there is no digest either)
    digest: str | None

    @property
    def official_name(self) -> str | None:
        """"python" for a Docker Official Image (or a known mirror of one), else None."""
        prefix = _OFFICIAL_MIRRORS.get(self.registry)
        if prefix and self.path.startswith(prefix) and "/" not in self.path[len(prefix):]:
            return self.path[len(prefix):]
        return None

    @property
    def effective_tag(self) -> str | None:
        """The tag a pull uses: as written, "latest" when neither tag nor digest is."""
        if self.tag is None and self.digest is None:
            return "latest"
        return self.tag

    def __str__(self) -> str:
        return (f"{self.registry}/{self.path}" + (f":{self.tag}" if self.tag else "")
                + (f"@{self.digest}" if self.digest else ""))


def parse_ref(text: str) -> ImageRef | None:
    """Docker's reading of an image reference (`python:3.11-slim`,
    `docker.io/library/python:3.11-slim@sha256:…`); None when it is not a valid one."""
    m = _REFERENCE.match(text)
    if m is None:
        return None
    domain, path = m.group("domain"), m.group("path")
    # ParseNormalizedNamed: the first component is a registry only if it looks like a host.
    if domain is not None and not ("." in domain or ":" in domain or domain == "localhost" or domain != domain.lower()):
        path, domain = f"{domain}/{path}", None
    if domain is None:
        domain = "docker.io"
        if "/" not in path:
            path = "library/" + path
    if domain == "index.docker.io":
        domain = "docker.io"
    if len(path) > 255:
        return None
    return ImageRef(domain, path, m.group("tag"), m.group("digest"))


# ------------------------------------------------------------------------------------------
# Facts
# ------------------------------------------------------------------------------------------
class PackageManager(Enum):
    APT = "apt"
    APK = "apk"
    DNF = "dnf"
    MICRODNF = "microdnf"
    YUM = "yum"


@dataclass(frozen=True)
class BaseFacts:
    """What an image provides. None in a field: not known from the table."""

    image: str  # the family, for messages: "python:3.11-slim"
    user: str | None = None
    uid: int | None = None
    workdir: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # values known exactly
    shell: tuple[str, ...] | None = None
    distribution: str | None = None  # "debian", "ubuntu", "alpine"
    distribution_version: str | None = None  # "12", "22.04", "3.20"
    package_manager: PackageManager | None = None
    has_python: bool | None = None  # None: not known
    python_version: str | None = None  # "3.11"; "3" when only the major is pinned
    source: str = ""  # where the facts come from
    env_complete: bool = False  # `env` is the image's whole env (else a name not in it may be set)
    directories: BaseDirectories = base_dirs.UNKNOWN_BASE  # its file system's directories (model.base_dirs)

    @property
    def python_minor(self) -> str | None:
        """"3.11" when the tag pins the minor version, else None."""
        v = self.python_version
        return v if v is not None and v.count(".") == 1 else None


_ROOT = {"user": "root", "uid": 0, "workdir": "/", "shell": ("/bin/sh", "-c")}

_DEBIAN_SUITES = {"trixie": "13", "bookworm": "12", "bullseye": "11", "buster": "10", "stretch": "9"}
_UBUNTU = {"noble": "24.04", "jammy": "22.04", "focal": "20.04", "bionic": "18.04"}
_UBUNTU_VERSIONS = {v: k for k, v in _UBUNTU.items()}


def _distro(suite: str | None, alpine: bool, alpine_version: str | None, added: frozenset[str] = frozenset(),
            filled: frozenset[str] = frozenset(), homes: tuple[tuple[str, str], ...] = ()) -> dict:
    """The distribution facts of an official image built on Debian or Alpine, and its
    directories: the distribution's, with the `homes`, `added` and `filled` of its Dockerfile
    (`model.base_dirs.with_image`)."""
    name = "alpine" if alpine else "debian"
    dirs = with_image(distribution_directories(name), homes, added, filled)
    if alpine:
        return {"distribution": name, "distribution_version": alpine_version, "package_manager": PackageManager.APK,
                "directories": dirs}
    return {"distribution": name, "distribution_version": _DEBIAN_SUITES.get(suite or ""),
            "package_manager": PackageManager.APT, "directories": dirs}


# The *_TAG patterns are strings, compiled (and cached) by `re` on first use: a repository
# uses one or two of these images, and compiling all at import was 1 ms of every start.
# python:<version>[-rc][-slim][-<suite>] | [-alpine[3.x]]; <version> = 3 | 3.11 | 3.11.4 (| 3.15.0rc1)
_PYTHON_TAG = (
    r"^(?:(?P<major>\d+)(?:\.(?P<minor>\d+)(?:\.(?P<patch>\d+)(?:(?:a|b|rc)\d+)?)?)?(?:-rc)?-?)?"
    r"(?:(?P<slim>slim)(?:-(?P<slim_suite>[a-z]+))?|(?P<suite>trixie|bookworm|bullseye|buster|stretch)"
    r"|alpine(?P<alpine>\d+\.\d+)?(?P<is_alpine>)|)$")
# LANG C.UTF-8 in the current Dockerfiles of these minors (3.13 and later dropped it).
_PYTHON_LANG = frozenset({"3.10", "3.11", "3.12"})


def _python(tag: str) -> BaseFacts | None:
    m = re.match(_PYTHON_TAG, "" if tag == "latest" else tag)
    if m is None or (m.group("slim_suite") and m.group("slim_suite") not in _DEBIAN_SUITES):
        return None
    if tag.endswith("-") or tag.startswith("-"):
        return None
    major, minor, patch = m.group("major"), m.group("minor"), m.group("patch")
    alpine = m.group("is_alpine") is not None
    version = None if major is None else major if minor is None else f"{major}.{minor}"
    env = {"PATH": "/usr/local/bin:" + DEFAULT_PATH}
    if minor is not None and version in _PYTHON_LANG:
        env["LANG"] = "C.UTF-8"
    if patch is not None and re.fullmatch(r"\d+\.\d+\.\d+", tag.split("-")[0]):
        env["PYTHON_VERSION"] = tag.split("-")[0]  # a pinned patch tag is built with it
    suite = m.group("slim_suite") or m.group("suite")
    # `make install` with prefix /usr/local: the standard library's directory by minor version.
    added = frozenset({f"/usr/local/lib/python{version}"}) if minor is not None else frozenset()
    return BaseFacts(f"python:{tag}", env=MappingProxyType(env), has_python=True, python_version=version,
                     source="docker-library/python Dockerfiles", **_ROOT,
                     **_distro(suite, alpine, m.group("alpine"), added))


# debian:<suite>[-slim] | <n>[.<m>][-slim] | <suite>-<date>[-slim] | stable… (moving: version unknown)
_DEBIAN_TAG = r"^(?:(?P<suite>[a-z]+)(?:-\d{8})?|(?P<num>\d+)(?:\.\d+)?)(?:-slim)?$"


def _debian(tag: str) -> BaseFacts | None:
    m = re.match(_DEBIAN_TAG, tag)
    if m is None or tag.startswith(("experimental", "rc-buggy", "sid")) or "backports" in tag:
        return None
    suite, num = m.group("suite"), m.group("num")
    if suite is not None and suite not in _DEBIAN_SUITES and suite not in ("stable", "oldstable", "latest", "testing"):
        return None
    version = _DEBIAN_SUITES.get(suite or "") or (num if num in _DEBIAN_SUITES.values() else None)
    if num is not None and version is None:
        return None
    return BaseFacts(f"debian:{tag}", env=MappingProxyType({"PATH": DEFAULT_PATH}), distribution="debian",
                     directories=distribution_directories("debian"),
                     distribution_version=version, package_manager=PackageManager.APT, has_python=False,
                     source="docker-library/official-images library/debian; BuildKit's default PATH", **_ROOT)


_UBUNTU_TAG = r"^(?:(?P<name>[a-z]+)(?:-\d{8}(?:\.\d+)?)?|(?P<num>\d\d\.\d\d))$"


def _ubuntu(tag: str) -> BaseFacts | None:
    m = re.match(_UBUNTU_TAG, tag)
    if m is None:
        return None
    name, num = m.group("name"), m.group("num")
    if name is not None and name not in _UBUNTU and name not in ("latest", "rolling"):
        return None
    if num is not None and num not in _UBUNTU_VERSIONS:
        return None
    return _ubuntu_facts(f"ubuntu:{tag}", _UBUNTU.get(name or "") or num)


def _ubuntu_facts(image: str, version: str | None, **extra) -> BaseFacts:
    facts = {**_ROOT, "env": MappingProxyType({"PATH": DEFAULT_PATH}), "has_python": False, **extra}
    return BaseFacts(image, distribution="ubuntu", distribution_version=version, package_manager=PackageManager.APT,
                     directories=distribution_directories("ubuntu", version),
                     source="docker-library/official-images library/ubuntu; BuildKit's default PATH", **facts)


_ALPINE_TAG = r"^(?:(?P<version>3\.\d+)(?:\.\d+)?|latest|3)$"


def _alpine(tag: str) -> BaseFacts | None:
    m = re.match(_ALPINE_TAG, tag)
    if m is None:
        return None
    return BaseFacts(f"alpine:{tag}", env=MappingProxyType({"PATH": DEFAULT_PATH}), distribution="alpine",
                     distribution_version=m.group("version"), package_manager=PackageManager.APK, has_python=False,
                     directories=distribution_directories("alpine"),
                     source="docker-library/official-images library/alpine; BuildKit's default PATH", **_ROOT)


# node:<version>[-<suite>[-slim]] | [-slim] | [-alpine[3.x]]
_NODE_TAG = (r"^(?:(?P<version>\d+(?:\.\d+){0,2})|lts|current|latest)?-?"
             r"(?:(?P<suite>trixie|bookworm|bullseye|buster)?-?(?P<slim>slim)?|alpine(?P<alpine>\d+\.\d+)?(?P<is_alpine>))$")


# The `node` login and its home (useradd --create-home, adduser -D); Yarn is unpacked in
# /opt/yarn-v<version>.
_NODE_HOMES = (("/home/node", "node"),)


def _node(tag: str) -> BaseFacts | None:
    m = re.match(_NODE_TAG, tag)
    if m is None or not tag or tag.endswith("-") or tag.startswith("-"):
        return None
    alpine = m.group("is_alpine") is not None
    env = {"PATH": DEFAULT_PATH}
    v = m.group("version")
    if v is not None and v.count(".") == 2:
        env["NODE_VERSION"] = v
    # The full (buildpack-deps) variants may carry a python3; slim and alpine do not.
    has_python = False if (alpine or m.group("slim")) else None
    return BaseFacts(f"node:{tag}", env=MappingProxyType(env), has_python=has_python,
                     source="nodejs/docker-node Dockerfiles", **_ROOT,
                     **_distro(m.group("suite"), alpine, m.group("alpine"), filled=frozenset({"/opt"}), homes=_NODE_HOMES))


_GOLANG_TAG = r"^(?:(?P<version>\d+(?:\.\d+){0,2})-?)?(?:(?P<suite>trixie|bookworm|bullseye)|alpine(?P<alpine>\d+\.\d+)?(?P<is_alpine>)|latest|)$"


# `mkdir -p "$GOPATH/src" "$GOPATH/bin"`, and the toolchain unpacked in /usr/local/go.
_GOLANG_DIRS = frozenset({"/go", "/go/src", "/go/bin", "/usr/local/go"})


def _golang(tag: str) -> BaseFacts | None:
    m = re.match(_GOLANG_TAG, tag)
    if m is None or not tag or tag.endswith("-"):
        return None
    alpine = m.group("is_alpine") is not None
    env = {"GOPATH": "/go", "PATH": "/go/bin:/usr/local/go/bin:" + DEFAULT_PATH}
    root = {**_ROOT, "workdir": "/go"}
    return BaseFacts(f"golang:{tag}", env=MappingProxyType(env), has_python=None,
                     source="docker-library/golang Dockerfiles", **root,
                     **_distro(m.group("suite"), alpine, m.group("alpine"), _GOLANG_DIRS))


# nvidia/cuda:<version>[-cudnn<n>]-<flavour>-<distro><version>: only the distribution is read.
_CUDA_TAG = r"^\d+\.\d+(?:\.\d+)?(?:-cudnn\d*)?-(?:base|runtime|devel)-ubuntu(?P<ubuntu>\d\d\.\d\d)$"


def _cuda(tag: str) -> BaseFacts | None:
    m = re.match(_CUDA_TAG, tag)
    if m is None:
        return None
    return BaseFacts(f"nvidia/cuda:{tag}", distribution="ubuntu", distribution_version=m.group("ubuntu"),
                     package_manager=PackageManager.APT, source="the tag (nvidia/cuda's Dockerfiles are not read)",
                     directories=with_image(distribution_directories("ubuntu", m.group("ubuntu")), listed_only=True))


def _devcontainers_python(tag: str) -> BaseFacts | None:
    py = _python(tag)
    if py is None:
        return None
    return BaseFacts(f"mcr.microsoft.com/devcontainers/python:{tag}", distribution=py.distribution,
                     distribution_version=py.distribution_version, package_manager=py.package_manager,
                     has_python=True, python_version=py.python_version,
                     source="devcontainers/images src/python: FROM python:<tag>",
                     directories=with_image(py.directories, listed_only=True))


_OFFICIAL = {"python": _python, "debian": _debian, "ubuntu": _ubuntu, "alpine": _alpine, "node": _node,
             "golang": _golang}

SCRATCH = BaseFacts("scratch", env=MappingProxyType({"PATH": DEFAULT_PATH}), user="root", uid=0, workdir="/",
                    has_python=False, env_complete=True, directories=base_dirs.SCRATCH,
                    source="BuildKit: scratch is empty; an image without PATH gets the default")


# Windows images: Microsoft's base images and the official images' Windows tags. A RUN in a
# stage built on one is read by cmd.exe (BuildKit's default shell for a Windows platform), not sh.
_WINDOWS_MARKS = ("nanoserver", "windowsservercore", "mcr.microsoft.com/windows/", "mcr.microsoft.com/dotnet/framework/")


def windows_image(reference: str) -> bool:
    """The reference, as written (ARGs unexpanded), names a Windows image by one of the names
    Microsoft and the official images give them (mcr.microsoft.com/windows/servercore,
    …/nanoserver, a `-windowsservercore-ltsc2022` tag, mcr.microsoft.com/dotnet/framework/…)."""
    text = reference.lower()
    return any(mark in text for mark in _WINDOWS_MARKS)


def facts_of(reference: str | ImageRef) -> BaseFacts | None:
    """What the image provides, or None when the table does not know it."""
    if isinstance(reference, str):
        if reference == "scratch":
            return SCRATCH
        ref = parse_ref(reference)
        if ref is None:
            return None
    else:
        ref = reference
    tag = ref.effective_tag
    if tag is None:  # a digest alone: which tag family it belongs to is not written
        return None
    name = ref.official_name
    if name in _OFFICIAL:
        return _OFFICIAL[name](tag)
    if ref.registry == "docker.io" and ref.path == "nvidia/cuda":
        return _cuda(tag)
    if ref.registry == "mcr.microsoft.com" and ref.path == "devcontainers/python":
        return _devcontainers_python(tag)
    return None
