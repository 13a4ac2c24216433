"""An image's whole file system as `verify --build` compares it, and the difference of two.

Every path is recorded with its type, permission bits (setuid, setgid and sticky included),
numeric owner and group, and for a regular file its size and SHA-256, for a symlink its
target, for a device its major:minor. Modification times are not recorded: two builds of
the same Dockerfile differ in them and nothing at run time reads them.

Two readers give the same `Snapshot`: `read_tree` walks a mounted root (buildah mounts an
image's container, `BuildahEngine.snapshot`), `read_tar` reads an exported file system
(``docker export`` / ``podman export``). Volatile paths, whose bytes differ between two
builds of one Dockerfile (caches, logs, compiled bytecode, temporary and run-time
directories), are left out of the snapshot; `VOLATILE` lists them and the README says why.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO


class FileKind(str, Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    CHAR_DEVICE = "char device"
    BLOCK_DEVICE = "block device"
    FIFO = "fifo"
    SOCKET = "socket"


@dataclass(frozen=True, slots=True)
class FsEntry:
    """One path of an image (relative to its root, no leading slash)."""

    kind: FileKind
    mode: int  # permission bits, st_mode & 0o7777
    uid: int
    gid: int
    size: int = 0  # regular files only
    content: str = ""  # sha256 hex of a file, a symlink's target, a device's major:minor

    def same_but_owner(self, other: FsEntry) -> bool:
        return (self.kind, self.mode, self.size, self.content) == (other.kind, other.mode, other.size, other.content)

    def describe(self) -> str:
        what = f"{self.kind.value} {self.mode:04o} {self.uid}:{self.gid}"
        if self.kind is FileKind.FILE:
            return f"{what} {self.size} B sha256:{self.content[:12]}"
        return f"{what} -> {self.content}" if self.content else what


# Paths whose bytes differ between two builds of one Dockerfile, or that only hold run-time
# state: the directory itself is compared, what is under it is not. `*` is one component.
VOLATILE = (
    "tmp/**", "var/tmp/**", "run/**", "var/run/**",  # temporary and run-time state
    "var/cache/**", "root/.cache/**", "home/*/.cache/**",  # caches (apt, debconf, pip)
    "var/log/**",  # logs (dpkg.log, apt history, lastlog, faillog: timestamps)
    "var/lib/apt/lists/**",  # downloaded package indexes (dated)
    # What the engine mounts over in every RUN and the runtime mounts over in every container
    # (left behind as empty files by a RUN): the image's own copy is never seen.
    "etc/hosts", "etc/resolv.conf", "etc/hostname",
    "**/__pycache__", "**/__pycache__/**", "**/*.pyc",  # bytecode: holds source mtimes, written on first import
)


def _pattern(glob: str) -> str:
    out = []
    for part in re.split(r"(\*\*/|/\*\*|\*)", glob):
        if part == "**/":
            out.append("(?:.*/)?")
        elif part == "/**":
            out.append("/.+")
        elif part == "*":
            out.append("[^/]*")
        else:
            out.append(re.escape(part))
    return "".join(out)


_VOLATILE = re.compile("|".join(f"(?:{_pattern(g)})" for g in VOLATILE))


def is_volatile(path: str) -> bool:
    """Is `path` (relative to the image root) one of `VOLATILE`?"""
    return _VOLATILE.fullmatch(path) is not None


@dataclass(frozen=True)
class Account:
    name: str
    id: int
    home: str = ""  # users only


@dataclass
class Snapshot:
    """An image's file system (volatile paths left out) and the accounts it defines."""

    entries: dict[str, FsEntry] = field(default_factory=dict)
    users: dict[str, Account] = field(default_factory=dict)  # from etc/passwd
    groups: dict[str, Account] = field(default_factory=dict)  # from etc/group
    volatile: int = 0  # paths left out

    def user_ids(self, names) -> set[int]:
        return {self.users[n].id for n in names if n in self.users}

    def group_ids(self, names) -> set[int]:
        return {self.groups[n].id for n in names if n in self.groups}


def parse_accounts(text: str, users: bool) -> dict[str, Account]:
    """`/etc/passwd` (name:x:uid:gid:gecos:home:shell) or `/etc/group` (name:x:gid:members)."""
    out = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) < (7 if users else 3) or not parts[2].isdigit():
            continue
        out[parts[0]] = Account(parts[0], int(parts[2]), parts[5] if users else "")
    return out


def _file_digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _kind(mode: int) -> FileKind:
    for test, kind in ((stat.S_ISREG, FileKind.FILE), (stat.S_ISDIR, FileKind.DIRECTORY),
                       (stat.S_ISLNK, FileKind.SYMLINK), (stat.S_ISCHR, FileKind.CHAR_DEVICE),
                       (stat.S_ISBLK, FileKind.BLOCK_DEVICE), (stat.S_ISFIFO, FileKind.FIFO)):
        if test(mode):
            return kind
    return FileKind.SOCKET


