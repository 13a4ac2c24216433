"""Layer identity: when two stages' leading steps give the builder the same layers.

A builder reuses a layer when the stage's base and every step up to it are the same as in a
stage it built before. A step is identified by its instruction's words — keyword, flags, value,
exec form, heredocs (comments and layout do not count) — and, for COPY/ADD, by where its files
come from: the build context and the .dockerignore in force, or a stage of the same file
(`--from`), which is never the same as another file's. Two stages share the layers of their
common prefix (`common_prefix`) when they are built on the same base.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockfix.syntax import Document, Instruction


@dataclass(frozen=True)
class Step:
    ins: Instruction
    identity: tuple


def layer_steps(doc: Document, stage: int, path: str, copy_source: tuple) -> list[Step]:
    """The steps of `doc`'s stage `stage` after its FROM. `copy_source` names what COPY
    reads (for instance the context directory and the .dockerignore path)."""
    if stage >= len(doc.stages):
        return []
    out = []
    for ins in doc.stage_instructions(doc.stages[stage])[1:]:
        identity: tuple = (ins.keyword, ins.flags, ins.value, ins.json,
                           tuple((h.name, h.content, h.chomp, h.expand) for h in ins.heredocs))
        if ins.keyword in ("COPY", "ADD"):
            source = (path, ins.index) if ins.flag("from") is not None else copy_source
            identity += (source,)
        out.append(Step(ins, identity))
    return out


def common_prefix(a: list[Step], b: list[Step]) -> int:
    """How many leading steps the two stages share."""
    k = 0
    while k < min(len(a), len(b)) and a[k].identity == b[k].identity:
        k += 1
    return k
