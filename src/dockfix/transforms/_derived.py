"""What non-root and root-swap ask about the images around a base: the stages built on it,
whether its user is the one its authors wrote or one this run's non-root gave it, and whether a
stage sets its own USER. Imports no transform."""

from __future__ import annotations

from dockfix.graph.model import parse_cached
from dockfix.syntax import Document, Instruction, Stage
from dockfix.transforms._image_user import StageRef, chain
from dockfix.transforms.base import Context


def original_last_user(ctx: Context, refs: list[StageRef]) -> tuple[str | None, bool]:
    """(USER, known) at the end of the chain as the repository itself has it, before this
    run's transforms (the files on disk). Not known when a file of the chain is new, does not
    parse, or has another number of stages than now."""
    for ref in refs:
        data = ctx.tree.original(ref.path)
        doc = parse_cached(ref.path, data)[0] if data is not None else None
        if doc is None or len(doc.stages) != len(ctx.document(ref.path).stages):
            return None, False
        for ins in reversed(doc.stage_instructions(doc.stages[ref.stage])):
            if ins.keyword == "USER":
                return (ins.value[0] if ins.value else ""), True
    return None, True


def own_user(doc: Document, stage: Stage) -> Instruction | None:
    """The stage's first USER instruction (None: it sets none itself)."""
    return next((i for i in doc.stage_instructions(stage) if i.keyword == "USER"), None)


def descendants(ctx: Context, base: StageRef) -> list[StageRef]:
    """Every stage of the repository whose chain reaches `base` (built on it, directly or
    through other stages and images), in file order."""
    out = []
    for path in ctx.dockerfiles():
        for stage in ctx.document(path).stages:
            if base in chain(ctx, path, stage.index)[1:]:
                out.append(StageRef(path, stage.index))
    return out
