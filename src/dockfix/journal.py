"""The rollback journal of `apply` (SQLite's rollback journal, for a set of files).

Before the first temporary file is created, `ROOT/.dockfix.journal` lists every target with
its old bytes (or that it did not exist), the hash of its new bytes and the name of its
temporary file, and is synced. Renames follow; the journal is removed last: its removal is
the commit. A journal found later means a run died before its commit: `recover` rolls the
repository back to the old bytes. A file that holds neither its old nor its new bytes was
edited by someone else since: it is left as it is, and said so.

Layout: b"dockfix-journal 1\\n", the header's length and "\\n", the header (JSON), the old
bytes of every entry in order, then the SHA-256 (hex) of all of that and "\\n".
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dockfix import faults
from dockfix.errors import DockfixError
from dockfix.lock import LOCK_NAME, Locked, RepoLock, holder
from dockfix.tree import OWN_FILES  # these three: the tree never lists them

JOURNAL_NAME = ".dockfix.journal"
JOURNAL_TMP = ".dockfix.journal.tmp"
_MAGIC = b"dockfix-journal 1\n"


@dataclass(frozen=True)
class Entry:
    path: str  # repo-relative target
    temp: str  # repo-relative temporary file, beside the target
    old: bytes | None  # None: the target did not exist
    new_sha256: str
    mode: int  # permission bits the new file gets


@dataclass(frozen=True)
class Rollback:
    restored: tuple[str, ...]  # put back to their old bytes
    kept: tuple[str, ...]  # edited by someone else since the write: left as they are


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(root: Path, entries: list[Entry]) -> None:
    """Write the journal and sync it (and the directory entry) before anything else."""
    header = json.dumps([{"path": e.path, "temp": e.temp, "old": None if e.old is None else len(e.old),
                          "new": e.new_sha256, "mode": e.mode} for e in entries]).encode()
    body = b"".join([_MAGIC, b"%d\n" % len(header), header] + [e.old for e in entries if e.old is not None])
    tmp = root / JOURNAL_TMP
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, body)
        write_all(fd, sha256(body).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    faults.point("journal-tmp")
    os.replace(tmp, root / JOURNAL_NAME)
    fsync_dir(root)
    faults.point("journal")


def read(root: Path) -> list[Entry] | None:
    """The entries of the journal in ROOT (None when there is none)."""
    path = root / JOURNAL_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    body, _, digest = data[:-1].rpartition(b"\n")
    if not data.startswith(_MAGIC) or not data.endswith(b"\n") or sha256(body + b"\n") != digest.decode("ascii", "replace"):
        raise DockfixError("the journal of an interrupted apply is damaged; restore the repository from "
                           "version control, then remove the journal", path=str(path))
    rest = body[len(_MAGIC):] + b"\n"
    size, _, rest = rest.partition(b"\n")
    header = json.loads(rest[:int(size)])
    offset = int(size)
    entries = []
    for item in header:
        old = None
        if item["old"] is not None:
            old = rest[offset:offset + item["old"]]
            offset += item["old"]
        entries.append(Entry(item["path"], item["temp"], old, item["new"], item["mode"]))
    return entries


def rollback(root: Path, entries: list[Entry]) -> Rollback:
    """Put every target that holds its new bytes back to its old bytes and remove every
    temporary file. Safe to run again after being cut short: it reads the disk, not a log."""
    for e in entries:
        unlink_if_exists(root / e.temp)
    restored, kept = [], []
    for e in entries:
        target = root / e.path
        current = read_or_none(target)
        if current == e.old:
            continue
        if current is None or sha256(current) != e.new_sha256:
            kept.append(e.path)
            continue
        if e.old is None:
            os.unlink(target)
        else:
            _put(root / e.temp, target, e.old, e.mode)
        restored.append(e.path)
        faults.point("restore")
    for d in {(root / e.path).parent for e in entries}:
        fsync_dir(d)
    return Rollback(tuple(restored), tuple(kept))


def finish(root: Path) -> None:
    """Remove the journal (the commit of a write, or the end of a rollback)."""
    unlink_if_exists(root / JOURNAL_NAME)
    fsync_dir(root)


def recover(root: str | os.PathLike, lock: RepoLock | None = None) -> Rollback | None:
    """Roll back what an apply killed before its commit left in ROOT (its journal, its
    temporary files), and remove a stale lock; say so on stderr. Every command runs this
    first; `lock` is the caller's when it holds the repository's lock already."""
    root = Path(root)
    if not any(os.path.lexists(root / name) for name in OWN_FILES):
        return None
    if lock is not None:
        return _recover(root)
    pid = holder(root / LOCK_NAME)
    if pid is not None:
        if os.path.lexists(root / JOURNAL_NAME):
            raise Locked(f"dockfix (pid {pid}) is rewriting this repository right now; run again when "
                         "it is done", path=str(root / LOCK_NAME))
        return None  # an apply is still planning: nothing of ours to look at
    with RepoLock.acquire(root):
        return _recover(root)


def _recover(root: Path) -> Rollback | None:
    unlink_if_exists(root / JOURNAL_TMP)  # a journal never put in place: no temporary file exists yet
    entries = read(root)
    if entries is None:
        return None
    done = rollback(root, entries)
    finish(root)
    print(f"dockfix: an interrupted apply left a journal in {root}; rolled back: "
          f"{len(done.restored)} file(s) restored to their bytes before it", file=sys.stderr)
    for path in done.kept:
        print(f"dockfix: {root / path}: changed by someone else after the interrupted apply; left as it is",
              file=sys.stderr)
    return done


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _put(temp: Path, target: Path, data: bytes, mode: int) -> None:
    """Replace `target` with `data` through `temp` (synced, mode set, then renamed)."""
    unlink_if_exists(temp)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def unlink_if_exists(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
