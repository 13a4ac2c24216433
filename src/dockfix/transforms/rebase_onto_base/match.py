"""The comparison of a stage with a base image's final stage, one named decision at a time.

`candidate` answers silently (not the same FROM, platform, context or app code: not a
candidate). `plan_for` then either returns the plan or reports why not as a skip note; every
decision below returns the reason it refuses (None: it holds).
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from dockfix.syntax import Document, Instruction
from dockfix.transforms.base import Context
from dockfix.transforms.rebase_onto_base.lookups import (_base_of, _context_of, _familiar, _line, _same_files,
                                                         _same_stage)
from dockfix.transforms.rebase_onto_base.pip import PACKAGES, PIP, SYSTEM_SITE, USER_SITE, Site
from dockfix.transforms.rebase_onto_base.requirements import Closure, _closure, _site_requirements, into, own_into
from dockfix.transforms.rebase_onto_base.simulate import kept_differ, own_count
from dockfix.transforms.rebase_onto_base.sources import named_files
from dockfix.transforms.rebase_onto_base.stages import COPY, COPY_FROM, COPY_OTHER, ENV, RUN, WORKDIR, _Stage, _Step

if TYPE_CHECKING:
    from dockfix.graph import Graph

# Metadata of the base's final stage that refuses the rebase: what changes how the stage's
# own steps run, and what the image would inherit unless the stage sets it itself.
_BLOCKING = ("USER", "SHELL", "VOLUME", "ONBUILD")
_INHERITED = ("CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL")


@dataclass
class Pair:
    """A stage and the in-repo base image it may be rebased onto, both walked."""

    ctx: Context
    graph: "Graph"
    path: str
    doc: Document
    stage: int
    ref: str
    bpath: str
    bdoc: Document
    context: str
    me: _Stage
    base: _Stage
    common: list[_Step]  # the stage's context COPYs the base has too
    walked: Callable[[Document, str, int], _Stage]  # the transform's memo of stage walks
    _covered: dict[Site, Closure] = field(default_factory=dict)  # memo of `covered`

    @property
    def head(self) -> Instruction:
        return self.doc.instructions[self.doc.stages[self.stage].from_index]

    @cached_property
    def files(self) -> list[str]:
        return self.ctx.tree.under(self.context)

    def covered(self, site: Site) -> Closure:
        """What the stage's own pip installs into `site` install (running as the image's user)."""
        if site not in self._covered:
            self._covered[site] = _closure(self.ctx, self.me, self.context, own_into(site))
        return self._covered[site]


@dataclass(frozen=True)
class Plan:
    provided: list[Instruction]
    own: int  # kept instructions that are the stage's own (not a copy of the base's)


@dataclass
class Provision:
    """Which of the stage's instructions the base provides."""

    provided: list[_Step] = field(default_factory=list)
    again: set[int] = field(default_factory=set)  # kept, but the base's own instruction again
    remaining: Counter = field(default_factory=Counter)  # the base's COPYs not matched yet
    matched_from: set[int] = field(default_factory=set)  # indexes into base_from
    base_from: list[_Step] = field(default_factory=list)

    @cached_property
    def ids(self) -> set[int]:
        return {id(s.ins) for s in self.provided}


def refuse(p: Pair, reason: str) -> None:
    """The one way the rebase refuses a candidate: a skip note that says why."""
    p.ctx.skip(p.path, p.head.start_line, f"not rebased onto {_familiar(p.ref)}: {reason}")


def candidate(ctx: Context, graph, walked, path: str, doc: Document, stage: int, ref: str) -> Pair | None:
    """The pair when the stage starts like the base's final stage (same external FROM and
    platform, same context, some app COPY in common); None: not a candidate (silent)."""
    image = graph.images[ref]
    bnode = graph.dockerfiles.get(image.dockerfile)
    bstage = graph.image_stage(image)
    if bnode is None or bnode.document is None or bstage is None:
        return None
    if not _same_start(graph, path, doc, stage, image.dockerfile, bnode.document, bstage):
        return None
    context = _context_of(graph, path)
    if context is None or context != _context_of(graph, image.dockerfile):
        return None  # not the same build context: not the same app code
    me = walked(doc, path, stage)
    base = walked(bnode.document, image.dockerfile, bstage)
    base_copies = {s.key for s in base.steps if s.kind is COPY and not s.variable}
    common = [s for s in me.steps if s.kind is COPY and not s.variable and s.key in base_copies]
    if not common:
        return None  # not the same app code: not a candidate
    return Pair(ctx, graph, path, doc, stage, ref, image.dockerfile, bnode.document, context, me, base, common,
                walked)


