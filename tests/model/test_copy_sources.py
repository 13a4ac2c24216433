"""model/copy's source questions without an image (the block prune-dockerignore reads):
what a source names before the ignore file, which path must reach the context, and whether
a path reaches it. `named_files` is checked against `copy_result`, which the buildah table
(tests/build/test_copy_buildah.py) checks against real builds."""

from __future__ import annotations

import pytest

from dockfix.graph.dockerignore import DockerIgnore
from dockfix.model.copy import (BuildContext, CopySpec, context_directory, copy_result, in_context, named_files,
                                required_path, source_path, split_wildcard)

# A context listing, sorted as Tree.under gives it (named_files and in_context bisect it).
FILES = ["a/x/c.txt", "manage.py", "scripts/a.sh", "scripts/b.py", "scripts/sub.sh/x", "scripts/sub/c.sh"]


def test_sources_normalised_and_split() -> None:
    assert source_path("./scripts/") == "scripts"
    assert source_path("/scripts") == "scripts"
    assert source_path("../scripts") == "scripts"  # `..` stays in the context
    assert source_path(".") == ""
    assert split_wildcard("scripts/*.sh") == ("scripts", "*.sh")
    assert split_wildcard("a/*/c.txt") == ("a", "*/c.txt")
    assert split_wildcard("*.sh") == ("", "*.sh")
    assert split_wildcard("a/b") == ("a/b", "")
    assert required_path("./scripts/*.sh") == "scripts"
    assert required_path("scripts/a.sh") == "scripts/a.sh"
    assert required_path(r"scripts/\*.sh") == r"scripts/\*.sh"  # an escaped `*` is no wildcard


def test_context_directory() -> None:
    assert context_directory(".") == ""
    assert context_directory("./svc/") == "svc"
    assert context_directory(None) is None


def test_named_files() -> None:
    assert named_files(FILES, "scripts/a.sh") == ["scripts/a.sh"]
    assert named_files(FILES, "./scripts") == FILES[2:]
    assert named_files(FILES, "scripts/sub") == ["scripts/sub/c.sh"]  # not scripts/sub.sh
    assert named_files(FILES, "script") == []
    # A wildcard matches entries below its directory, one component per pattern component;
    # a matched directory brings everything below it.
    assert named_files(FILES, "scripts/*.sh") == ["scripts/a.sh", "scripts/sub.sh/x"]
    assert named_files(FILES, "a/*/c.txt") == ["a/x/c.txt"]
    assert named_files(FILES, ".") == FILES
    assert named_files(FILES, "scripts/[!a]*") == ["scripts/a.sh"]  # Go: `[!a]` is the class of `!` and `a`


@pytest.mark.parametrize("src", ["scripts/a.sh", "scripts", "scripts/sub", "scripts/*.sh", "scripts/*", "*",
                                 "a/*/c.txt", "*/x", "scripts/[ab].*", "scripts/?.py", ".", "/scripts/../manage.py"])
def test_named_files_are_the_files_copy_result_copies(src: str) -> None:
    result = copy_result(CopySpec("COPY", (src,), "/d/"), "/", BuildContext(FILES, FILES))
    assert not result.failures and not result.unknown
    assert sorted(named_files(FILES, src)) == sorted(landed.source for landed in result.landed)


def test_in_context_follows_the_context_walk() -> None:
    ign = DockerIgnore.parse(b"scripts\n!scripts/a.sh\n")
    assert in_context(ign, FILES, "scripts/a.sh")
    assert not in_context(ign, FILES, "scripts/b.py")
    assert in_context(ign, FILES, "scripts")  # sent: a file below it is
    ign = DockerIgnore.parse(b"scripts/*\n")
    assert in_context(ign, FILES, "scripts")  # not excluded itself: sent, empty
    ign = DockerIgnore.parse(b"scripts/\n")
    assert not in_context(ign, FILES, "scripts")
    assert not in_context(ign, FILES, "nothing")
    assert in_context(ign, FILES, "")
