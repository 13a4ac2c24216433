"""The rewrite: FROM the base in the repo's convention, and the provided instructions (with
the comment block above each) and the stages only they used deleted. dockfix never edits a
COPY line: it keeps or deletes whole instructions."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms.base import Context
from dockfix.transforms.rebase_onto_base.lookups import _familiar

if TYPE_CHECKING:
    from dockfix.transforms.rebase_onto_base.match import Pair, Plan


def rewrite(p: "Pair", plan: "Plan") -> None:
    """Write the rebased file, or report why the repo's convention cannot be used (a skip)."""
    from dockfix.transforms.rebase_onto_base.match import refuse

    ctx, doc = p.ctx, p.doc
    head = p.head
    arg_text, word = _convention(ctx, p.graph, p.ref, p.path)
    if arg_text:
        reason = _arg_conflict(p, arg_text)
        if reason:
            return refuse(p, reason)
        if _global_arg(doc, _arg_name(arg_text)) is not None:
            arg_text = ""  # the file declares it already, with this value
    line = f"{head.cmd} " + "".join(f"{f} " for f in head.flags) + word
    if doc.stages[p.stage].name and len(head.value) >= 3:
        line += f" {head.value[1]} {head.value[2]}"
    dead = _dead_stages(p.graph, p.path, doc, p.stage, plan.provided)
    ed = Editor(doc)
    first = doc.instructions[next(s for s in doc.stages if s.index not in dead).from_index]
    if arg_text and first is not head:
        # An ARG after the first FROM belongs to that stage: FROM could not read it.
        ed.insert_before(first, arg_text)
        ed.replace(head, line)
    else:
        ed.replace(head, (arg_text + "\n" if arg_text else "") + line)
    _delete_lines(ed, doc, _deleted_lines(doc, plan.provided, dead))
    ctx.write(p.path, ed.apply())
    removed = f"removed {len(plan.provided)} instruction(s) the base provides"
    if dead:
        names = ", ".join(doc.stages[k].name or str(k) for k in sorted(dead))
        removed += f" and the stage(s) only they used ({names})"
    ctx.note("info", p.path, head.start_line, f"rebased onto {_familiar(p.ref)} ({p.bpath}); {removed}")


def _arg_name(arg_text: str) -> str:
    return arg_text.split(None, 1)[1].partition("=")[0]


def _arg_conflict(p: "Pair", arg_text: str) -> str | None:
    """Why the convention's `ARG NAME=default` cannot be used in this file."""
    name = _arg_name(arg_text)
    existing = _global_arg(p.doc, name)
    if existing is not None and existing.rstrip() != arg_text.rstrip():
        return f"the file already declares ARG {name} with another value"
    build_args = _build_args(p.graph, p.path)
    if name in build_args and not _names(p.graph, build_args[name], p.ref):
        return f"the build passes {name}={build_args[name]}"
    return None


def _deleted_lines(doc: Document, provided: list[Instruction], dead: set[int]) -> set[int]:
    gone: set[int] = set()
    for ins in provided:  # with the comment block directly above it
        gone.update(range(doc.leading_comment_start(ins), ins.end_line + 1))
    for k in sorted(dead):
        dst = doc.stages[k]
        start = doc.instructions[dst.from_index]
        # The first stage's comments are the file's header: they stay.
        top = start.start_line if k == 0 else doc.leading_comment_start(start)
        gone.update(range(top, doc.instructions[dst.instructions[-1]].end_line + 1))
    return gone


def _convention(ctx: Context, graph, ref: str, path: str) -> tuple[str, str]:
    """(ARG line or "", FROM word) as the repo's other derived Dockerfiles write FROM the
    base (the most common spelling); else the name the repo maps the base to."""
    spellings: Counter[tuple[str, str]] = Counter()
    for dpath, stage in graph.derived_of(ref):
        if dpath == path:
            continue
        d = ctx.document(dpath)
        raw = d.stages[stage].base
        m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", raw)
        if m:
            arg = _global_arg(d, m.group(1))
            if arg is None or "=" not in arg:
                continue
            spellings[(arg.strip(), raw)] += 1
        else:
            spellings[("", raw)] += 1
    if spellings:
        best = max(spellings.values())
        return sorted(k for k, v in spellings.items() if v == best)[0]
    image = graph.images[ref]
    return "", (image.raw_ref or _familiar(ref))