def _same_start(graph, path: str, doc: Document, stage: int, bpath: str, bdoc: Document, bstage: int) -> bool:
    """Do both stages start FROM the same external image, for the same platform?"""
    mine, theirs = _base_of(graph, path, stage), _base_of(graph, bpath, bstage)
    if theirs is None or theirs.kind != "external" or theirs.ref != mine.ref:
        return False
    return doc.stages[stage].platform == bdoc.stages[bstage].platform


def plan_for(p: Pair) -> Plan | None:
    """The plan when the rebased stage builds the same image; else None, after a skip note."""
    reason = _files_differ(p) or _base_blocks(p) or _base_variable(p)
    if reason:
        return refuse(p, reason)
    prov = _provided(p, _closure(p.ctx, p.me, p.context).read)
    reason = _base_copies_more(prov) or _base_sites(p, prov) or _base_steps_more(p) or _sites_mix(p, prov) \
        or _inherited(p, prov) or kept_differ(p, prov)
    if reason:
        return refuse(p, reason)
    return Plan([s.ins for s in prov.provided], own_count(p, prov))


# -- what the base's final stage is
def _files_differ(p: Pair) -> str | None:
    if not _same_files(p.ctx, p.graph, p.path, p.bpath, p.context, [s.key for s in p.common]):
        return "the app COPYs read other files (the .dockerignore files differ)"
    return None


def _base_blocks(p: Pair) -> str | None:
    for kw in _BLOCKING:
        if kw in p.base.meta:
            ins = p.base.meta[kw][-1]
            return f"the base sets {kw} ({_line(p.bdoc, ins)}), which changes how this stage's own steps run"
    return None


def _base_variable(p: Pair) -> str | None:
    for s in p.base.steps:
        if s.variable:
            return f"the base's {_line(p.bdoc, s.ins)} depends on a build argument"
    return None


# -- which of the stage's instructions the base provides
def _provided(p: Pair, reads: frozenset[str]) -> Provision:
    """The stage's ENV, WORKDIR and COPYs whose effect the base has. A COPY of a requirement
    file a kept pip install reads stays (`again`)."""
    base = p.base
    prov = Provision(remaining=Counter(s.key for s in base.steps if s.kind is COPY and not s.variable),
                     base_from=[s for s in base.steps if s.kind is COPY_FROM])
    for s in p.me.steps:
        if s.variable:
            continue
        if _same_setting(s, base):
            prov.provided.append(s)
        elif s.kind is COPY and prov.remaining[s.key] > 0:
            _provide_copy(p, prov, s, reads)
        elif s.kind is COPY_FROM:
            _provide_copy_from(p, prov, s)
    return prov


def _same_setting(s: _Step, base: _Stage) -> bool:
    """An ENV whose values are the base's final values, or the base's final WORKDIR."""
    if s.kind is ENV:
        return all(base.env.get(k) == v for k, v in s.key)
    return s.kind is WORKDIR and s.key == (base.workdir,)


def _provide_copy(p: Pair, prov: Provision, s: _Step, reads: frozenset[str]) -> None:
    names = {posixpath.join(p.context, f) if p.context else f for src in s.key[2] for f in named_files(p.files, src)}
    prov.remaining[s.key] -= 1
    if names & reads:
        prov.again.add(id(s.ins))  # a requirement file a kept pip install reads: stays
    else:
        prov.provided.append(s)


def _provide_copy_from(p: Pair, prov: Provision, s: _Step) -> None:
    """A `COPY --from=<stage>` whose stage is the same build as one the base copies from."""
    for k, b in enumerate(prov.base_from):
        if k not in prov.matched_from and b.key == s.key and _same_stage(
                p.graph, p.doc, p.path, s.ins.flag("from"), p.bdoc, p.bpath, b.ins.flag("from"),
                s.ins.stage, b.ins.stage):
            prov.matched_from.add(k)
            prov.provided.append(s)
            return


