"""Which of the files present a RUN's unread command may read, for the rule that such a command
is proved unchanged only when it runs with the same files present (README: "Same unread
commands"). Read from the table below, checked against strace (tests/prover/test_reads.py):

- a shell builtin that reads no file (`echo`, `set -e`, `export X=1` …) reads none;
- a program whose reads are its operands (mkdir, rm, cp, cat, test …) reads those paths, what
  lies under them and the directories above them, plus what every program reads: the files of
  the program's name its PATH lookup may find, the loader's and C library's files (/lib,
  /usr/lib, /etc/ld.so.*, locales) and the account database (names of users and groups);
- any other program, or an operand the model cannot read, may read every file.

A redirection's target is read like an operand (`>>` appends to it).

What the package managers installed before a command is kept too (`installed_after`): the
packages an apt/apk/dnf install added (less those a removal took) and each pip command (its
words less the cache options), so a command moved across an install shows."""

from __future__ import annotations

import posixpath
import re

from dockfix.memo import Memo
from dockfix.model.packages import PackageAction, is_pip, read_system_packages

# dash builtins that read no file when they have no redirection (bare `set` or `export` only
# lists variables: no file either).
_BUILTINS_NO_FILE = frozenset({"echo", "printf", "true", "false", ":", "exit", "set", "export", "unset",
                               "shift", "umask", "wait"})
# Programs (external, found on PATH) that read no file of their own.
_PROGRAMS_NO_FILE = frozenset({"sleep", "basename", "dirname"})
# Builtins and programs that reach the file system only through their operands (option
# values are taken as operands too: a spare path only widens what is compared).
_OPERAND_BUILTINS = frozenset({"test", "[", "cd"})
_OPERAND_PROGRAMS = frozenset({
    "mkdir", "rmdir", "touch", "chmod", "chown", "chgrp", "ln", "rm", "cp", "mv", "install", "cat",
    "ls", "head", "tail", "sort", "wc", "cut", "tee"})
# What every program reads (strace): the loader, the C library and its locales, the account
# database (chown, ls and install map names), the time zone.
_SYSTEM_ROOTS = ("/etc/ld.so.preload", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/lib",
                 "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32",
                 "/usr/share/locale", "/usr/share/i18n", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
                 "/etc/selinux", "/selinux", "/etc/localtime", "/usr/share/zoneinfo")
_GLOB = re.compile(r"[*?\[]")
_HOME_SITE = re.compile(r"^(?:/root|/home/[^/]+)/\.local(?=/|$)")


def site_relative(path: str) -> str:
    """A user site under a home as `~/.local` (README: the site moved with the user)."""
    return _HOME_SITE.sub("~/.local", path)


def files_present(files) -> frozenset[tuple[str, str]]:
    """(image path, origin) of each file landed so far (`files`: image path -> entry with an
    origin), user sites relative to their home."""
    return frozenset((site_relative(p), e.origin) for p, e in files.items())


