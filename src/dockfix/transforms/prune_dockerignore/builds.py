"""The builds prune-dockerignore looks at: each Dockerfile with its context, the stages its
target reaches, and the context sources of their COPY/ADD, read with `dockfix.model.copy`
(what a source names, what must reach the context) and `dockfix.model.words` (expansion)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import Enum

from dockfix.graph.dockerignore import DockerIgnore
from dockfix.model.copy import context_directory, context_source, in_context, is_remote
from dockfix.model.words import Scope as WordScope
from dockfix.model.words import apply as apply_words
from dockfix.model.words import expand_word
from dockfix.syntax import Document, Instruction
from dockfix.transforms.base import Context


class SourceState(Enum):
    OK = "ok"  # the build gets it (also partly)
    FAILS = "fails"  # the ignore file keeps out what must reach the context: the build fails
    EMPTY = "empty"  # a wildcard whose directory is there and whose matches are all excluded
    MISSING = "missing"  # not in the context at all: not ours to fix


@dataclass(frozen=True)
class Source:
    """One context source of one COPY/ADD in one build."""

    dockerfile: str
    line: int
    text: str  # as written
    path: str  # context-relative; for a wildcard, the whole pattern
    needed: str  # the path that must be in the context for the COPY to work (wildcard: its dir)
    named: tuple[str, ...]  # context files it names, before .dockerignore

    def state(self, ignore: DockerIgnore, files: list[str]) -> SourceState:
        if not self.named:
            return SourceState.MISSING
        if not in_context(ignore, files, self.needed):
            return SourceState.FAILS
        if self.path != self.needed and all(ignore.excludes(f) for f in self.named):
            return SourceState.EMPTY
        return SourceState.OK


@dataclass(frozen=True)
class Build:
    dockerfile: str
    context: str
    files: list[str]  # the context listing before .dockerignore, sorted
    sources: tuple[Source, ...]

    def key(self, f: str) -> str:
        """A context file as a repo path: builds with different contexts share one file."""
        return f"{self.context}/{f}" if self.context else f


def builds_by_ignore_file(ctx: Context) -> dict[str, list[Build]]:
    """Every build whose context has a .dockerignore, grouped by that file."""
    groups: dict[str, list[Build]] = {}
    for dockerfile, context, stages in _builds(ctx.graph()):
        if context is None:
            continue
        ignore_path = _ignore_path(ctx, dockerfile, context)
        if ignore_path is None:
            continue
        doc = ctx.document(dockerfile)
        if ctx.file_ignored(doc):
            continue
        files = ctx.tree.under(context)
        build = Build(dockerfile, context, files, tuple(_sources(ctx, doc, dockerfile, stages, files)))
        groups.setdefault(ignore_path, []).append(build)
    return groups


def _builds(graph) -> list[tuple[str, str | None, frozenset[int]]]:
    """(Dockerfile, context, reachable stages) for every image the graph maps (one per
    target: a target that builds and one that fails are different builds), and for every
    Dockerfile no image maps (its inferred context, final stage)."""
    out: set[tuple[str, str, frozenset[int]]] = set()
    mapped: set[str] = set()
    for _ref, m in sorted(graph.images.items()):
        node = graph.dockerfiles.get(m.dockerfile)
        if node is None or node.document is None or not node.document.stages:
            continue
        mapped.add(m.dockerfile)
        stage = graph.image_stage(m)
        if stage is not None:
            out.add((m.dockerfile, context_directory(m.context), frozenset(_reachable(node.document, stage))))
    for path, node in sorted(graph.dockerfiles.items()):
        if path in mapped or node.document is None or not node.document.stages:
            continue
        doc = node.document
        out.add((path, context_directory(node.context), frozenset(_reachable(doc, doc.stages[-1].index))))
    return sorted(out, key=lambda b: (b[0], b[1] or "", sorted(b[2])))


def _stage_of(names: dict[str, int], ref: str, before: int) -> int | None:
    """The earlier stage `ref` (a name or an index) names, if any."""
    r = ref.lower()
    if r in names and names[r] < before:
        return names[r]
    if r.isdigit() and int(r) < before:
        return int(r)
    return None


_REFERRING = frozenset(("COPY", "ADD", "RUN"))


def _stage_refs(ins: Instruction) -> list[str]:
    """The stage references of one instruction: COPY/ADD --from, RUN --mount=from=."""
    if ins.keyword in ("COPY", "ADD"):
        ref = ins.flag("from")
        return [] if ref is None else [ref]
    if ins.keyword == "RUN":
        return [kv.split("=", 1)[1] for mount in ins.flag_values("mount")
                for kv in mount.split(",") if kv.startswith("from=")]
    return []


def _reachable(doc: Document, target: int) -> set[int]:
    """The stages BuildKit builds for `target`: it, the stages it is FROM, and those its
    COPY --from / RUN --mount=from name, transitively."""
    names = {st.name: st.index for st in doc.stages if st.name}
    seen: set[int] = set()
    todo = [target]
    while todo:
        i = todo.pop()
        if i in seen or i < 0 or i >= len(doc.stages):
            continue
        seen.add(i)
        st = doc.stages[i]
        refs = [st.base]
        for k in st.instructions:
            if doc.instructions[k].keyword in _REFERRING:
                refs += _stage_refs(doc.instructions[k])
        todo += [dep for dep in (_stage_of(names, r, i) for r in refs) if dep is not None]
    return seen


def _sources(ctx: Context, doc: Document, path: str, stages: frozenset[int], files: list[str]):
    for ins in doc.instructions:
        if ins.keyword not in ("COPY", "ADD") or ins.stage not in stages or ins.flag("from") is not None:
            continue
        if ctx.ignored(doc, ins) or len(ins.value) < 2:
            continue
        for raw in ins.value[:-1]:
            if raw.startswith("<<") or is_remote(raw):  # a heredoc, a URL or a git source
                continue
            src = _expand_source(doc, ins, raw)
            if src is None:
                continue
            found = context_source(files, src)
            yield Source(path, ins.start_line, raw, found.path, found.required, found.named)


def _expand_source(doc: Document, ins: Instruction, raw: str) -> str | None:
    """The source as BuildKit expands it (model/words) with the ARG/ENV of its stage before
    it (global ARGs when redeclared, their defaults); None when it cannot be known here: a
    variable the base image or a build argument may set, a word BuildKit rejects."""
    if _PLAIN_WORD.fullmatch(raw) and doc.escape not in raw:
        return raw
    words = [w for a in doc.global_args() for w in a.value]
    scope = WordScope.of_globals(words, None, doc.escape).stage(None)
    for k in doc.stages[ins.stage].instructions[1:]:
        other = doc.instructions[k]
        if other.index >= ins.index:
            break
        scope = apply_words(scope, other.keyword, other.value, doc.escape)
    return expand_word(raw, scope, doc.escape).text


_PLAIN_WORD = re.compile(r"[^$'\"<]*")


def _ignore_path(ctx: Context, dockerfile: str, context: str) -> str | None:
    """BuildKit: `<Dockerfile>.dockerignore` next to the Dockerfile wins over the
    context's `.dockerignore`."""
    own = dockerfile + ".dockerignore"
    if ctx.tree.exists(own):
        return own
    path = posixpath.join(context, ".dockerignore") if context else ".dockerignore"
    return path if ctx.tree.exists(path) else None
