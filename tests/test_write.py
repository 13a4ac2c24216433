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


def test_a_file_that_differs_from_what_dockfix_read_is_not_overwritten(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).write_bytes(b"edited " + name.encode())
    with pytest.raises(write.Changed, match="changed since dockfix read it"):
        write_files(tmp_path, {"a": b"new a", "b": b"new b"}, {"a": b"edited a", "b": b"old b"})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a": b"edited a", "b": b"edited b"}


def test_an_edit_between_the_journal_and_the_rename_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compare-and-swap right before each rename: b is edited after a was renamed."""
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    real = write.faults.point

    def edit_after_first_rename(name: str) -> None:
        if name == "rename" and (tmp_path / "a").read_bytes() == b"new a":
            (tmp_path / "b").write_bytes(b"edited b")
        real(name)

    monkeypatch.setattr(write.faults, "point", edit_after_first_rename)
    with pytest.raises(write.Changed, match="changed while dockfix was writing") as err:
        write_files(tmp_path, {"a": b"new a", "b": b"new b", "c": b"new c"})
    assert err.value.path == str(tmp_path / "b")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a": b"old a", "b": b"edited b", "c": b"old c"}


def test_a_damaged_journal_is_bad_input_and_left_alone(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dockfix.cli import app

    (tmp_path / "Dockerfile").write_bytes(b"FROM a\n")
    (tmp_path / ".dockfix.journal").write_bytes(b"dockfix-journal 1\n12\n[{\"path\"")
    result = CliRunner().invoke(app, ["plan", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path}/.dockfix.journal: the journal of an interrupted apply is damaged")
    assert (tmp_path / ".dockfix.journal").exists() and not (tmp_path / ".dockfix.lock").exists()