# -- the base must add nothing beyond system packages and requirements the stage installs itself
def _base_copies_more(prov: Provision) -> str | None:
    for key, left in prov.remaining.items():
        if left > 0:
            srcs = " ".join(key[2]) or "."
            dest = key[3].rstrip("/") + "/" if key[4] else key[3]
            return f"the base copies {srcs} to {dest}, which this stage does not"
    return None


def _base_sites(p: Pair, prov: Provision) -> str | None:
    """The base's unmatched `COPY --from` lines: each must be a pip --user site holding only
    requirement files the stage's own `pip install --user` installs."""
    for k, b in enumerate(prov.base_from):
        if k in prov.matched_from:
            continue
        site = _site_requirements(p.ctx, p.bdoc, p.bpath, b, p.context, p.walked)
        if site is None:
            return f"the base's {_line(p.bdoc, b.ins)} copies files this stage does not have"
        covered = p.covered(USER_SITE)
        missing = site - covered.installed
        if missing:
            return (f"the base installs {', '.join(sorted(missing))}, which this stage's own "
                    "pip install --user does not")
        if covered.local:
            return "a requirement file installs a local path"
    return None


def _base_steps_more(p: Pair) -> str | None:
    """The base's RUNs and other COPYs, in order: only package installs, and pip installs of
    requirement files the stage installs itself into the same site."""
    for s in p.base.steps:
        if s.kind is RUN:
            reason = _base_run_covered(p, s)
            if reason:
                return reason
        elif s.kind is COPY_OTHER:
            return f"the base's {_line(p.bdoc, s.ins)} adds files this stage does not have"
    return None


def _base_run_covered(p: Pair, s: _Step) -> str | None:
    if s.run_kind is PACKAGES:
        return None
    runs = f"the base runs {_line(p.bdoc, s.ins)}, which this stage does not"
    if s.run_kind is not PIP or any(x.local or x.packages for x in s.pip):
        return runs
    for site in (USER_SITE, SYSTEM_SITE):
        if not any(x.site is site for x in s.pip):
            continue
        theirs = _closure(p.ctx, p.base, p.context, into(site))
        if theirs.local or theirs.unknown:
            return runs
        missing = theirs.installed - p.covered(site).installed
        if missing and site is USER_SITE:
            return runs
        if missing:
            return (f"the base installs {', '.join(sorted(missing))} system-wide ({_line(p.bdoc, s.ins)}), "
                    "which this stage's own system-wide pip install does not")
    return None


def _sites_mix(p: Pair, prov: Provision) -> str | None:
    """The stage's pip installs must all write to the site the base's installs fill, as the
    image's user: pip skips what a site it can read already holds, so an install into
    another site (or as another user) would leave the base's packages out of it."""
    sites = {x.site for s in p.base.steps for x in s.pip}
    if len(prov.matched_from) < len(prov.base_from):
        sites.add(USER_SITE)  # an accepted unmatched COPY --from is a /root/.local site
    if not sites:
        return None
    for s in p.me.steps:
        for x in s.pip:
            if s.after_user:
                return (f"{_line(p.doc, s.ins)} runs after this stage's USER: pip would find the base's "
                        "packages and leave them out of that user's site")
            if x.site not in sites:
                return (f"{_line(p.doc, s.ins)} installs {_site_text(x.site)} while the base installs "
                        f"{_site_text(next(iter(sites)))}: pip would find the base's packages and leave "
                        "them out of this site")
    return None


def _site_text(site: Site) -> str:
    return "with --user" if site is USER_SITE else "system-wide"


# -- metadata: what the image ends up with must not change
def _inherited(p: Pair, prov: Provision) -> str | None:
    own_meta = {s.ins.keyword for s in p.me.steps if id(s.ins) not in prov.ids}
    for kw in _INHERITED:
        if kw not in p.base.meta:
            continue
        if kw == "CMD" and ("CMD" in own_meta or "ENTRYPOINT" in own_meta):
            continue
        if kw != "CMD" and kw in own_meta:
            continue
        return (f"the base sets {kw} ({_line(p.bdoc, p.base.meta[kw][-1])}) and this stage "
                f"does not: the image would inherit it")
    mine = p.doc.stage_instructions(p.doc.stages[p.stage])
    for kw in ("EXPOSE", "LABEL", "MAINTAINER"):
        for ins in p.base.meta.get(kw, []):
            if not any(o.keyword == kw and o.value == ins.value for o in mine):
                return f"the base's {_line(p.bdoc, ins)} is not in this stage"
    return None
