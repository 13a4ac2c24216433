"""A stage as a sequence of effects: the environment, directory and effect of each instruction,
simulated from its FROM (symbolically: what the external image sets stays a marker)."""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass, field

from dockfix.model.stage_state import shell_before
from dockfix.syntax import Document, Instruction
from dockfix.transforms.rebase_onto_base.pip import RunKind, _classify_run, _Pip
from dockfix.transforms.rebase_onto_base.sources import source_path, has_wildcards, is_remote
from dockfix.transforms.rebase_onto_base.words import _expand, _join

# The directory before any WORKDIR: the external image's (a marker, the same in both files).
IMAGE_WORKDIR = "\0WORKDIR\0"


class StepKind(enum.Enum):
    ENV = "env"
    WORKDIR = "workdir"
    COPY = "copy"  # context files only
    COPY_FROM = "copy-from"  # COPY --from=<stage or image>
    COPY_OTHER = "copy-other"  # heredocs, URLs, git sources
    RUN = "run"
    ARG = "arg"
    META = "meta"  # everything else (USER, CMD, LABEL, …)


# The members as module names: an Enum member lookup costs five times a global's in Python
# 3.11, and these comparisons run for every instruction of a 2,000-Dockerfile repository.
ENV, WORKDIR, COPY, COPY_FROM, COPY_OTHER, RUN, ARG, META = StepKind
COPIES = (COPY, COPY_FROM, COPY_OTHER)


@dataclass
class _Step:
    ins: Instruction
    env: dict[str, str]  # environment it runs in (ENV and the stage's ARGs)
    workdir: str
    kind: StepKind
    key: tuple | None = None  # comparable effect (ENV pairs, WORKDIR path, COPY key)
    dests: tuple[str, ...] = ()  # absolute destinations a COPY writes
    pip: list[_Pip] = field(default_factory=list)
    run_kind: RunKind | None = None  # for a RUN
    variable: bool = False  # depends on a build argument
    after_user: bool = False  # a USER of the stage comes before it (its pip --user site is that user's)


@dataclass
class _Stage:
    doc: Document
    path: str
    index: int
    steps: list[_Step]
    env: dict[str, str]
    workdir: str
    meta: dict[str, list[Instruction]]


def _walk(doc: Document, path: str, index: int) -> _Stage:
    """Simulate one stage from its FROM: the environment, directory and effect of each
    instruction."""
    env: dict[str, str] = {}
    args: dict[str, str] = {}
    workdir = IMAGE_WORKDIR
    steps: list[_Step] = []
    meta: dict[str, list[Instruction]] = {}
    for k in doc.stages[index].instructions[1:]:
        ins = doc.instructions[k]
        scope = {**args, **env}
        kw = ins.keyword
        step = _Step(ins, dict(scope), workdir, META, after_user="USER" in meta)
        if kw == "ENV":
            env.update(_env_step(step, scope, doc.escape))
        elif kw == "ARG":
            for w in ins.value:
                args[w.split("=", 1)[0]] = f"\1{w.split('=', 1)[0]}\1"
            step.kind = ARG
        elif kw == "WORKDIR":
            workdir = _workdir_step(step, scope, workdir, doc.escape)
        elif kw in ("COPY", "ADD") and len(ins.value) >= 2:
            _copy_step(step, ins, scope, workdir, doc.escape)
        elif kw == "RUN":
            step.kind = RUN
            # the SHELL in force (`model.stage_state`; BuildKit takes the JSON form only); an
            # image config's own Shell (Windows images) is not modelled
            shell = shell_before(doc, ins) or ("SHELL not in JSON form",)
            step.run_kind, step.pip = _classify_run(ins, workdir, scope, shell)
        else:
            meta.setdefault(kw, []).append(ins)
        steps.append(step)
    return _Stage(doc, path, index, steps, env, workdir, meta)


def _env_step(step: _Step, scope: dict[str, str], escape: str) -> list[tuple[str, str]]:
    """The ENV's pairs, each value expanded against the environment before the ENV."""
    ins = step.ins
    pairs = []
    for i in range(0, len(ins.value) - 1, 2):
        v = _expand(ins.value[i + 1], scope, escape)
        if v is None or "\1" in v:
            step.variable = True
            v = f"\1?{ins.index}\1"
        pairs.append((ins.value[i], v))
    step.kind, step.key = ENV, tuple(pairs)
    return pairs


def _workdir_step(step: _Step, scope: dict[str, str], workdir: str, escape: str) -> str:
    """The directory after the WORKDIR."""
    ins = step.ins
    v = _expand(ins.value[0], scope, escape) if ins.value else None
    if v is None or "\1" in v:
        step.variable = True
        workdir = f"\1?{ins.index}\1"
    else:
        workdir = _join(workdir, v)
    step.kind, step.key = WORKDIR, (workdir,)
    return workdir


def _copy_step(step: _Step, ins: Instruction, scope: dict[str, str], workdir: str, escape: str) -> None:
    srcs = [_known(step, raw, _expand(raw, scope, escape)) for raw in ins.value[:-1]]
    dest_raw = _known(step, ins.value[-1], _expand(ins.value[-1], scope, escape))
    is_dir = _into_directory(dest_raw, srcs)
    dest = _join(workdir, dest_raw)
    flags = tuple(sorted(f for f in ins.flags if not f.lower().startswith("--from=")))
    if ins.flag("from") is not None:
        step.kind = COPY_FROM
        step.key = ("from", ins.keyword, flags, tuple(srcs), dest, is_dir)
        step.dests = (dest,)
        return
    local = tuple(source_path(s) for s in srcs if not s.startswith("<<") and not is_remote(s))
    step.kind = COPY if not ins.heredocs and len(local) == len(srcs) else COPY_OTHER
    step.key = (ins.keyword, flags, local, dest, is_dir)
    step.dests = _destinations(local, dest) if is_dir else (dest,)


def _into_directory(dest: str, srcs: list[str]) -> bool:
    """Does the COPY write into `dest` as a directory (BuildKit: a trailing slash, `.`, or
    several sources or a wildcard)?"""
    return dest.endswith("/") or dest in (".", "..") or dest.endswith("/.") \
        or len(srcs) > 1 or any(has_wildcards(s) for s in srcs)


def _destinations(local: tuple[str, ...], dest: str) -> tuple[str, ...]:
    """Where the sources land in the directory `dest`: a file under its own name, a
    directory's contents (or a wildcard's matches) in `dest` itself."""
    return tuple(posixpath.join(dest, posixpath.basename(s)) if not _is_dir_source(s) else dest
                 for s in local) or (dest,)


def _known(step: _Step, raw: str, expanded: str | None) -> str:
    """The expanded word; the word as written (and the step marked variable) when its value
    depends on a build argument or cannot be known here."""
    if expanded is None or "\1" in expanded:
        step.variable = True
        return raw
    return expanded


def _is_dir_source(s: str) -> bool:
    return s == "" or has_wildcards(s)


def _flags_key(ins: Instruction) -> tuple[str, ...]:
    return tuple(sorted(ins.flags))
