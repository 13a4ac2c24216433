"""How transforms read a RUN: through the model (`run_execution`, then `read_script`), never
with a shell reader of their own. What the builder would hand to something other than a POSIX
shell (exec form, a `#!` heredoc, a SHELL that is not sh-like) has no script here: None."""

from __future__ import annotations

import bisect
import weakref

from dockfix.model.run import DEFAULT_SHELL, RunExecution, run_execution
from dockfix.model.shell import Script, read_script
from dockfix.model.words import Scope, apply
from dockfix.syntax import Document, Instruction, Stage


def shell_at(doc: Document, ins: Instruction) -> tuple[str, ...] | None:
    """The SHELL in force for `ins`: the last SHELL of its stage before it, else its parent
    stage's (a stage FROM an earlier stage of this file), else the default. None when a SHELL
    cannot be read (not JSON)."""
    if ins.stage < 0:
        return DEFAULT_SHELL
    return _stage_shell(doc, doc.stages[ins.stage], ins.index)


def _stage_shell(doc: Document, stage: Stage, before: int) -> tuple[str, ...] | None:
    shells = _shells(doc, stage)
    at = bisect.bisect_left(shells, (before,)) - 1
    if at >= 0:
        return shells[at][1]
    base = stage.base.lower()
    for earlier in doc.stages[: stage.index]:
        if earlier.name is not None and earlier.name == base:
            return _stage_shell(doc, earlier, earlier.instructions[-1] + 1)
    return DEFAULT_SHELL


# Per document and stage: (instruction index, SHELL) in order; one scan per stage, not per RUN.
_SHELLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shells(doc: Document, stage: Stage) -> list[tuple[int, tuple[str, ...] | None]]:
    per_doc = _SHELLS.setdefault(doc, {})
    found = per_doc.get(stage.index)
    if found is None:
        found = per_doc[stage.index] = [
            (i, tuple(doc.instructions[i].value) if doc.instructions[i].json else None)
            for i in stage.instructions if doc.instructions[i].keyword == "SHELL"]
    return found


def execution(doc: Document, ins: Instruction) -> RunExecution | None:
    shell = shell_at(doc, ins)
    return None if shell is None else run_execution(ins, shell)


def run_script(doc: Document, ins: Instruction, workdir: str | None = "/",
               env: dict[str, str] | None = None) -> Script | None:
    """The script a POSIX shell reads for this RUN, read by the model; None when no POSIX
    shell reads it."""
    ex = execution(doc, ins)
    if ex is None or not ex.posix_shell or ex.script is None:
        return None
    return read_script(ex.script, workdir=workdir, env=env)


def file_env(doc: Document, ins: Instruction) -> dict[str, str]:
    """The variables the file's ENV sets for `ins` to a value no build argument decides, as
    BuildKit puts them in a RUN's environment (`model.words.scope_before` without ARG
    defaults: an ARG, and what is made of one, is unknown; the base image's env is not read).
    One pass per stage, then a lookup per instruction."""
    if ins.stage < 0:
        return {}
    per_doc = _ENVS.setdefault(doc, {})
    table = per_doc.get(ins.stage)
    if table is None:
        table = per_doc[ins.stage] = _env_table(doc, doc.stages[ins.stage])
    at = bisect.bisect_left(table, (ins.index,)) - 1
    return table[at][1] if at >= 0 else {}


_ENVS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _env_table(doc: Document, stage: Stage) -> list[tuple[int, dict[str, str]]]:
    """(index of an ENV or ARG, the known environment after it) in order: scope_before's walk."""
    globals_ = [w.partition("=")[0] for a in doc.global_args() for w in a.value]
    scope: Scope = Scope.of_globals(globals_, None, doc.escape).stage(None)
    out: list[tuple[int, dict[str, str]]] = []
    for k in stage.instructions[1:]:
        other = doc.instructions[k]
        if other.keyword not in ("ENV", "ARG"):
            continue
        words = tuple(w.partition("=")[0] for w in other.value) if other.keyword == "ARG" else other.value
        scope = apply(scope, other.keyword, words, doc.escape)
        out.append((other.index, {name: b.value.text for name, b in scope.bound.items()
                                  if not b.maybe_unset and b.value.text is not None}))
    return out
