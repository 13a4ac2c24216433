"""What a RUN does, as far as the rebase needs it: package-manager installs (the directory and
the app files do not matter), pip installs (which requirement files, into which site), or
anything else (unknown: never matched).

The RUN is read by the shared readers: `shell.and_list_commands` (BuildKit's execution, the
POSIX shell reader) and `model.packages.read_pip` (pip's own option grammar, every spelling).
"""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass, field

from dockfix.model.mounts import MountType, run_mounts
from dockfix.model.packages import PipAction, PipCommand, PipFront, Unknown, read_pip
from dockfix.model.run import DEFAULT_SHELL
from dockfix.model.shell import Command
from dockfix.syntax import Instruction
from dockfix.transforms.rebase_onto_base.shell import and_list_commands

_PACKAGE_MANAGERS = frozenset({"apt-get", "apt", "apk", "dnf", "yum", "microdnf", "zypper", "tdnf"})
# Where pip would write anything but the interpreter's site, or read the current directory.
_WRITES_ELSEWHERE = ("target_dir", "prefix_path", "root_path", "src_dir")
# A requirement-file path the shell does not know: never a file a COPY brought.
UNKNOWN_PATH = "\0unknown\0"
# What sends a word the shell leaves unexpanded (a glob) to "unknown": quoting, expansions.
_NOT_LITERAL = frozenset("$`'\"\\")


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
    reqs: list[str]  # -r files as written (UNKNOWN_PATH when the shell does not know one)
    constraints: list[str]
    user: bool
    cwd: str
    local: bool  # installs a local path, or an argument the shell does not know
    packages: list[str] = field(default_factory=list)  # named on the command line

    @property
    def site(self) -> Site:
        return USER_SITE if self.user else SYSTEM_SITE


def _classify_run(ins: Instruction, workdir: str, scope: dict[str, str],
                  shell: tuple[str, ...] = DEFAULT_SHELL) -> tuple[RunKind, list[_Pip]]:
    """The RUN's kind and the pip installs it runs (in order)."""
    if any(m.type is not MountType.CACHE for m in run_mounts(ins.flag_values("mount"), None)):
        return OTHER, []
    commands = and_list_commands(ins, shell)
    if not commands:
        return OTHER, []
    pips: list[_Pip] = []
    for cmd in commands:
        kind, pip = _command(cmd, workdir, scope)
        if kind is OTHER:
            return OTHER, []
        if pip is not None:
            pips.append(pip)
    # Every command is a package-manager one or a pip install (the list is never empty).
    return (PIP if pips else PACKAGES), pips


def _command(cmd: Command, workdir: str, scope: dict[str, str]) -> tuple[RunKind, _Pip | None]:
    """One simple command of the list: its kind, and the pip install it is."""
    if not cmd.argv or cmd.name is None:
        return OTHER, None
    kind = _package_kind(cmd)
    if kind is not None:
        return kind, None
    found = read_pip(cmd.args, None, _pip_env(cmd, scope))
    if found is None:
        return OTHER, None
    pip = _pip_install(found, workdir)
    return (OTHER, None) if pip is None else (PIP, pip)


def _package_kind(cmd: Command) -> RunKind | None:
    """A package manager (OTHER when a word's value is unknown: the packages are not known
    here) or `rm` of absolute paths (its caches); None for any other program."""
    prog = posixpath.basename(cmd.name or "")
    if prog in _PACKAGE_MANAGERS:
        return OTHER if None in cmd.args else PACKAGES
    if prog == "rm":
        words = [_literal(w.value, w.text) for w in cmd.argv[1:]]
        if all(a is not None and (a.startswith("-") or (a.startswith("/") and a != "/")) for a in words):
            return PACKAGES
    return None


def _literal(value: str | None, text: str) -> str | None:
    """A word's value; for a glob the shell expands (no value), the pattern as written when it
    uses no quoting or expansion (`/var/lib/apt/lists/*` stays below its directory)."""
    if value is not None:
        return value
    return None if _NOT_LITERAL.intersection(text) else text


def _pip_env(cmd: Command, scope: dict[str, str]) -> dict[str, str | None]:
    """The PIP_/UV_ variables pip sees: the stage's ENV and ARGs (unknown when they hold a
    build argument or the image's value), then the script's own and the command's."""
    env: dict[str, str | None] = {k: (None if "\0" in v or "\1" in v else v)
                                  for k, v in scope.items() if k.startswith(("PIP_", "UV_"))}
    env.update((k, v) for k, v in cmd.env if k.startswith(("PIP_", "UV_")))
    return env


def _pip_install(found: PipCommand, cwd: str) -> _Pip | None:
    """A pip install into a site this transform compares; None for anything else (another
    action, uv, a launcher or interpreter options it does not know the site of, a target
    elsewhere, an editable, what pip's reading leaves unknown)."""
    if not _site_install(found):
        return None
    user = found.user_site
    if isinstance(user, Unknown):
        return None
    pip = _Pip([_path(v) for v in found.requirement_files], [_path(v) for v in found.constraint_files],
               user is True, cwd, False)
    for word in found.requirements:
        _positional(pip, word)
    if any(not isinstance(link, str) or "://" not in link for link in found.find_links):
        pip.local = True  # --find-links of a directory: the install reads the image's files
    return pip


def _site_install(found: PipCommand) -> bool:
    if found.front not in (PipFront.PIP, PipFront.PYTHON_MODULE) or found.action is not PipAction.INSTALL:
        return False  # uv resolves and installs by its own rules: not the same install as pip's
    if not found.exact or not found.installs or found.python_flags or "/" in found.launcher:
        return False  # a launcher by path may be a virtual environment's
    return not found.editables and all(found.value(d) is None for d in _WRITES_ELSEWHERE)


def _path(value: object) -> str:
    return value if isinstance(value, str) else UNKNOWN_PATH


def _positional(pip: _Pip, a: str | None) -> None:
    if a is None or a.startswith((".", "/", "~")) or "/" in a or a.endswith((".whl", ".tar.gz", ".zip")):
        pip.local = True
    else:
        pip.packages.append(a)