def _global_arg(doc: Document, name: str) -> str | None:
    """The text of the global ARG that declares `name` (one name per ARG), or None."""
    for ins in doc.global_args():
        for w in ins.value:
            if w.split("=", 1)[0] == name:
                return ins.original.strip() if len(ins.value) == 1 else f"ARG {w}"
    return None


def _build_args(graph, path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in graph.images_built_from(path):
        args = getattr(m, "args_dict", None)
        out.update(args if args is not None else dict(m.args or {}))
    return out


def _names(graph, value: str | None, ref: str) -> bool:
    """Does the reference `value` name the in-repo image `ref`?"""
    if value is None:
        return False
    lookup = getattr(graph, "image", None)
    if lookup is not None:
        found = lookup(value)
        return found is not None and found.ref == ref
    from dockfix.graph.sources import normalise_ref

    return normalise_ref(value) == ref




def _dead_stages(graph, path: str, doc: Document, target: int, deleted: list[Instruction]) -> set[int]:
    """Stages that only deleted `COPY --from` lines used: no remaining FROM, COPY --from or
    RUN --mount names them, and no image builds them as its target."""
    gone = {id(i) for i in deleted}
    targets = {graph.image_stage(m) for m in graph.images_built_from(path)} | {target}
    dead = {_stage_named(doc, r, i.stage) for i in deleted for r in _refs(i)} - {None} - targets
    changed = True
    while changed:
        changed = False
        for k in sorted(dead):
            if _used(doc, k, dead, gone):
                dead.discard(k)
                changed = True
    return dead


def _used(doc: Document, k: int, dead: set[int], gone: set[int]) -> bool:
    """Does a stage other than `k` and the dead ones name stage `k` (FROM, or a kept
    instruction's --from)?"""
    for st in doc.stages:
        if st.index == k or st.index in dead:
            continue
        if _stage_named(doc, st.base, st.index) == k:
            return True
        for n in st.instructions[1:]:
            ins = doc.instructions[n]
            if id(ins) not in gone and any(_stage_named(doc, r, st.index) == k for r in _refs(ins)):
                return True
    return False


def _refs(ins: Instruction) -> list[str]:
    """The stages or images an instruction reads from (`COPY --from`, `RUN --mount=from=`)."""
    out = []
    if ins.keyword in ("COPY", "ADD") and ins.flag("from") is not None:
        out.append(ins.flag("from"))
    if ins.keyword == "RUN":
        for mount in ins.flag_values("mount"):
            out += [kv.split("=", 1)[1] for kv in mount.split(",") if kv.startswith("from=")]
    return out


def _stage_named(doc: Document, r: str, before: int) -> int | None:
    for st in doc.stages:
        if st.index < before and (st.name == r.lower() or str(st.index) == r):
            return st.index
    return None


def _delete_lines(ed: Editor, doc: Document, lines: set[int]) -> None:
    """Delete these physical lines without leaving a double blank line where they were
    (nor a blank line first or last in the file); a BOM stays; a file that ended without a
    newline still does."""
    n = doc.line_count
    gone = _with_blank_neighbours(doc, lines)
    for a, b in _runs(sorted(gone)):
        start = doc.line_starts[a - 1] + (3 if a == 1 and doc.bom else 0)
        ed.replace_span(start, doc.line_span(b)[1], b"")
    if n in gone and not doc.eol_of_line(n):
        keep = max((k for k in range(1, n) if k not in gone), default=0)
        if keep:
            eol = doc.eol_of_line(keep)
            end = doc.line_span(keep)[1]
            ed.replace_span(end - len(eol), end, b"")


def _with_blank_neighbours(doc: Document, lines: set[int]) -> set[int]:
    """`lines`, and a blank line next to each deleted run that would otherwise be doubled (or
    left first or last in the file)."""
    n = doc.line_count
    gone = set(lines)
    for a, b in _runs(sorted(lines)):
        prev, nxt = a - 1, b + 1
        while prev >= 1 and prev in gone:
            prev -= 1
        while nxt <= n and nxt in gone:
            nxt += 1
        if nxt <= n and _blank(doc, nxt) and (prev < 1 or _blank(doc, prev)):
            gone.add(nxt)
        elif nxt > n and prev >= 1 and _blank(doc, prev):
            gone.add(prev)
    return gone


def _blank(doc: Document, k: int) -> bool:
    raw = doc.line_bytes(k)
    if k == 1 and doc.bom:
        raw = raw[3:]
    return raw.strip(b" \t\r\n\f\v") == b""


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x in lines:
        if out and out[-1][1] == x - 1:
            out[-1] = (out[-1][0], x)
        else:
            out.append((x, x))
    return out
