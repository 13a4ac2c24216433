"""All-or-nothing writes of a set of files, with a rollback journal and compare-and-swap.

1. Every target is checked: inside ROOT, not through a symlink, a regular file, writable
   (a read-only file is refused by name), and holding exactly the bytes dockfix read.
2. The journal (dockfix/journal.py) records the old bytes and is synced.
3. Each new file is staged beside its target (synced, the old file's mode kept).
4. Immediately before each rename its target is read again: if it changed since dockfix
   read it, nothing more is written, what was written is put back, and the error names it.
5. Directories are synced; the journal is removed (the commit).

Any failure or signal before the commit rolls back; a killed process leaves the journal,
which the next dockfix command rolls back. The caller holds the repository's lock.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from dockfix import faults, interrupts, journal
from dockfix.errors import DockfixError, Refused
from dockfix.journal import Entry, read_or_none, unlink_if_exists


class WriteError(DockfixError):
    exit_code = 2


class Changed(Refused):
    """A target changed on disk since dockfix read it (exit 1)."""


@dataclass(frozen=True)
class _Target:
    rel: str
    path: Path
    old: bytes | None


def safe_target(root: Path, rel: str) -> Path:
    """The absolute path for `rel`, refusing symlinks and anything outside root."""
    root = root.resolve()
    if os.path.isabs(rel) or ".." in Path(rel).parts:
        raise WriteError("refusing to write outside the repository", path=rel)
    # No component below root may be a symlink: the bytes would land somewhere else.
    probe = root
    for part in Path(rel).parts:
        probe = probe / part
        if probe.is_symlink():
            raise WriteError("refusing to write through a symlink", path=rel)
    return probe


def write_files(root: str | os.PathLike, files: dict[str, bytes],
                before: dict[str, bytes | None] | None = None) -> list[str]:
    """Write `files` (repo-relative path -> bytes) as one set. `before` holds the bytes
    dockfix read of each (None: absent); a file that differs from them is not overwritten.
    Returns the paths written."""
    if not files:
        return []
    root = Path(root)
    token = secrets.token_hex(4)
    entries = [_entry(root, _target(root, rel, before), files[rel], token) for rel in sorted(files)]
    try:
        journal.write(root, entries)
    except BaseException as err:
        unlink_if_exists(root / journal.JOURNAL_TMP)
        if isinstance(err, OSError):
            raise WriteError(f"cannot write the journal, nothing changed: {err.strerror or err}",
                             path=str(root / journal.JOURNAL_TMP)) from None
        raise
    try:
        _stage(root, entries, files)
        faults.point("staged")
        for e in entries:
            _compare(root, e)
            os.replace(root / e.temp, root / e.path)
            faults.point("rename")
        for d in {(root / e.path).parent for e in entries}:
            journal.fsync_dir(d)
    except BaseException as err:
        with interrupts.held():
            done = journal.rollback(root, entries)
            journal.finish(root)
        raise _failure(err, root, done) from None
    with interrupts.held():  # the commit: a signal now changes nothing, the new files stay
        journal.finish(root)
        faults.point("committed")
    return sorted(files)


def _target(root: Path, rel: str, before: dict[str, bytes | None] | None) -> _Target:
    path = safe_target(root, rel)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    where = str(root / rel)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise WriteError("not a regular file; nothing written", path=where)
    if st is not None and (not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK)):
        raise WriteError("read-only file: dockfix does not rewrite it (make it writable to apply); "
                         "nothing written", path=where)
    if not os.access(path.parent, os.W_OK):
        raise WriteError("directory not writable; nothing written", path=str(Path(where).parent))
    old = read_or_none(path)
    if before is not None and old != before.get(rel):
        raise Changed("changed since dockfix read it; nothing written", path=where)
    return _Target(rel, path, old)


def _entry(root: Path, t: _Target, data: bytes, token: str) -> Entry:
    if t.old is not None:
        mode = stat.S_IMODE(os.stat(t.path).st_mode)
    else:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    parent, _, name = t.rel.rpartition("/")
    temp = f"{parent}/.{name}.{token}.dockfix" if parent else f".{name}.{token}.dockfix"
    return Entry(t.rel, temp, t.old, journal.sha256(data), mode)


def _stage(root: Path, entries: list[Entry], files: dict[str, bytes]) -> None:
    for e in entries:
        fd = os.open(root / e.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            journal.write_all(fd, files[e.path])
            os.fchmod(fd, e.mode)
            if e.old is not None:
                st = os.stat(root / e.path)
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except PermissionError:
                    pass  # not ours to keep: an unprivileged user cannot give files away
            os.fsync(fd)
        finally:
            os.close(fd)


def _compare(root: Path, e: Entry) -> None:
    """Compare-and-swap: the target still holds the bytes dockfix read."""
    if read_or_none(root / e.path) != e.old:
        raise Changed("changed while dockfix was writing; nothing written (the files already "
                      "rewritten were put back)", path=str(root / e.path))


def _failure(err: BaseException, root: Path, done: journal.Rollback) -> BaseException:
    """The exception to raise after a rollback: the cause, named."""
    if isinstance(err, OSError):
        return WriteError(f"write failed, nothing changed: {err.strerror or err}",
                          path=str(getattr(err, "filename", "") or "") or None)
    return err
