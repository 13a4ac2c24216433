"""The state before every instruction of a Dockerfile, read from the file alone: one walk.

`state_before(doc, ins)` gives, for any instruction, what BuildKit's dispatcher holds when it
reaches it: the words scope (`model.words.Scope`), the working directory, the USER, the SHELL
and the chain of stages of this file it is built on (`FROM <earlier stage>`, matched by the
name as written). A stage built on an earlier stage starts from that stage's end, as
`dispatchState.init` does (`ds.state = ds.base.state`): its ENV and its ARGs (both are in the
llb state's env), WORKDIR, USER and SHELL. What the file does not say (the base image's env,
workdir and user) is unknown, never guessed.

Each stage is walked once per document (memoised, weakly, by document): every reader asks
here rather than walking WORKDIR/USER/SHELL/ENV itself. Ground truth: real buildah builds
whose probe RUNs print their directory, user, argv and environment
(`tests/build/test_stage_state_buildah.py`); where buildah 1.28 differs from BuildKit (an ARG
after an ENV of the same name, a parent stage's ARGs, `# escape=` in words) the walker says
what BuildKit's source does and the test names the difference.

Two readings of the words: `scope` takes an ARG's default as its value (a build that passes
no value; the prover compares both sides under it), `fixed_scope` does not (an ARG, and what
is made of one, is unknown: true for every build). `stage_scope`/`stage_fixed_scope` are the
same without what a parent stage set (the stage's own ARG/ENV over the global ARGs it
redeclares): the conservative reading `words.scope_before` has always given, which callers
keep where reading more would widen what they accept.
"""

from __future__ import annotations

import functools
import posixpath
import weakref
from dataclasses import dataclass, replace
from enum import Enum
from functools import cached_property

from dockfix.model.run import DEFAULT_SHELL
from dockfix.model.values import Binding, Value
from dockfix.model.words import Scope, apply, expand_word

__all__ = ["BaseImage", "StateBefore", "User", "Workdir", "WorkdirKind", "known_env", "parent_stage", "shell_before",
           "stage_chain", "state_at_end", "state_before"]


class WorkdirKind(Enum):
    KNOWN = "an absolute path"
    FROM_BASE = "relative to the base image's working directory"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Workdir:
    """The working directory. KNOWN: `path` is absolute, cleaned as BuildKit's NormalizeWorkdir
    (Go's path.Clean). FROM_BASE: no absolute WORKDIR in the file's chain; `path` is relative
    to the base image's working directory ("." for the base's own). UNKNOWN: `why`."""

    kind: WorkdirKind
    path: str = ""
    why: str = ""

    @property
    def known(self) -> str | None:
        return self.path if self.kind is WorkdirKind.KNOWN else None

    def resolve(self, base: str | None) -> str | None:
        """The absolute directory, given the base image's (None: not known)."""
        if self.kind is WorkdirKind.KNOWN:
            return self.path
        if self.kind is WorkdirKind.UNKNOWN or base is None:
            return None
        return go_clean(posixpath.join(base, self.path))

    def then(self, value: Value) -> "Workdir":
        """After `WORKDIR <value>`: relative to the current one (NormalizeWorkdir)."""
        text = value.text
        if text is None:
            return Workdir(WorkdirKind.UNKNOWN, why=f"WORKDIR {value.render()} is not known")
        if not text:
            return Workdir(WorkdirKind.UNKNOWN, why="WORKDIR is empty")
        if text.startswith("/"):
            return Workdir(WorkdirKind.KNOWN, go_clean(text))
        if self.kind is WorkdirKind.KNOWN:
            return Workdir(WorkdirKind.KNOWN, go_clean(posixpath.join(self.path, text)))
        if self.kind is WorkdirKind.FROM_BASE:
            return Workdir(WorkdirKind.FROM_BASE, posixpath.normpath(posixpath.join(self.path, text)))
        return self


BASE_WORKDIR = Workdir(WorkdirKind.FROM_BASE, ".")


