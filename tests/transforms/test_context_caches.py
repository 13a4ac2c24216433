"""What a transform's Context keeps. `Context.linked`: the chains, the stages built on each base and the in-repo bases are read
once per transform, and a write that changes a Dockerfile's stages empties them. Every answer
of a context that has cached them equals the answer of a context that reads everything anew
(the same graph: a transform's graph is fixed), after every write. The graph passes to the
next transform only when the tree was not written since it was built."""

from __future__ import annotations

from pathlib import Path

from dockfix.config import Config
from dockfix.transforms._derived import descendants, standalone_images
from dockfix.transforms._image_user import StageRef, chain, in_repo_bases
from dockfix.transforms.base import Context
from dockfix.tree import Tree

COMPOSE = """\
services:
  base:
    image: acme-base:latest
    build: {context: ., dockerfile: base/Dockerfile}
  api:
    image: acme-api:latest
    build: {context: ., dockerfile: api/Dockerfile}
  worker:
    image: acme-worker:latest
    build: {context: ., dockerfile: worker/Dockerfile}
"""
BASE = "FROM python:3.11-slim AS build\nRUN pip install --user six\n\nFROM python:3.11-slim AS runtime\nCMD [\"python\"]\n"
API = "FROM acme-base:latest\nCMD [\"python\", \"-m\", \"api\"]\n"
WORKER = "FROM acme-base:latest AS w\nRUN echo w\n\nFROM w\nCMD [\"python\", \"-m\", \"worker\"]\n"


def _repo(root: Path) -> Tree:
    (root / "compose.yaml").write_text(COMPOSE)
    for path, text in (("base/Dockerfile", BASE), ("api/Dockerfile", API), ("worker/Dockerfile", WORKER)):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return Tree(root)


def _answers(ctx: Context) -> tuple:
    refs = [StageRef(p, s.index) for p in ctx.dockerfiles() for s in ctx.document(p).stages]
    bases = in_repo_bases(ctx)
    return ({r: chain(ctx, r.path, r.stage) for r in refs}, {r: descendants(ctx, r) for r in refs},
            bases, standalone_images(ctx, bases))


def _fresh(ctx: Context) -> tuple:
    """What a context that has cached nothing answers, on the same tree and graph."""
    return _answers(Context(tree=ctx.tree, config=ctx.config, transform=ctx.transform, _graph=ctx.graph()))


def test_a_write_that_keeps_the_stages_keeps_what_was_read(tmp_path: Path) -> None:
    ctx = Context(tree=_repo(tmp_path), config=Config(), transform="non-root")
    before = _answers(ctx)
    assert before[1][StageRef("base/Dockerfile", 1)] == [StageRef("api/Dockerfile", 0),
                                                         StageRef("worker/Dockerfile", 0),
                                                         StageRef("worker/Dockerfile", 1)]
    kept = dict(ctx.linked)
    ctx.write("base/Dockerfile", BASE.replace("CMD", "USER appuser\nCMD").encode())
    assert ctx.linked == kept and all(ctx.linked[k] is v for k, v in kept.items())
    assert _answers(ctx) == _fresh(ctx) == before


def test_a_write_that_adds_a_stage_is_read_anew(tmp_path: Path) -> None:
    ctx = Context(tree=_repo(tmp_path), config=Config(), transform="non-root")
    before = _answers(ctx)
    # a stage FROM the base's runtime stage: now built on it, through its own file
    ctx.write("base/Dockerfile", (BASE + "\nFROM runtime AS debug\nRUN echo debug\n").encode())
    after = _answers(ctx)
    assert after == _fresh(ctx) != before
    assert StageRef("base/Dockerfile", 2) in after[1][StageRef("base/Dockerfile", 1)]
    assert after[0][StageRef("base/Dockerfile", 2)] == [StageRef("base/Dockerfile", 2),
                                                        StageRef("base/Dockerfile", 1)]


