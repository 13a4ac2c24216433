"""The rebased stage, simulated: every kept instruction must run as it did (the same
environment, the same directory where it matters, the same files around it), and the image
must end with the same environment and directory."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from dockfix.syntax import Document
from dockfix.transforms.rebase_onto_base.lookups import (_cwd_free, _env_diff, _line, _overlaps, _referenced,
                                                         _show_dir, _show_value)
from dockfix.transforms.rebase_onto_base.pip import PACKAGES, PIP
from dockfix.transforms.rebase_onto_base.requirements import _copy_targets
from dockfix.transforms.rebase_onto_base.stages import COPIES, COPY, COPY_FROM, ENV, RUN, WORKDIR, _flags_key, _Step

if TYPE_CHECKING:
    from dockfix.transforms.rebase_onto_base.match import Pair, Provision

_APP_FILES = (COPY, COPY_FROM)


def kept_differ(p: "Pair", prov: "Provision") -> str | None:
    """Why a kept instruction, or the image, would differ after the rebase (None: nothing)."""
    env = dict(p.base.env)
    workdir = p.base.workdir
    steps = p.me.steps
    last_file = max((i for i, s in enumerate(steps) if id(s.ins) in prov.ids and s.kind in _APP_FILES), default=-1)
    provided_dests = [d for s in prov.provided if s.kind in _APP_FILES for d in _targets(p, s)]
    problems: list[str] = []
    for i, s in enumerate(steps):
        if id(s.ins) in prov.ids:
            continue
        problems += _runs_differently(p.doc, s, env, workdir)
        if i < last_file:
            problems += _order_changes(p, s, provided_dests)
        if s.kind is ENV:
            env.update(dict(s.key))
        elif s.kind is WORKDIR:
            workdir = s.key[0]
    k = _env_diff(p.me.env, env)
    if k:
        return f"the image would end with ENV {k}={_show_value(env.get(k))} instead of {_show_value(p.me.env.get(k))}"
    if workdir != p.me.workdir:
        return f"the image would end in WORKDIR {_show_dir(workdir)} instead of {_show_dir(p.me.workdir)}"
    return problems[0] if problems else None


def _targets(p: "Pair", step: _Step) -> list[str]:
    """The container paths a COPY writes."""
    if step.kind is COPY and not step.variable:
        return list(_copy_targets(p.files, step)) or list(step.dests)
    return list(step.dests)


def _runs_differently(doc: Document, s: _Step, env: dict[str, str], workdir: str) -> list[str]:
    """A kept instruction after the rebase sees `env` (a build argument's value stays what it
    was) in `workdir`: the variables it reads (a RUN: all) and, when it depends on one, the
    directory must be what they were."""
    out = []
    seen = {**{k: v for k, v in s.env.items() if "\1" in v}, **env}
    names = None if s.kind is RUN else _referenced(s.ins)
    diff = _env_diff({k: v for k, v in s.env.items() if names is None or k in names},
                     {k: v for k, v in seen.items() if names is None or k in names})
    if diff:
        out.append(f"{_line(doc, s.ins)} would see ENV {diff}={_show_value(seen.get(diff))} "
                   f"instead of {_show_value(s.env.get(diff))}")
    if s.workdir != workdir and not _cwd_free(s):
        out.append(f"{_line(doc, s.ins)} would run in {_show_dir(workdir)} instead of {_show_dir(s.workdir)}")
    return out


def _order_changes(p: "Pair", s: _Step, provided_dests: list[str]) -> list[str]:
    """A kept instruction that ran before the app files were copied now runs after them."""
    out = []
    if s.kind is RUN and s.run_kind not in (PACKAGES, PIP):
        out.append(f"{_line(p.doc, s.ins)} runs before the app code is copied; after the "
                   "rebase it would run with the base's files in place")
    if s.kind is RUN and any(x.local for x in s.pip):
        out.append(f"{_line(p.doc, s.ins)} installs a local path before the app code is copied")
    if s.kind in COPIES and _overlaps(_targets(p, s), provided_dests):
        out.append(f"{_line(p.doc, s.ins)} writes where the base's app COPYs write; the order would change")
    return out


def own_count(p: "Pair", prov: "Provision") -> int:
    """Kept instructions that are the stage's own: not an ARG, not the base's COPY, RUN or
    metadata again."""
    base_runs = Counter((s.ins.keyword, _flags_key(s.ins), s.ins.value)
                        for s in p.base.steps if s.kind is RUN)
    own = 0
    for s in p.me.steps:
        kw = s.ins.keyword
        if id(s.ins) in prov.ids or kw == "ARG" or id(s.ins) in prov.again:
            continue
        run = (kw, _flags_key(s.ins), s.ins.value)
        if s.kind is RUN and base_runs[run] > 0:
            base_runs[run] -= 1
            continue
        last = p.base.meta.get(kw, [None])[-1]
        if last is not None and last.value == s.ins.value and tuple(last.flags) == tuple(s.ins.flags):
            continue
        own += 1
    return own
