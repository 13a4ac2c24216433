"""src/dockfix/tree.py: the listing helpers bisect a sorted listing and must give what a
scan gives; a file neither view has written compares equal without being read."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.tree import Tree, below, named

# Paths over an alphabet where "-" and "." sort before "/" and "0" after it: the order
# that trips a naive prefix bisection.
PATH = st.lists(st.sampled_from(["a", "a-b", "a.b", "b", "0"]), min_size=1, max_size=3).map("/".join)


@settings(max_examples=2000)
@given(st.lists(PATH, unique=True), PATH)
def test_named_and_below_are_the_scan(paths: list[str], name: str) -> None:
    listing = sorted(paths)
    assert named(listing, name) == [p for p in listing if p == name or p.startswith(name + "/")]
    assert below(listing, name) == [p for p in listing if p.startswith(name + "/")]


def test_same_bytes_reads_only_what_a_view_wrote(tmp_path) -> None:
    (tmp_path / "app.py").write_bytes(b"A = 1\n")
    before = Tree(tmp_path)
    after = before.copy()
    assert before.same_bytes("app.py", after, "app.py")
    assert "app.py" not in before._disk  # decided without reading the file
    after.write("app.py", b"A = 2\n")
    assert not before.same_bytes("app.py", after, "app.py")
    after.write("app.py", b"A = 1\n")
    assert before.same_bytes("app.py", after, "app.py")  # written back: compared by bytes
    other = Tree(tmp_path / "elsewhere", files={"app.py": b"A = 1\n"})
    assert before.same_bytes("app.py", other, "app.py")


def test_exists_looks_at_the_disk_once(tmp_path) -> None:
    tree = Tree(tmp_path)
    assert not tree.exists(".dockerignore")
    (tmp_path / ".dockerignore").write_bytes(b"x\n")
    assert not tree.copy().exists(".dockerignore")  # the disk does not change during a run
    assert Tree(tmp_path).exists(".dockerignore")
    tree.write(".dockerignore", b"y\n")
    assert tree.exists(".dockerignore")


def test_modes_and_real_paths_are_read_once_per_run(tmp_path) -> None:
    (tmp_path / "run.sh").write_bytes(b"#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    (tmp_path / "d").mkdir()
    (tmp_path / "Dockerfile").symlink_to("d/Dockerfile.prod")
    tree = Tree(tmp_path)
    assert tree.mode("run.sh") == 0o755 and tree.mode("missing") is None
    assert tree.resolved("Dockerfile") == (str((tmp_path / "d" / "Dockerfile.prod").resolve()), False)
    (tmp_path / "run.sh").chmod(0o600)
    (tmp_path / "d" / "Dockerfile.prod").write_bytes(b"FROM scratch\n")
    view = tree.copy()  # the run's other views share what was read: the disk does not change during a run
    assert view.mode("run.sh") == 0o755 and not view.resolved("Dockerfile")[1]
    fresh = Tree(tmp_path)  # the next run reads the disk again
    assert fresh.mode("run.sh") == 0o600 and fresh.resolved("Dockerfile")[1]
    assert fresh.resolved("") == (str(tmp_path.resolve()), True)


def test_differing_is_what_either_view_wrote(tmp_path) -> None:
    before = Tree(tmp_path)
    after = before.copy()
    after.write("Dockerfile", b"FROM a\n")
    assert before.differing(after) == {"Dockerfile"}
    assert Tree(tmp_path / "other").differing(after) is None  # another disk: anything may differ


def test_differing_follows_later_writes_of_either_view(tmp_path) -> None:
    """The answer is kept between writes (the prover asks per file), never past one."""
    before = Tree(tmp_path)
    after = before.copy()
    assert before.differing(after) == set() and after.differing(after) == set()
    after.write("Dockerfile", b"FROM a\n")
    assert before.differing(after) == {"Dockerfile"} and after.differing(after) == {"Dockerfile"}
    before.write(".dockerignore", b"x\n")
    assert before.differing(after) == {"Dockerfile", ".dockerignore"}
    assert after.differing(before) == {"Dockerfile", ".dockerignore"}
    third = before.copy()
    assert before.differing(third) == {".dockerignore"}  # another view: asked anew
    assert after.differing(after) == {"Dockerfile"}


def test_is_symlink_is_what_the_disk_says_of_each_listed_file(tmp_path) -> None:
    """The walk's answer for every listed file equals os.path.islink's (ground truth: the disk);
    a file a view wrote is that view's bytes, no link."""
    import os

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_bytes(b"a\n")
    (tmp_path / "b.txt").write_bytes(b"b\n")
    os.symlink("b.txt", tmp_path / "link.txt")
    os.symlink("missing", tmp_path / "dangling")
    os.symlink("real", tmp_path / "dirlink")  # followed: the files below it are no links
    tree = Tree(tmp_path)
    listed = tree.paths()
    assert {"link.txt", "dangling", "dirlink/a.txt", "real/a.txt", "b.txt"} <= set(listed)
    assert {p for p in listed if tree.is_symlink(p)} == {p for p in listed if os.path.islink(tmp_path / p)}
    assert {p for p in listed if tree.is_symlink(p)} == {"link.txt", "dangling"}
    view = tree.copy()
    view.write("link.txt", b"new\n")
    assert not view.is_symlink("link.txt") and tree.is_symlink("link.txt") and view.is_symlink("dangling")
    assert Tree(tmp_path).is_symlink("dangling")  # a view that has not listed yet lists first
