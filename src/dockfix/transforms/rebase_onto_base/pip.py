"""What a RUN does, as far as the rebase needs it: package-manager installs (the directory and
the app files do not matter), pip installs (which requirement files, into which site), or
anything else (unknown: never matched)."""

from __future__ import annotations

import enum
import posixpath
import re
from dataclasses import dataclass, field

from dockfix.syntax import Instruction
from dockfix.transforms.rebase_onto_base.shell import _mount_types, _split_chain

_PACKAGE_MANAGERS = frozenset({"apt-get", "apt", "apk", "dnf", "yum", "microdnf", "zypper", "tdnf"})
_PIP_VALUE_FLAGS = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                              "--trusted-host", "--proxy", "--timeout", "--retries", "--cache-dir",
                              "--log", "--progress-bar", "--upgrade-strategy", "--platform",
                              "--python-version", "--implementation", "--abi", "--only-binary",
                              "--no-binary", "--global-option", "--config-settings", "-C",
                              "--root-user-action", "--exists-action", "--report"})
_PIP_WRITES_ELSEWHERE = frozenset({"-t", "--target", "--prefix", "--root", "-e", "--editable", "--src"})
_REQUIREMENT_FLAGS = ("-r", "--requirement", "-c", "--constraint")
_SHORT_REQUIREMENT = re.compile(r"-[rc]\S")
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")


class RunKind(enum.Enum):
    PACKAGES = "packages"  # package managers, and removing their caches by absolute path
    PIP = "pip"  # pip installs of packages and requirement files (relative -r paths: cwd matters)
    OTHER = "other"  # anything else: not read


class Site(enum.Enum):
    """Where a pip install puts what it installs."""

    USER = "user"  # --user (or PIP_USER): the home's .local of the user the RUN runs as
    SYSTEM = "system"  # the interpreter's own site-packages


# The members as module names (see stages.py: Enum member lookups are slow in 3.11).
PACKAGES, PIP, OTHER = RunKind
USER_SITE, SYSTEM_SITE = Site


@dataclass
class _Pip:
    reqs: list[str]  # -r files as written
    constraints: list[str]
    user: bool
    cwd: str
    local: bool  # installs a local path (reads the current directory's files)
    packages: list[str] = field(default_factory=list)  # named on the command line

    @property
    def site(self) -> Site:
        return USER_SITE if self.user else SYSTEM_SITE


def _classify_run(ins: Instruction, workdir: str, scope: dict[str, str]) -> tuple[RunKind, list[_Pip]]:
    """The RUN's kind and the pip installs it runs (in order)."""
    if ins.json or ins.heredocs or not ins.value:
        return OTHER, []
    if any(t != "cache" for t in _mount_types(ins)):
        return OTHER, []
    cmds = _split_chain(ins.value[0])
    if not cmds:
        return OTHER, []
    pips: list[_Pip] = []
    for words in cmds:
        kind, pip = _command(words, workdir, scope)
        if kind is OTHER:
            return OTHER, []
        if pip is not None:
            pips.append(pip)
    # Every command is a package-manager one or a pip install (the chain is never empty).
    return (PIP if pips else PACKAGES), pips


def _command(words: list[tuple[str, bool]], workdir: str, scope: dict[str, str]) -> tuple[RunKind, _Pip | None]:
    """One simple command of the chain: its kind, and the pip install it is."""
    n = 0
    while n < len(words) and _ASSIGNMENT.match(words[n][0]):
        n += 1
    argv = [w for w, _ in words[n:]]
    if not argv:
        return OTHER, None
    kind = _package_kind(argv, words[n:])
    if kind is not None:
        return kind, None
    pip = _pip_args(argv)
    if pip is None:
        return OTHER, None
    parsed = _parse_pip(pip[1:], workdir, _user_site(pip, [w for w, _ in words[:n]], scope))
    return (OTHER, None) if parsed is None else (PIP, parsed)


def _package_kind(argv: list[str], words: list[tuple[str, bool]]) -> RunKind | None:
    """A package manager (OTHER when the shell still expands a word: the packages are not
    known here) or `rm` of absolute paths (its caches); None for any other program."""
    prog = posixpath.basename(argv[0])
    if prog in _PACKAGE_MANAGERS:
        return OTHER if any(expands for _, expands in words) else PACKAGES
    if prog == "rm" and all(a.startswith("-") or (a.startswith("/") and a != "/") for a in argv[1:]):
        return PACKAGES
    return None


def _user_site(pip: list[str], assigns: list[str], scope: dict[str, str]) -> bool:
    """Does the install go to the user site: `--user`, or PIP_USER on the command or in ENV?"""
    return "--user" in pip or any(a.split("=", 1)[0] == "PIP_USER" for a in assigns) or \
        _truthy(scope.get("PIP_USER"))


def _truthy(v: str | None) -> bool:
    return v is not None and v.strip().lower() in ("1", "true", "yes", "on")


def _pip_args(argv: list[str]) -> list[str] | None:
    """The arguments from `install` on, for `pip install …`, `pip3 install …` and
    `python[3[.x]] -m pip install …`; None for any other command."""
    prog = posixpath.basename(argv[0])
    if re.fullmatch(r"pip(3(\.\d+)?)?", prog):
        rest = argv[1:]
    elif re.fullmatch(r"python(3(\.\d+)?)?", prog) and argv[1:3] == ["-m", "pip"]:
        rest = argv[3:]
    else:
        return None
    return rest if rest and rest[0] == "install" else None


def _parse_pip(args: list[str], cwd: str, user: bool) -> _Pip | None:
    """`pip install`'s arguments; None when it writes anywhere but a site (`--target`,
    `--prefix`, `-e`) or an option lacks its value."""
    pip = _Pip([], [], user, cwd, False)
    i = 0
    while i < len(args):
        a = args[i]
        name, eq, _ = a.partition("=")
        if name in _REQUIREMENT_FLAGS or _SHORT_REQUIREMENT.match(a):
            found = _requirement_arg(args, i)
            if found is None:
                return None
            i, flag, value = found
            (pip.reqs if flag in ("-r", "--requirement") else pip.constraints).append(value)
        elif name in _PIP_WRITES_ELSEWHERE:
            return None
        elif name in _PIP_VALUE_FLAGS:
            i += 0 if eq else 1
        elif a == "--user":
            pip.user = True
        elif not a.startswith("-"):
            _positional(pip, a)
        i += 1
    return pip


def _requirement_arg(args: list[str], i: int) -> tuple[int, str, str] | None:
    """(index of the value, flag, value) of `-r f`, `-rf`, `--requirement=f`, `-c f`, …"""
    a = args[i]
    name, eq, value = a.partition("=")
    if _SHORT_REQUIREMENT.match(a) and not eq:
        return i, a[:2], a[2:]
    if eq:
        return i, name, value
    if i + 1 >= len(args):
        return None
    return i + 1, name, args[i + 1]


def _positional(pip: _Pip, a: str) -> None:
    if a.startswith((".", "/", "~")) or "/" in a or a.endswith((".whl", ".tar.gz", ".zip")):
        pip.local = True
    else:
        pip.packages.append(a)
