"""Smoke checks on a built image, for ``dockfix verify --build``.

Each check runs a small command in a throwaway container as the image's own USER, with its
Env and WORKDIR, because that is where a rewrite breaks things that a text comparison cannot
see: a console script installed with ``pip install --user`` as root lands in
``/root/.local/bin``, which a later non-root USER can neither see on PATH nor read; the build
succeeds, the container dies with ``gunicorn: not found``.

A runner is anything with ``run_as_user`` and ``inspect`` (an `Engine` or a `BuildSession`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from dockfix.build.engines import RunResult
from dockfix.build.images import ImageInfo

_SHELLS = {"sh", "bash", "dash", "ash"}
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_VERSION = re.compile(r"Python (\d+\.\d+\.\d+\S*)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

# Finds the module as `python -m` would (cwd first on sys.path) and imports it. For a package,
# `python -m` runs pkg.__main__: that one is only found, not imported, since importing it
# would start the program.
_IMPORT_CHECK = """\
import importlib, importlib.util, sys
name = sys.argv[1]
spec = importlib.util.find_spec(name)
if spec is None:
    sys.exit("No module named " + name)
if spec.submodule_search_locations is not None and importlib.util.find_spec(name + ".__main__") is None:
    sys.exit(name + " is a package and cannot be directly executed (no __main__)")
importlib.import_module(name)
print(spec.origin)
"""


class ImageRunner(Protocol):
    def run_as_user(self, image: str, argv: Sequence[str], *, user: str | None = ...,
                    workdir: str | None = ..., timeout: float = ...) -> RunResult: ...

    def inspect(self, image: str) -> ImageInfo: ...


@dataclass(frozen=True)
class SmokeCheck:
    """One check's verdict; `detail` says what was seen, `value` the measured thing if any."""

    name: str
    ok: bool
    detail: str
    value: str | None = None


@dataclass(frozen=True)
class FileEntry:
    """One path under WORKDIR; size only for regular files (directory sizes are fs noise)."""

    path: str  # relative to WORKDIR
    kind: str  # find's %y: f file, d directory, l symlink, ...
    mode: str  # octal permission bits
    uid: int
    gid: int
    size: int


def python_version(runner: ImageRunner, image: str) -> SmokeCheck:
    """The image's Python version, from ``python3 --version``, else ``python --version``."""
    attempts = []
    for interpreter in ("python3", "python"):
        result = runner.run_as_user(image, [interpreter, "--version"])
        if result.exit_code == 0 and (m := _VERSION.search(result.stdout + result.stderr)):
            return SmokeCheck("python-version", True, f"{interpreter}: Python {m.group(1)}", m.group(1))
        attempts.append(f"{interpreter}: {_short(result)}")
    return SmokeCheck("python-version", False, "; ".join(attempts))


def command_executable(info: ImageInfo) -> str | None:
    """The program the image starts: ENTRYPOINT[0], else CMD[0]; for the shell form
    (``sh -c "..."``) the first word of the command line, past ``VAR=x`` and ``exec``.
    Only the first simple command is looked at (``cd /app && gunicorn`` gives ``cd``)."""
    argv = list(info.entrypoint) or list(info.cmd)
    if not argv:
        return None
    if len(argv) >= 3 and PurePosixPath(argv[0]).name in _SHELLS and argv[1] == "-c":
        try:
            words = shlex.split(argv[2])
        except ValueError:
            return argv[0]
        while words and (_ASSIGNMENT.match(words[0]) or words[0] == "exec"):
            words.pop(0)
        return words[0] if words else argv[0]
    return argv[0]


def command_module(info: ImageInfo) -> tuple[str, str] | None:
    """(interpreter, module) when the image starts with ``python -m module``, else None."""
    argv = [*info.entrypoint, *info.cmd] if info.entrypoint else list(info.cmd)
    if not argv or not _PYTHON.match(PurePosixPath(argv[0]).name):
        return None
    for index in range(1, len(argv) - 1):
        if argv[index] == "-m":
            return argv[0], argv[index + 1]
        if not argv[index].startswith("-"):
            return None  # `python script.py -m x`: -m belongs to the script
    return None


def cmd_executable_resolves(runner: ImageRunner, image: str, info: ImageInfo | None = None) -> SmokeCheck:
    """Does the program the image starts resolve (``command -v``) as the image's user, with
    the image's PATH?"""
    info = info or runner.inspect(image)
    executable = command_executable(info)
    if executable is None:
        return SmokeCheck("cmd-executable", False, "the image has neither ENTRYPOINT nor CMD")
    result = runner.run_as_user(image, ["/bin/sh", "-c", 'command -v "$1"', "sh", executable])
    found = result.stdout.strip()
    if result.ok and found:
        return SmokeCheck("cmd-executable", True, f"{executable} -> {found}", found)
    path = info.env_dict.get("PATH", "(unset)")
    detail = f"{executable}: not found (as user {info.user or 'root'}, PATH={path})"
    if result.exit_code not in (0, 1, 127) or result.timed_out:  # the check itself broke
        detail += f"; {_short(result)}"
    return SmokeCheck("cmd-executable", False, detail)


def module_importable(
    runner: ImageRunner, image: str, module: str, *, python: str = "python3"
) -> SmokeCheck:
    """Can `python -m module` find it as the image's user, from WORKDIR? The module is imported
    (its top level runs, its ``__main__`` block does not)."""
    result = runner.run_as_user(image, [python, "-c", _IMPORT_CHECK, module])
    if result.ok:
        # The origin is the last line: the module's own top level may print before it.
        origin = (result.stdout.strip().splitlines() or [""])[-1]
        return SmokeCheck("module-importable", True, f"{module} -> {origin}", module)
    return SmokeCheck("module-importable", False, f"{python} -m {module}: {_short(result)}")


def workdir_files(runner: ImageRunner, image: str, info: ImageInfo | None = None) -> frozenset[FileEntry]:
    """Every path under WORKDIR (``/`` when unset), listed as root so nothing is unreadable.
    Compare the sets of an image before and after a rewrite. Raises RuntimeError when the
    listing fails (the image needs GNU find)."""
    info = info or runner.inspect(image)
    workdir = info.working_dir or "/"
    result = runner.run_as_user(
        image,
        # NUL-separated fields: a path may hold any byte but NUL.
        ["find", ".", "-xdev", "-mindepth", "1", "-printf", r"%P\0%y\0%m\0%U\0%G\0%s\0"],
        user="0",
        workdir=workdir,
    )
    if not result.ok:
        raise RuntimeError(f"listing {workdir} in {image} failed: {_short(result)}")
    fields = result.stdout.split("\0")[:-1]
    entries = set()
    for at in range(0, len(fields), 6):
        path, kind, mode, uid, gid, size = fields[at : at + 6]
        entries.add(FileEntry(path, kind, mode, int(uid), int(gid), int(size) if kind == "f" else 0))
    return frozenset(entries)


def _short(result: RunResult) -> str:
    if result.timed_out:
        return f"timed out after {result.duration_s:.0f} s"
    text = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return (text[-1] if text else "") + f" (exit {result.exit_code})"
