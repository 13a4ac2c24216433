"""Independent parts (src/dockfix/graph/components.py) and scoped graphs (graph.model.Scope):
what links two Dockerfiles, and that a scope's graph is the whole graph restricted to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.graph import build_graph
from dockfix.graph.components import components
from dockfix.graph.model import Scope, index_repo
from dockfix.tree import Tree
from tests.graph.test_graph import make

SCRIPT = "\n".join([
    "docker build -f a/Dockerfile.base -t a-base a",
    "docker build -f a/svc/Dockerfile -t a-svc a",
    "docker build -f b/Dockerfile -t b-app b",
    "docker build -f c/Dockerfile -t c-app c",
    "docker build -f d/Dockerfile -t d-app d",
    "docker build -f e/Dockerfile -t e-app e",
    "docker build -f f/Dockerfile -t f-app f",
]) + "\n"


def _repo(tmp: Path) -> Path:
    return make(tmp, {
        "build.sh": SCRIPT,
        # a: a base and the image built FROM it
        "a/Dockerfile.base": "FROM python:3.11-slim\nCOPY app /app\n",
        "a/svc/Dockerfile": "FROM a-base\nRUN pip install six\n",
        "a/app/x.py": "",
        # b and c: unrelated images
        "b/Dockerfile": "FROM python:3.11-slim\nCOPY . /b\n",
        "c/Dockerfile": "FROM python:3.11-slim\nCOPY . /c\n",
        # d copies a file out of the image c builds
        "d/Dockerfile": "FROM python:3.11-slim\nCOPY --from=c-app /c /c\n",
        # e and f: alike, but each has its own context and .dockerignore
        "e/Dockerfile": "FROM python:3.11-slim\n",
        "f/Dockerfile": "FROM python:3.11-slim\n",
        "e/.dockerignore": "x\n",
        "f/.dockerignore": "x\n",
    })


def test_parts_follow_bases_copy_from_and_contexts(tmp_path: Path) -> None:
    parts = components(build_graph(Tree(_repo(tmp_path)), Config()))
    assert sorted(parts) == [
        ["a/Dockerfile.base", "a/svc/Dockerfile"],  # FROM an in-repo image (and one context)
        ["b/Dockerfile"],
        ["c/Dockerfile", "d/Dockerfile"],  # COPY --from an in-repo image
        ["e/Dockerfile"],
        ["f/Dockerfile"],
    ]


def test_a_shared_context_or_dockerignore_is_one_part(tmp_path: Path) -> None:
    make(tmp_path, {
        "build.sh": "docker build -f x/Dockerfile -t x .\ndocker build -f y/Dockerfile -t y .\n"
                    "docker build -f z/one/Dockerfile -t z1 z\ndocker build -f z/two/Dockerfile -t z2 z\n",
        "x/Dockerfile": "FROM python:3.11-slim\n", "y/Dockerfile": "FROM python:3.11-slim\n",
        "z/one/Dockerfile": "FROM python:3.11-slim\n", "z/two/Dockerfile": "FROM python:3.11-slim\n",
    })
    parts = components(build_graph(Tree(tmp_path), Config()))
    assert sorted(parts) == [["x/Dockerfile", "y/Dockerfile"], ["z/one/Dockerfile", "z/two/Dockerfile"]]


def test_scoped_graph_is_the_whole_graph_restricted(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    whole = build_graph(Tree(root), Config())
    index = index_repo(Tree(root), Config())
    for part in components(whole):
        tree = Tree(root)
        tree.scope = Scope(frozenset(part), index)
        scoped = build_graph(tree, Config())
        assert sorted(scoped.dockerfiles) == part
        assert scoped.images == {r: m for r, m in whole.images.items() if m.dockerfile in part}
        assert scoped.bases == {k: b for k, b in whole.bases.items() if k[0] in part}
        for path in part:
            assert (scoped.dockerfiles[path].context, scoped.dockerfiles[path].dockerignore) == \
                (whole.dockerfiles[path].context, whole.dockerfiles[path].dockerignore)


def test_a_scope_that_leaves_out_a_base_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    tree = Tree(root)
    tree.scope = Scope(frozenset({"a/svc/Dockerfile"}), index_repo(Tree(root), Config()))
    with pytest.raises(RuntimeError, match="scope is not closed: FROM a-base:latest"):
        build_graph(tree, Config())


@pytest.mark.parametrize("directory,expected", [
    ("a", ["Dockerfile.base", "app/x.py", "svc/Dockerfile"]),
    ("a/", ["Dockerfile.base", "app/x.py", "svc/Dockerfile"]),
    ("a/app", ["x.py"]),
    ("e", [".dockerignore", "Dockerfile"]),
    ("nothing", []),
])
def test_tree_under_is_the_prefix_slice(tmp_path: Path, directory: str, expected: list[str]) -> None:
    root = _repo(tmp_path)
    make(root, {"a-b/Dockerfile": "", "a0": ""})  # sort next to "a/" without being under it
    tree = Tree(root)
    assert tree.under(directory) == expected
    assert tree.is_dir(directory) == bool(expected)
