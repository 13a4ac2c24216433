"""The file-system readers of `verify --build`: a walked root and an exported tar give the
same snapshot (the tar is written by GNU tar, not by us), volatile paths are left out, and
a difference is found in each recorded field."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from dockfix.build.filesystem import FileKind, FsEntry, Snapshot, diff_snapshots, is_volatile, read_tar, read_tree


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\nappuser:x:1000:1000::/home/appuser:/bin/sh\n")
    (r / "etc" / "group").write_text("root:x:0:\nappuser:x:1000:\n")
    (r / "app").mkdir()
    (r / "app" / "main.py").write_text("print('hi')\n")
    (r / "app" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(r / "app" / "run.sh", 0o4755)
    os.symlink("main.py", r / "app" / "link")
    os.link(r / "app" / "main.py", r / "app" / "hard.py")
    os.mkfifo(r / "app" / "pipe")
    (r / "app" / "__pycache__").mkdir()
    (r / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (r / "var" / "log").mkdir(parents=True)
    (r / "var" / "log" / "dpkg.log").write_text("2026-12-06 12:00:00 install\n")
    (r / ".hidden").write_text("x")
    os.chown(r / "app" / "main.py", 1000, 1000)
    return r


def test_the_walked_root_and_gnu_tars_export_give_one_snapshot(root, tmp_path):
    walked = read_tree(root)
    archive = tmp_path / "fs.tar"
    subprocess.run(["tar", "-cf", str(archive), "-C", str(root), "."], check=True)
    with open(archive, "rb") as stream:
        exported = read_tar(stream)
    assert walked.entries == exported.entries
    assert (walked.users, walked.groups) == (exported.users, exported.groups)
    assert walked.volatile == exported.volatile == 3  # the .pyc, __pycache__ and the log
    entries = walked.entries
    assert sorted(entries) == [".hidden", "app", "app/hard.py", "app/link", "app/main.py", "app/pipe", "app/run.sh",
                               "etc", "etc/group", "etc/passwd", "var", "var/log"]
    digest = hashlib.sha256(b"print('hi')\n").hexdigest()
    assert entries["app/main.py"] == FsEntry(FileKind.FILE, 0o644, 1000, 1000, 12, digest)
    assert entries["app/hard.py"] == entries["app/main.py"]
    assert entries["app/link"] == FsEntry(FileKind.SYMLINK, 0o777, 0, 0, 0, "main.py")
    assert entries["app/run.sh"].mode == 0o4755 and entries["app/pipe"].kind is FileKind.FIFO
    assert walked.users["appuser"].home == "/home/appuser" and walked.groups["appuser"].id == 1000


@pytest.mark.parametrize("path, volatile", [
    ("tmp", False), ("tmp/x", True), ("var/cache/apt/pkgcache.bin", True), ("var/log/apt/history.log", True),
    ("root/.cache/pip/http/a", True), ("home/appuser/.cache/x", True), ("home/appuser/.cachex", False),
    ("usr/lib/python3/__pycache__", True), ("a/b.pyc", True), ("a/b.py", False), ("etc/passwd", False),
    ("var/lib/apt/lists/deb.debian.org_dists", True), ("var/lib/dpkg/status", False), ("run/lock", True),
])
def test_volatile_paths(path, volatile):
    assert is_volatile(path) is volatile


def test_every_recorded_field_makes_a_difference():
    entry = FsEntry(FileKind.FILE, 0o644, 0, 0, 3, "a" * 64)
    before = Snapshot({"f": entry, "d": FsEntry(FileKind.DIRECTORY, 0o755, 0, 0)})
    for changed in (FsEntry(FileKind.FILE, 0o600, 0, 0, 3, "a" * 64), FsEntry(FileKind.FILE, 0o644, 1, 0, 3, "a" * 64),
                    FsEntry(FileKind.FILE, 0o644, 0, 1, 3, "a" * 64), FsEntry(FileKind.FILE, 0o644, 0, 0, 4, "a" * 64),
                    FsEntry(FileKind.FILE, 0o644, 0, 0, 3, "b" * 64), FsEntry(FileKind.SYMLINK, 0o644, 0, 0, 0, "x")):
        (change,) = diff_snapshots(before, Snapshot({**before.entries, "f": changed}))
        assert change.path == "f" and change.owner_only is ((changed.uid, changed.gid) != (0, 0))
    gone, new = diff_snapshots(before, Snapshot({"f": entry, "n": entry}))
    assert (gone.path, gone.after, new.path, new.before) == ("d", None, "n", None)
    assert diff_snapshots(before, Snapshot(dict(before.entries))) == []
