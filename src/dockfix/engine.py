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
    """The tree's graph, checked as `docker build` would check each file. A Dockerfile
    BuildKit rejects (its parser or its instruction layer) is skipped, with a warning
    (`graph.model.skipped_unparsable`), and the others are processed, as black and ruff go
    on past a file they cannot parse. It is bad input, raised naming the file and line,
    when the user named that file (`[tool.dockfix.images]`), when it cannot be read, or
    when no Dockerfile could be read at all. A `.dockerignore` pattern Docker rejects in a
    context a readable Dockerfile uses is bad input too."""
    from dockfix.graph import build_graph

    graph = build_graph(tree, config)
    fatal = _fatal_input_error(graph, config)
    if fatal is not None:
        from dockfix.graph.model import skipped_unparsable

        skipped_unparsable(str(tree.root))  # not skipped after all: no warnings for this run
        raise fatal
    for path, node in sorted(graph.dockerfiles.items()):
        if node.document is not None:
            graph.dockerignore_for(path)  # a pattern Docker rejects fails the build: bad input
    return graph


def _fatal_input_error(graph: "Graph", config: Config) -> DockerfileSyntaxError | None:
    """The first per-file error (in path order) that stops the run, with its repo path."""
    from dockfix.graph.model import UnreadableFile
    from dockfix.graph.sources import from_config

    named = {m.dockerfile for m in from_config(config)}
    failed = [(p, n.error) for p, n in sorted(graph.dockerfiles.items()) if n.error is not None]
    nothing_read = len(failed) == len(graph.dockerfiles)
    for path, err in failed:
        if nothing_read or path in named or isinstance(err, UnreadableFile):
            # A new error (the parse memo keeps the first), naming the file as the user can
            # open it: ROOT as given, then the repo path.
            return type(err)(err.message, path=str(graph.tree.root / path), line=err.line, col=err.col,
                             hint=err.hint)
    return None


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
    graph = None  # the graph of the tree as it is, when the last transform's still is
    for i, name in enumerate(names):
        transform = registry.load(name)
        snapshot = {p: tree.read(p) for p in tree.changed()}
        ctx = Context(tree=tree, config=config, transform=name, later=tuple(names[i + 1:]), _graph=graph,
                      graph_of=tree.writes)
        transform.apply(ctx)
        graph = ctx.unchanged_graph()
        outcome.notes.extend(ctx.notes)
        step = Step(name, {})
        for path, data in tree.changed().items():
            prior = snapshot.get(path, tree.original(path))
            if prior != data:
                step.files[path] = (prior, data)
                _reparse(name, path, data)
        outcome.steps.append(step)
    from dockfix.note_lines import notes_on_disk  # a note names the line of the file on disk

    outcome.notes = notes_on_disk(outcome.notes, outcome.steps, before.original)
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

    _, error = parse_cached(path, data)  # BuildKit's parser and its instruction checks
    if error is not None:
        raise TransformBug(f"transform {transform} produced a file BuildKit rejects: {error}",
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