def _entry_of_stat(full: str, st: os.stat_result) -> FsEntry:
    kind = _kind(st.st_mode)
    content, size = "", 0
    if kind is FileKind.FILE:
        content, size = _file_digest(full), st.st_size
    elif kind is FileKind.SYMLINK:
        content = os.readlink(full)
    elif kind in (FileKind.CHAR_DEVICE, FileKind.BLOCK_DEVICE):
        content = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    return FsEntry(kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, size, content)


def _walk(root: str) -> Iterator[tuple[str, str]]:
    """(relative path, full path) of everything under root, without following symlinks."""
    for directory, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        for name in dirs + files:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            yield rel, os.path.join(directory, name)


def read_tree(root: str | Path) -> Snapshot:
    """The snapshot of a file system mounted at `root`."""
    snap = Snapshot()
    for rel, full in _walk(str(root)):
        if is_volatile(rel):
            snap.volatile += 1
            continue
        snap.entries[rel] = _entry_of_stat(full, os.lstat(full))
    _read_accounts(snap, lambda rel: Path(root, rel).read_text(errors="replace"))
    return snap


def _read_accounts(snap: Snapshot, read) -> None:
    for rel, users in (("etc/passwd", True), ("etc/group", False)):
        entry = snap.entries.get(rel)
        if entry is not None and entry.kind is FileKind.FILE:
            accounts = parse_accounts(read(rel), users)
            if users:
                snap.users = accounts
            else:
                snap.groups = accounts


_TAR_KINDS = {tarfile.REGTYPE: FileKind.FILE, tarfile.AREGTYPE: FileKind.FILE, tarfile.DIRTYPE: FileKind.DIRECTORY,
              tarfile.SYMTYPE: FileKind.SYMLINK, tarfile.CHRTYPE: FileKind.CHAR_DEVICE,
              tarfile.BLKTYPE: FileKind.BLOCK_DEVICE, tarfile.FIFOTYPE: FileKind.FIFO,
              tarfile.CONTTYPE: FileKind.FILE}


def read_tar(stream: IO[bytes]) -> Snapshot:
    """The snapshot of an exported file system (a flat tar, as ``docker export`` writes it).
    A hard link is the file it links to, as it is on disk."""
    snap = Snapshot()
    texts: dict[str, str] = {}
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            rel = _relative(member.name)
            if not rel:
                continue
            if is_volatile(rel):
                snap.volatile += 1
                continue
            snap.entries[rel] = _tar_entry(tar, member, snap, texts)
    _read_accounts(snap, texts.__getitem__)
    return snap


def _relative(name: str) -> str:
    """A tar member's path relative to the root: ``./etc/passwd`` and ``/etc/passwd`` are
    ``etc/passwd``; the root itself is the empty string."""
    while name.startswith(("./", "/")):
        name = name[1:] if name.startswith("/") else name[2:]
    return "" if name == "." else name.rstrip("/")


def _tar_entry(tar: tarfile.TarFile, member: tarfile.TarInfo, snap: Snapshot, texts: dict[str, str]) -> FsEntry:
    if member.islnk():  # a hard link: the same inode as an earlier member
        target = snap.entries.get(_relative(member.linkname))
        if target is None:  # linked to a volatile path: the link itself is what can be compared
            return FsEntry(FileKind.FILE, member.mode & 0o7777, member.uid, member.gid, 0,
                           "hard link to " + _relative(member.linkname))
        return FsEntry(target.kind, member.mode & 0o7777, member.uid, member.gid, target.size, target.content)
    kind = _TAR_KINDS.get(member.type, FileKind.FILE)
    content = ""
    if kind is FileKind.FILE:
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
        content = hashlib.sha256(data).hexdigest()
        if _relative(member.name) in ("etc/passwd", "etc/group"):
            texts[_relative(member.name)] = data.decode(errors="replace")
    elif kind is FileKind.SYMLINK:
        content = member.linkname
    elif kind in (FileKind.CHAR_DEVICE, FileKind.BLOCK_DEVICE):
        content = f"{member.devmajor}:{member.devminor}"
    return FsEntry(kind, member.mode & 0o7777, member.uid, member.gid, member.size if kind is FileKind.FILE else 0,
                   content)


@dataclass(frozen=True)
class FsChange:
    """One path that differs: absent on a side is None."""

    path: str
    before: FsEntry | None
    after: FsEntry | None

    @property
    def owner_only(self) -> bool:
        return self.before is not None and self.after is not None and self.before.same_but_owner(self.after)

    def describe(self) -> str:
        if self.before is None:
            return f"{self.path}: new"
        if self.after is None:
            return f"{self.path}: gone"
        return f"{self.path}: {self.before.describe()} → {self.after.describe()}"


def diff_snapshots(before: Snapshot, after: Snapshot) -> list[FsChange]:
    """Every path whose entry differs, sorted by path."""
    paths = sorted(set(before.entries) | set(after.entries))
    return [FsChange(p, before.entries.get(p), after.entries.get(p)) for p in paths
            if before.entries.get(p) != after.entries.get(p)]
