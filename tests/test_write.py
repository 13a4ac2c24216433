"""All-or-nothing writes: atomic per file, rolled back as a set, never through symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockfix import write
from dockfix.write import WriteError, write_files


def test_writes_keep_mode_and_leave_no_temp_files(tmp_path: Path) -> None:
    f = tmp_path / "Dockerfile"
    f.write_bytes(b"FROM a\r\n")
    os.chmod(f, 0o640)
    write_files(tmp_path, {"Dockerfile": b"\xef\xbb\xbfFROM b\r\n"})
    assert f.read_bytes() == b"\xef\xbb\xbfFROM b\r\n"
    assert f.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_refuses_symlinked_file_pointing_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_bytes(b"FROM secret\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").symlink_to(outside)
    with pytest.raises(WriteError, match="symlink"):
        write_files(repo, {"Dockerfile": b"FROM x\n"})
    assert outside.read_bytes() == b"FROM secret\n"


def test_refuses_symlinked_directory_and_parent_escapes(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "link").symlink_to(tmp_path / "real")
    with pytest.raises(WriteError, match="symlink"):
        write_files(tmp_path / "repo", {"link/Dockerfile": b"FROM x\n"})
    with pytest.raises(WriteError, match="outside"):
        write_files(tmp_path / "repo", {"../Dockerfile": b"FROM x\n"})
    assert not (tmp_path / "real" / "Dockerfile").exists()


def test_a_failure_midway_restores_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        if str(src).endswith(".dockfix"):
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", flaky)
    with pytest.raises(WriteError, match="nothing changed"):
        write_files(tmp_path, {"a": b"new a", "b": b"new b", "c": b"new c"})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a": b"old a", "b": b"old b", "c": b"old c"}