def test_a_write_that_renames_a_stage_is_read_anew(tmp_path: Path) -> None:
    ctx = Context(tree=_repo(tmp_path), config=Config(), transform="root-swap")
    before = _answers(ctx)
    # worker's second stage no longer names its first: its chain ends at the external `w`
    ctx.write("worker/Dockerfile", WORKER.replace("AS w\n", "AS x\n").encode())
    after = _answers(ctx)
    assert after == _fresh(ctx) != before
    assert StageRef("worker/Dockerfile", 1) not in after[1][StageRef("base/Dockerfile", 1)]


def test_writes_through_a_copy_of_the_context_empty_the_same_cache(tmp_path: Path) -> None:
    from dataclasses import replace

    ctx = Context(tree=_repo(tmp_path), config=Config(), transform="non-root")
    _answers(ctx)
    swap = replace(ctx, transform="root-swap")  # as non-root reads root-swap's pragmas
    swap.write("api/Dockerfile", b"FROM acme-base:latest AS a\nFROM a\n")
    assert _answers(ctx) == _fresh(ctx)


def test_the_graph_passes_on_only_while_the_tree_is_unwritten(tmp_path: Path) -> None:
    ctx = Context(tree=_repo(tmp_path), config=Config(), transform="non-root")
    assert ctx.unchanged_graph() is None  # none built
    graph = ctx.graph()
    assert ctx.unchanged_graph() is graph
    ctx.write("api/Dockerfile", API.encode())  # the same bytes: not a write
    assert ctx.unchanged_graph() is graph
    ctx.write("api/Dockerfile", API.replace("api", "web").encode())
    assert ctx.unchanged_graph() is None
    later = Context(tree=ctx.tree, config=Config(), transform="root-swap", _graph=graph, graph_of=ctx.tree.writes)
    assert later.unchanged_graph() is graph  # handed on as the engine does, then written
    later.write("compose.yaml", COMPOSE.encode() + b"# more\n")
    assert later.unchanged_graph() is None and later.graph() is graph  # kept for the transform itself


def test_the_engine_hands_an_unwritten_graph_to_the_next_transform(tmp_path: Path, monkeypatch) -> None:
    """Each transform reads the graph of the tree as the last one left it: built anew after a
    write, the same object otherwise (rebuilding it was a tenth of a large plan)."""
    from dockfix import engine
    from dockfix import transforms as registry

    tree = _repo(tmp_path)
    seen: list = []

    class Reader:
        def apply(self, ctx: Context) -> None:
            seen.append((ctx.transform, ctx.graph(), ctx.tree.writes))
            if ctx.transform == "b":
                ctx.write("api/Dockerfile", API.replace("api", "web").encode())

    monkeypatch.setattr(registry, "load", lambda name: Reader())
    monkeypatch.setattr(registry, "canonical", lambda names: list(names))
    engine.run(tmp_path, ["a", "b", "c", "d"], Config(), tree=tree, checked=True)
    graphs = [g for _, g, _ in seen]
    assert graphs[0] is graphs[1] and graphs[2] is graphs[3] and graphs[1] is not graphs[2]
    assert graphs[2].dockerfiles["api/Dockerfile"].document.data == API.replace("api", "web").encode()


def test_the_state_a_stage_starts_with_follows_writes_to_its_chain(tmp_path: Path) -> None:
    """`state_before` is kept by the bytes of the chain's files: a write to the base is read."""
    from dockfix.transforms._image_user import state_before

    ctx = Context(tree=_repo(tmp_path), config=Config(), transform="root-swap")
    first = state_before(ctx, "worker/Dockerfile", 1)
    assert first.workdir is None and first.env == {}
    first.env["MUTATED"] = "x"  # a caller's copy: what is kept does not change
    # one ENV reads the env before it (BuildKit): B is made of the A the line before sets
    ctx.write("base/Dockerfile", BASE.replace("CMD", "WORKDIR /srv\nENV A=1\nENV B=$A C=$B\nCMD").encode())
    after = state_before(ctx, "worker/Dockerfile", 1)
    assert (after.workdir, after.env) == ("/srv", {"A": "1", "B": "1"})  # C: the base image's B, not known
    fresh = Context(tree=ctx.tree, config=ctx.config, transform=ctx.transform, _graph=ctx.graph())
    assert state_before(fresh, "worker/Dockerfile", 1) == after
