"""rebase-onto-base: a Dockerfile that rebuilds what an in-repo base image provides is
rebuilt FROM that base (what, why, when it must not fire and why the result is equivalent:
transforms/rebase-onto-base/README.md).

Modules: `stages` walks a stage into effects (with `words` for ENV/WORKDIR/COPY words, `pip`
and `shell` for RUNs), `requirements` follows requirement files, `match` (with `simulate`)
decides, `edit` writes; `lookups` holds graph look-ups and message text.
"""

from __future__ import annotations

from dockfix.syntax import Document
from dockfix.transforms.base import Context, Safety, Transform
from dockfix.transforms.rebase_onto_base.edit import rewrite
from dockfix.transforms.rebase_onto_base.lookups import (_base_images, _base_of, _built_from, _context_of,
                                                         _familiar, _target_stage)
from dockfix.transforms.rebase_onto_base.match import Pair, candidate, plan_for, refuse
from dockfix.transforms.rebase_onto_base.stages import _Stage, _walk

__all__ = ["RebaseOntoBase"]


class RebaseOntoBase(Transform):
    name = "rebase-onto-base"
    summary = "Rebuild a Dockerfile that repeats an in-repo base image FROM that base."
    safety = Safety.SAFE
    answers = "duplicated base layers (no hadolint or BuildKit check; seed 000 STEP 2.5)"

    def apply(self, ctx: Context) -> None:
        graph = ctx.graph()
        # Candidates by build context: a match needs the same context, so only those are tried.
        bases_in: dict[str, list[str]] = {}
        for ref in _base_images(graph):
            context = _context_of(graph, graph.images[ref].dockerfile)
            if context is not None:
                bases_in.setdefault(context, []).append(ref)
        # A stage is walked once per run, not once per candidate base (documents are
        # immutable; a rewritten file gets a new Document and so a new key).
        self._walks: dict[tuple[int, int], tuple[Document, _Stage]] = {}
        for path in ctx.dockerfiles():
            doc = ctx.document(path)
            if ctx.file_ignored(doc) or not doc.stages:
                continue
            stage = _target_stage(graph, path, doc)
            mine = _base_of(graph, path, stage)
            if mine is None or mine.kind != "external":
                continue
            if ctx.ignored(doc, doc.instructions[doc.stages[stage].from_index]):
                continue
            for ref in bases_in.get(_context_of(graph, path), []):
                if graph.images[ref].dockerfile == path:
                    continue  # the base itself
                pair = candidate(ctx, graph, self._walked, path, doc, stage, ref)
                if pair is not None:
                    _decide(pair)
                    break

    def _walked(self, doc: Document, path: str, stage: int) -> _Stage:
        key = (id(doc), stage)
        if key not in self._walks:
            self._walks[key] = (doc, _walk(doc, path, stage))
        return self._walks[key][1]  # the doc is kept alive so its id is not reused


def _decide(p: Pair) -> None:
    """Rebase the pair's stage, or report why not (a skip note)."""
    plan = plan_for(p)
    if plan is None:
        return
    if _built_from(p.graph, p.ref, p.path):
        return refuse(p, "that image is built from this Dockerfile's image (the rebase would make a cycle)")
    if plan.own == 0:
        return p.ctx.skip(p.path, p.head.start_line,
                          f"duplicates the base image {_familiar(p.ref)} ({p.bpath}) and has nothing of its own: "
                          "rebasing it would leave an empty image; not rebased")
    rewrite(p, plan)
