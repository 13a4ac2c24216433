"""Compose transforms: each runs on the previous one's output, in memory.

The engine checks the input parses (bad input stops everything before any work),
re-parses what every transform wrote (a transform that breaks the syntax is a bug,
reported with its name), and runs the whole sequence a second time on its own result:
that second pass must change nothing (black's stability check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dockfix import transforms as registry
from dockfix.config import Config
from dockfix.diff import unified_diff
from dockfix.errors import DockerfileSyntaxError, DockfixError
from dockfix.syntax import validate
from dockfix.transforms.base import Context, Note
from dockfix.tree import Tree

if TYPE_CHECKING:
    from dockfix.graph import Graph


class TransformBug(DockfixError):
    """A transform produced something it must not: unparsable output, or an unstable result."""

    exit_code = 3


@dataclass
class Step:
    transform: str
    files: dict[str, tuple[bytes, bytes]]  # path -> (before this step, after it)


@dataclass
class Outcome:
    root: Path
    names: list[str]
    before: Tree
    after: Tree
    steps: list[Step] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # Per-file diffs made already (the scheduler's workers make them in parallel).
    diffs: dict[str, bytes] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, tuple[bytes | None, bytes]]:
        return {p: (self.after.original(p), d) for p, d in sorted(self.after.changed().items())}

    def diff(self) -> bytes:
        return b"".join(self.diff_of(p, old, new) for p, (old, new) in self.changed.items())

    def diff_of(self, path: str, old: bytes | None, new: bytes) -> bytes:
        made = self.diffs.get(path)
        return unified_diff(path, old, new) if made is None else made

    def transforms_of(self, path: str) -> list[str]:
        return [s.transform for s in self.steps if path in s.files]


def check_input(tree: Tree, config: Config) -> "Graph":
    """Every Dockerfile must parse and pass BuildKit's instruction checks; the first
    failure (in path order) is raised as bad input. Returns the tree's graph."""
    from dockfix.graph import build_graph

    graph = build_graph(tree, config)
    for path, node in sorted(graph.dockerfiles.items()):
        try:
            if node.error is not None:
                raise node.error
            validate(node.document)
        except DockerfileSyntaxError as err:
            # Name the file as the user can open it: ROOT as given, then the repo path.
            err.path = str(tree.root / path)
            raise
    for path in sorted(graph.dockerfiles):
        graph.dockerignore_for(path)  # a pattern Docker rejects fails the build: bad input
    return graph


def run(root: str | Path, names: list[str], config: Config, tree: Tree | None = None,
        checked: bool = False) -> Outcome:
    """`checked`: the caller has run `check_input` on this tree already (the scheduler
    checks the whole repository once, then runs scopes of it)."""
    tree = tree or Tree(root, exclude=config.exclude)
    names = registry.canonical(names)
    if not checked:
        check_input(tree, config)
    before = tree.copy()
    outcome = Outcome(Path(root), names, before, tree)
    for i, name in enumerate(names):
        transform = registry.load(name)
        snapshot = {p: tree.read(p) for p in tree.changed()}
        ctx = Context(tree=tree, config=config, transform=name, later=tuple(names[i + 1:]))
        transform.apply(ctx)
        outcome.notes.extend(ctx.notes)
        step = Step(name, {})
        for path, data in tree.changed().items():
            prior = snapshot.get(path, tree.original(path))
            if prior != data:
                step.files[path] = (prior, data)
                _reparse(name, path, data)
        outcome.steps.append(step)
    outcome.notes.sort(key=note_order(names))
    return outcome


def note_order(names: list[str]):
    """Notes in a fixed order whatever order a transform visited files in (and however a
    run was split): by transform, then file, then line."""
    rank = {n: i for i, n in enumerate(names)}
    return lambda n: (rank.get(n.transform, len(rank)), n.path, n.line or 0)


def _reparse(transform: str, path: str, data: bytes) -> None:
    if not _is_dockerfile_like(path):
        return
    from dockfix.graph.model import parse_cached  # the next transform's graph reuses this parse

    doc, error = parse_cached(path, data)
    try:
        if error is not None:
            raise error
        validate(doc)
    except DockerfileSyntaxError as err:
        raise TransformBug(f"transform {transform} produced a file BuildKit rejects: {err}",
                           path=path) from None


def _is_dockerfile_like(path: str) -> bool:
    from dockfix.graph.discover import is_dockerfile_name

    return is_dockerfile_name(path.rsplit("/", 1)[-1])


def second_pass(outcome: Outcome, config: Config) -> dict[str, bytes]:
    """Run the same transforms on the result; returns what they would still change
    (empty when the result is stable)."""
    again = outcome.after.copy()
    run(outcome.root, outcome.names, config, tree=again, checked=True)
    first = outcome.after.changed()
    return {p: d for p, d in again.changed().items() if first.get(p) != d}