def go_clean(path: str) -> str:
    """Go's path.Clean of an absolute path (POSIX normpath keeps a leading `//`, Go does not)."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


@dataclass(frozen=True)
class User:
    """The USER in force, as written: its word expanded (a name or uid, `:group` kept), and the
    USER instruction (index) that set it."""

    value: Value
    at: int

    @property
    def name(self) -> str | None:
        """The user part (before `:`), None when not known."""
        text = self.value.text
        return None if text is None else text.partition(":")[0]


@dataclass(frozen=True)
class StateBefore:
    """What holds before an instruction (see the module's docstring for the four scopes)."""

    stage: int  # -1: before the first FROM
    chain: tuple[int, ...]  # this stage, then the earlier stages of the file it is built on, nearest first
    scope: Scope
    fixed_scope: Scope
    stage_scope: Scope
    stage_fixed_scope: Scope
    workdir: Workdir  # under `scope`
    fixed_workdir: Workdir  # under `fixed_scope`
    workdir_at: int | None  # the WORKDIR instruction in force (None: none in the chain)
    user: User | None  # under `scope`; None: no USER in the chain (the base image's)
    shell: tuple[str, ...] | None  # None: a SHELL not in JSON form (BuildKit rejects it)

    @cached_property
    def file_env(self) -> dict[str, str]:
        """The variables the stage's own ENV sets for sure, to a value no build argument decides
        (`stage_fixed_scope`'s known bindings). Shared: do not change it."""
        return known_env(self.stage_fixed_scope)

    @cached_property
    def env(self) -> dict[str, str]:
        """The variables known under `scope` (ARG defaults as values). Shared: do not change it."""
        return known_env(self.scope)


def known_env(scope: Scope) -> dict[str, str]:
    """The variables `scope` binds, for sure, to a known value."""
    return {name: b.value.text for name, b in scope.bound.items() if not b.maybe_unset and b.value.text is not None}


@dataclass(frozen=True)
class BaseImage:
    """What the image a stage is FROM is known to hold, when another Dockerfile of the
    repository builds it (its own end state): its working directory (None: not known) and the
    variables known there. Every other name stays unknown (it may be set further down)."""

    workdir: str | None
    env: tuple[tuple[str, str], ...]


def state_before(doc, ins, base: BaseImage | None = None) -> StateBefore:
    """The state before `ins`, an instruction of `doc`; `base`: what the image the first stage
    of its chain is FROM holds (None: nothing known)."""
    if ins.stage < 0:
        return _walks(doc, base).global_state
    return _stage_walk(doc, ins.stage, base).states[ins.index]


def shell_before(doc, ins) -> tuple[str, ...] | None:
    """The SHELL in force before `ins` (`StateBefore.shell`, from the walk's first pass, which
    reads no word: most readers of a RUN need only this)."""
    if ins.stage < 0:
        return DEFAULT_SHELL
    return _frame(doc, ins.stage).shells[ins.index]


def stage_chain(doc, stage: int) -> tuple[int, ...]:
    """`StateBefore.chain` of the stage's instructions (the walk's first pass)."""
    return _frame(doc, stage).chain


def state_at_end(doc, stage: int, base: BaseImage | None = None) -> StateBefore:
    """The state after the stage's last instruction (what a stage built on it starts from)."""
    return _stage_walk(doc, stage, base).end


def parent_stage(doc, stage):
    """The earlier stage of this file that `stage` is FROM (by its name as written), if any."""
    base = stage.base.lower()
    return next((s for s in doc.stages[: stage.index] if s.name is not None and s.name == base), None)


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------

@dataclass
class _StageWalk:
    states: dict[int, StateBefore]  # instruction index -> the state before it
    end: StateBefore


@dataclass
class _DocWalks:
    defaults: Scope  # the global scope, with ARG defaults / without
    fixed: Scope
    base: BaseImage | None
    stages: dict[int, _StageWalk]

    @cached_property
    def global_state(self) -> StateBefore:
        d, f = self.defaults.stage(None), self.fixed.stage(None)
        return StateBefore(-1, (), d, f, d, f, BASE_WORKDIR, BASE_WORKDIR, None, None, DEFAULT_SHELL)


_WALKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _walks(doc, base: BaseImage | None) -> _DocWalks:
    per_doc = _WALKS.get(doc)
    if per_doc is None:
        per_doc = _WALKS[doc] = {}
    found = per_doc.get(base)
    if found is None:
        found = per_doc[base] = _DocWalks(*_global_scopes(tuple(w for a in doc.global_args() for w in a.value),
                                                          doc.escape), base, {})
    return found


@functools.lru_cache(maxsize=1024)
def _global_scopes(words: tuple[str, ...], escape: str) -> tuple[Scope, Scope]:
    """The global scope with ARG defaults and without (frozen: files with the same global
    ARGs, most often none, share them)."""
    names = [w.partition("=")[0] for w in words]
    return Scope.of_globals(words, None, escape), Scope.of_globals(names, None, escape)


def _stage_walk(doc, index: int, base: BaseImage | None) -> _StageWalk:
    walks = _walks(doc, base)
    found = walks.stages.get(index)
    if found is None:
        stage = doc.stages[index]
        parent = parent_stage(doc, stage)
        parent_walk = _stage_walk(doc, parent.index, base) if parent else None
        found = walks.stages[index] = _walk(doc, stage, walks, parent_walk)
    return found


@dataclass(frozen=True)
class _Frame:
    """The walk's first pass over a stage, which reads no word: the stages of the file it is
    built on (itself first), and the SHELL before each instruction and after the last (-1)."""

    chain: tuple[int, ...]
    shells: dict[int, tuple[str, ...] | None]


_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _frame(doc, index: int) -> _Frame:
    per_doc = _FRAMES.get(doc)
    if per_doc is None:
        per_doc = _FRAMES[doc] = {}
    found = per_doc.get(index)
    if found is None:
        stage = doc.stages[index]
        parent = parent_stage(doc, stage)
        up = _frame(doc, parent.index) if parent is not None else None
        shell = up.shells[-1] if up is not None else DEFAULT_SHELL
        shells: dict[int, tuple[str, ...] | None] = {}
        for i in stage.instructions:
            shells[i] = shell
            ins = doc.instructions[i]
            if ins.keyword == "SHELL":
                shell = tuple(ins.value) if ins.json else None
        shells[-1] = shell
        found = per_doc[index] = _Frame((index, *up.chain) if up is not None else (index,), shells)
    return found


class _Walker:
    """The running state over one stage's instructions."""

    def __init__(self, doc, stage, walks: _DocWalks, parent: _StageWalk | None) -> None:
        self.escape = doc.escape
        own = walks.defaults.stage(None)
        own_fixed = _bound_as(walks.fixed.stage(None), own)  # the same bindings until an ARG
        self.own, self.own_fixed = own, own_fixed
        if parent is None:
            self.scope = _on_base(own, walks.base)
            self.fixed = _bound_as(own_fixed, self.scope)
            known = walks.base.workdir if walks.base is not None else None
            self.workdir = self.fixed_workdir = BASE_WORKDIR if known is None else Workdir(WorkdirKind.KNOWN, known)
            self.workdir_at: int | None = None
            self.user: User | None = None
        else:
            # dispatchState.init: the stage starts from its base stage's llb state, ARGs included
            end = parent.end
            self.scope, self.fixed = end.scope, end.fixed_scope
            self.workdir, self.fixed_workdir, self.workdir_at = end.workdir, end.fixed_workdir, end.workdir_at
            self.user = end.user
        frame = _frame(doc, stage.index)
        self.chain, self.shells = frame.chain, frame.shells
        self.shell = self.shells[stage.from_index]
        self.inherits = parent is not None or walks.base is not None
        self.current: StateBefore | None = None

    def state(self, stage: int) -> StateBefore:
        if self.current is None:
            self.current = StateBefore(stage, self.chain, self.scope, self.fixed, self.own, self.own_fixed,
                                       self.workdir, self.fixed_workdir, self.workdir_at, self.user, self.shell)
        return self.current

    def step(self, ins) -> None:
        keyword = ins.keyword
        if keyword in ("ARG", "ENV"):
            self._words(ins)
        elif keyword == "WORKDIR":
            word = ins.value[0] if ins.value else ""
            self.workdir = self.workdir.then(expand_word(word, self.scope, self.escape))
            self.fixed_workdir = self.fixed_workdir.then(expand_word(word, self.fixed, self.escape))
            self.workdir_at = ins.index
        elif keyword == "USER":
            self.user = User(expand_word(ins.value[0] if ins.value else "", self.scope, self.escape), ins.index)
        elif keyword == "SHELL":
            self.shell = self.shells[ins.index + 1] if ins.index + 1 in self.shells else self.shells[-1]
        else:
            return
        self.current = None

    def _words(self, ins) -> None:
        self.own, self.own_fixed = _apply_both(self.own, self.own_fixed, ins, self.escape)
        if self.inherits:
            self.scope, self.fixed = _apply_both(self.scope, self.fixed, ins, self.escape)
        else:
            self.scope, self.fixed = self.own, self.own_fixed


def _bound_as(scope: Scope, like: Scope) -> Scope:
    """`scope` with the bindings of `like` (the same objects: `_apply_both` then reads them once)."""
    return Scope(like.bound, like.unbound, scope.build_args, scope.globals, scope.args_complete)


def _apply_both(scope: Scope, fixed: Scope, ins, escape: str) -> tuple[Scope, Scope]:
    """An ARG or ENV applied to a scope with ARG defaults and to one without. While both hold
    the same bindings (no ARG has split them), an ENV reads the same in both: read once."""
    if ins.keyword == "ENV" and fixed.bound is scope.bound and fixed.unbound is scope.unbound:
        after = apply(scope, "ENV", ins.value, escape)
        return after, _bound_as(fixed, after)
    names = tuple(w.partition("=")[0] for w in ins.value) if ins.keyword == "ARG" else ins.value
    return apply(scope, ins.keyword, ins.value, escape), apply(fixed, ins.keyword, names, escape)


def _on_base(scope: Scope, base: BaseImage | None) -> Scope:
    """A stage's scope at FROM an image whose env is partly known (other names stay unknown)."""
    if base is None or not base.env:
        return scope
    return replace(scope, bound={name: Binding(Value.known(text)) for name, text in base.env})


def _walk(doc, stage, walks: _DocWalks, parent: _StageWalk | None) -> _StageWalk:
    walker = _Walker(doc, stage, walks, parent)
    states: dict[int, StateBefore] = {}
    for index in stage.instructions:
        ins = doc.instructions[index]
        states[index] = walker.state(stage.index)
        if index != stage.from_index:
            walker.step(ins)
    return _StageWalk(states, walker.state(stage.index))
