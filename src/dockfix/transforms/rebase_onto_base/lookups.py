"""Graph look-ups (which images are bases, contexts, stages), comparisons of what two
Dockerfiles read, and how values are shown in messages."""

from __future__ import annotations

import re

from dockfix.syntax import Document, Instruction
from dockfix.transforms.base import Context
from dockfix.transforms.rebase_onto_base.sources import context_dir, named_files
from dockfix.transforms.rebase_onto_base.pip import PACKAGES
from dockfix.transforms.rebase_onto_base.stages import COPIES, IMAGE_WORKDIR, RUN, WORKDIR, _flags_key, _Step

def _base_images(graph) -> list[str]:
    """In-repo images other Dockerfiles build FROM, and images whose Dockerfile or name
    says "base"; sorted, those with derived Dockerfiles first."""
    derived = {ref for ref in graph.images if graph.derived_of(ref)}
    named = {ref for ref, m in graph.images.items()
             if re.search(r"(^|[/._-])base([/._:-]|$)", m.dockerfile.lower() + " " + ref.lower())}
    return sorted(derived | named, key=lambda r: (r not in derived, r))


def _target_stage(graph, path: str, doc: Document) -> int:
    for m in graph.images_built_from(path):
        s = graph.image_stage(m)
        if s is not None:
            return s
    return doc.stages[-1].index


def _base_of(graph, path: str, stage: int):
    return graph.base_of(path, stage)


def _context_of(graph, path: str) -> str | None:
    return context_dir(graph.dockerfiles[path].context)


def _built_from(graph, ref: str, path: str, seen: set[str] | None = None) -> bool:
    """Is the image `ref` built (transitively) on an image that `path` builds?"""
    seen = seen if seen is not None else set()
    if ref in seen:
        return False
    seen.add(ref)
    m = graph.images.get(ref)
    if m is None:
        return False
    node = graph.dockerfiles.get(m.dockerfile)
    if node is None or node.document is None:
        return False
    for st in node.document.stages:
        b = graph.base_of(m.dockerfile, st.index)
        if b is not None and b.kind == "internal":
            inner = graph.images.get(b.ref)
            if inner is not None and inner.dockerfile == path:
                return True
            if _built_from(graph, b.ref, path, seen):
                return True
    return False


def _same_files(ctx: Context, graph, path: str, bpath: str, context: str, keys: list[tuple]) -> bool:
    """Do the two Dockerfiles' COPYs get the same files for these sources (their
    .dockerignore files may differ)?"""
    if graph.dockerfiles[path].dockerignore == graph.dockerfiles[bpath].dockerignore:
        return True
    try:
        a, b = graph.dockerignore_for(path), graph.dockerignore_for(bpath)
    except Exception:  # a .dockerignore Docker refuses: the builds fail anyway
        return False
    files = ctx.tree.under(context)
    for key in keys:
        for src in key[2]:
            for f in named_files(files, src):
                if a.excludes(f) != b.excludes(f):
                    return False
    return True


def _same_stage(graph, doc: Document, path: str, ref: str | None, bdoc: Document, bpath: str,
                bref: str | None, at: int, bat: int) -> bool:
    """Are two `COPY --from` stages the same build: the same external FROM and the same
    instructions (by value), in the same context?"""
    def find(d: Document, r: str | None, before: int) -> int | None:
        if r is None:
            return None
        for st in d.stages:
            if st.index < before and (st.name == r.lower() or str(st.index) == r):
                return st.index
        return None

    i, j = find(doc, ref, at), find(bdoc, bref, bat)
    if i is None or j is None:
        return False
    bi, bj = graph.base_of(path, i), graph.base_of(bpath, j)
    if bi is None or bj is None or bi.kind != "external" or bj.kind != "external" or bi.ref != bj.ref:
        return False
    if _context_of(graph, path) != _context_of(graph, bpath):
        return False

    def body(d: Document, k: int) -> list[tuple]:
        return [(x.keyword, _flags_key(x), x.value, tuple((h.name, h.content) for h in x.heredocs))
                for x in d.stage_instructions(d.stages[k])[1:]]

    return body(doc, i) == body(bdoc, j) and doc.stages[i].platform == bdoc.stages[j].platform


def _familiar(ref: str) -> str:
    for prefix in ("docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def _cwd_free(s: _Step) -> bool:
    """Does what the instruction does not depend on the directory it runs in?"""
    kw = s.ins.keyword
    if s.kind is RUN:
        return s.run_kind is PACKAGES
    if s.kind in COPIES:
        return s.ins.value[-1].startswith("/")
    if s.kind is WORKDIR:
        return s.ins.value[0].startswith("/")
    return kw not in ("RUN", "COPY", "ADD", "WORKDIR")


def _overlaps(a: list[str], b: list[str]) -> bool:
    for x in a:
        for y in b:
            if x == y or x.startswith(y.rstrip("/") + "/") or y.startswith(x.rstrip("/") + "/"):
                return True
    return False


def _referenced(ins: Instruction) -> set[str]:
    """Variables an instruction's words expand at build time (not RUN's: the shell reads
    the whole environment)."""
    if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "MAINTAINER", "ONBUILD"):
        return set()
    text = " ".join(ins.flags) + " " + " ".join(ins.value)
    return {m.group(1) or m.group(2) for m in re.finditer(r"\$\{([A-Za-z_]\w*)|\$([A-Za-z_]\w*)", text)}


def _env_diff(a: dict[str, str], b: dict[str, str]) -> str | None:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            return k
    return None


def _show_value(v: str | None) -> str:
    if v is None:
        return "(unset)"
    return re.sub(r"\0(\w+)\0", r"$\1", v)


def _show_dir(d: str) -> str:
    return "/" if d == IMAGE_WORKDIR else _show_value(d).replace("$WORKDIR", "(the image's WORKDIR)")


def _line(doc: Document, ins: Instruction) -> str:
    text = " ".join(ins.original.split())
    if len(text) > 60:
        text = text[:57] + "..."
    return f"`{text}` (line {ins.start_line})"