def files_read(args: tuple[str | None, ...], cwd: str | None, targets: tuple[str | None, ...],
               present: frozenset[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """The part of `present` the command `args` (run in `cwd`, redirecting to `targets`) may read."""
    known = _known(args)
    if known is None:
        return present
    operands, program = known
    roots = [_root(word, cwd) for word in (*operands, *targets)]
    if None in roots:
        return present
    if program is not None:  # run from a file: its lookup and what the loader reads
        roots.extend(_SYSTEM_ROOTS)
    return frozenset(x for x in present if any(_related(x[0], r) for r in roots)
                     or (program is not None and _found_by_lookup(x[0], program, cwd)))


def _known(args: tuple[str | None, ...]) -> tuple[tuple[str | None, ...], str | None] | None:
    """(the operands it reads, the program file it runs, None for a builtin) of a command in
    the table; None for any other command."""
    program = args[0] if args else None
    if program is None:
        return None
    name, builtin = posixpath.basename(program), "/" not in program
    if name in _BUILTINS_NO_FILE and builtin:
        return (), None
    if name in _OPERAND_BUILTINS and builtin:
        return _operands(args), None
    if name in _PROGRAMS_NO_FILE:
        return (), program
    if name in _OPERAND_PROGRAMS:
        return _operands(args), program
    return None


def _operands(args: tuple[str | None, ...]) -> tuple[str | None, ...]:
    return tuple(a for a in args[1:] if a is None or not a.startswith("-"))


def _found_by_lookup(path: str, program: str, cwd: str | None) -> bool:
    """`path` may be the file the shell runs for `program`: with a slash, that path; else a
    file of that name in any directory (PATH may name any)."""
    if "/" in program:
        return cwd is None or path == posixpath.normpath(posixpath.join(cwd, program))
    return posixpath.basename(path) == program


def _root(word: str | None, cwd: str | None) -> str | None:
    """The path an operand names (up to its first glob character's directory); None: unknown."""
    if word is None or (cwd is None and not word.startswith("/")):
        return None
    glob = _GLOB.search(word)
    if glob is not None:
        word = word[:glob.start()].rpartition("/")[0] or "/"
    return site_relative(posixpath.normpath(posixpath.join(cwd or "/", word)))


def _related(path: str, root: str) -> bool:
    """`path` is `root`, lies under it, or is a directory above it."""
    return path == root or path.startswith(root.rstrip("/") + "/") or root.startswith(path.rstrip("/") + "/")


_PIP_CACHE_WORDS = frozenset({"--no-cache-dir", "--no-cache"})  # the cache rule: no other effect


class Installs:
    """What package managers installed so far, as a log that grows by one entry per install
    command (a set copied at every command was quadratic in a file of 40,000 pip RUNs);
    `items()` works the set out when a comparison asks for it. Compared by `items()`."""

    __slots__ = ("before", "added", "removed", "_items")

    def __init__(self, before: "Installs | None" = None, added: frozenset[str] = frozenset(),
                 removed: frozenset[str] = frozenset()) -> None:
        self.before, self.added, self.removed = before, added, removed
        self._items: frozenset[str] | None = frozenset() if before is None and not added else None

    def items(self) -> frozenset[str]:
        if self._items is None:
            chain, node = [], self
            while node._items is None:  # back to the nearest entry already worked out
                chain.append(node)
                node = node.before
            current = set(node._items)
            for entry in reversed(chain):
                current -= entry.removed
                current |= entry.added
            self._items = frozenset(current)
        return self._items


NOTHING_INSTALLED = Installs()


def installed_after(args: tuple[str | None, ...], cwd: str | None, installed: Installs) -> Installs:
    """What is installed once the command `args` (run in `cwd`) ran, from `installed` before it."""
    key = (args, cwd)
    change = _CHANGES.get(key)
    if change is None:
        change = _CHANGES.put(key, _change(args, cwd))
    return installed if change is _NO_CHANGE else Installs(installed, *change)


# What a command adds to and removes from the installed set, by (argv, directory): a RUN's
# record (its residue) and the stage's replay both ask it of every command.
_CHANGES: Memo = Memo(1 << 16)
_NO_CHANGE = (frozenset(), frozenset())


def _change(args: tuple[str | None, ...], cwd: str | None) -> tuple[frozenset[str], frozenset[str]]:
    system = read_system_packages(args)
    if system is not None:
        names = frozenset(f"package {p}" for p in system.packages if p is not None and not p.startswith("-"))
        if system.action is PackageAction.INSTALL:
            return names, frozenset()
        if system.action in (PackageAction.REMOVE, PackageAction.PURGE):
            return frozenset(), names
        return _NO_CHANGE
    if args and None not in args and is_pip(list(args)):
        words = " ".join(a for a in args if a not in _PIP_CACHE_WORDS)
        return frozenset({f"pip {words} [in {cwd or '?'}]"}), frozenset()
    return _NO_CHANGE
