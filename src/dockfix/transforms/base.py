"""What a transform is: a small class with a name, a safety level and one `apply` hook.

A transform reads the current tree (through `Context`), writes whole new file bytes
back, and reports skips and warnings as results, never as exceptions. Transforms never
prove anything: the prover re-derives every fact from the texts.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from dockfix.syntax import Document, Instruction

if TYPE_CHECKING:
    from dockfix.config import Config
    from dockfix.graph import Graph
    from dockfix.tree import Tree


class Safety(enum.Enum):
    SAFE = "safe"  # the image keeps its meaning exactly
    UNSAFE = "unsafe"  # may change runtime behaviour; needs an explicit opt-in


@dataclass(frozen=True)
class Note:
    """A skip, warning or info a transform reports about a place in a file."""

    transform: str
    kind: str  # "skip" | "warning" | "info"
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.kind}: {self.message} [{self.transform}]"


# `# dockfix: ignore[a,b]` on the line above an instruction; `# dockfix: ignore-file`.
_IGNORE = re.compile(rb"#\s*dockfix:\s*ignore\[([a-z0-9_,\s-]+)\]")
_IGNORE_FILE = re.compile(rb"#\s*dockfix:\s*ignore-file\b")


@dataclass
class Context:
    """What a transform sees: the tree as the previous transform left it."""

    tree: "Tree"
    config: "Config"
    transform: str
    notes: list[Note] = field(default_factory=list)
    _graph: "Graph | None" = None
    # Results a transform derives from documents and reuses across files (a base image's
    # user for every image built on it); keys hold the bytes they were derived from.
    cache: dict = field(default_factory=dict)
    # The transforms that run after this one in the same run (non-root asks whether root-swap
    # follows it to give root back to the images built on a base it makes non-root).
    later: tuple[str, ...] = ()
    # Results derived from the graph and the stages of the Dockerfiles (each stage's name and
    # FROM): chains, the stages built on each base. The graph is fixed for the transform; a
    # write that changes a Dockerfile's stages empties this (`write`).
    linked: dict = field(default_factory=dict)
    _dockerfiles: "list[str] | None" = None
    _documents: dict = field(default_factory=dict)  # path -> (bytes, Document)
    graph_of: int = -1  # the tree's write count when the graph was built (`Tree.writes`)

    def document(self, path: str) -> Document:
        data = self.tree.read(path)
        hit = self._documents.get(path)
        if hit is not None and hit[0] is data:  # the bytes last parsed for it (asked in every loop)
            return hit[1]
        from dockfix.graph.model import parse_cached  # after the hit: an import statement per call costs

        doc, err = parse_cached(path, data)
        if err is not None:
            raise err
        self._documents[path] = (data, doc)
        return doc

    def graph(self) -> "Graph":
        """The graph of the tree as the previous transform left it. It is built once per
        transform: a transform's own writes do not move images around, and rebuilding after
        every write made large repositories quadratic."""
        from dockfix.graph import build_graph

        if self._graph is None:
            self._graph = build_graph(self.tree, self.config)
            self.graph_of = self.tree.writes
        return self._graph

    def unchanged_graph(self) -> "Graph | None":
        """The graph this transform read, when the tree has not been written since it was
        built: the next transform's graph would be the same (engine passes it on)."""
        return self._graph if self._graph is not None and self.graph_of == self.tree.writes else None

    def dockerfiles(self) -> list[str]:
        """Paths of the Dockerfiles that parsed, in a stable order."""
        if self._dockerfiles is None:  # the graph's: fixed for the transform
            self._dockerfiles = [p for p, node in sorted(self.graph().dockerfiles.items())
                                 if node.document is not None]
        return list(self._dockerfiles)

    def write(self, path: str, data: bytes) -> None:
        old = self.tree.read(path)
        if data != old:
            self.tree.write(path, data)
            if self.linked and path in self.graph().dockerfiles and _stages(path, old) != _stages(path, data):
                self.linked.clear()

    def note(self, kind: str, path: str, line: int | None, message: str) -> None:
        self.notes.append(Note(self.transform, kind, path, line, message))

    def skip(self, path: str, line: int | None, message: str) -> None:
        self.note("skip", path, line, message)

    # -- suppressions
    def file_ignored(self, doc: Document) -> bool:
        return bool(_IGNORE_FILE.search(doc.data))

    def ignored(self, doc: Document, ins: Instruction) -> bool:
        """`# dockfix: ignore[name]` in the comment block directly above `ins`."""
        for line in range(doc.leading_comment_start(ins), ins.start_line):
            m = _IGNORE.search(doc.line_bytes(line))
            if m and self.transform.encode() in [x.strip() for x in m.group(1).split(b",")]:
                return True
        return False


def _stages(path: str, data: bytes) -> tuple:
    """What `Context.linked` reads of a file: each stage's name and FROM (the bytes themselves
    when the file does not parse)."""
    from dockfix.graph.model import parse_cached

    doc = parse_cached(path, data)[0]
    return ("bytes", data) if doc is None else tuple((s.index, s.name, s.base) for s in doc.stages)


class Transform:
    """Base class. Subclasses set the class attributes and implement `apply`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    safety: ClassVar[Safety] = Safety.SAFE
    answers: ClassVar[str] = ""  # the hadolint / BuildKit check this fixes, if any

    def apply(self, ctx: Context) -> None:
        raise NotImplementedError


class DockerfileTransform(Transform):
    """A transform that rewrites each Dockerfile on its own."""

    def apply(self, ctx: Context) -> None:
        for path in ctx.dockerfiles():
            doc = ctx.document(path)
            if ctx.file_ignored(doc):
                continue
            new = self.transform_document(ctx, path, doc)
            if new is not None:
                ctx.write(path, new)

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        raise NotImplementedError
