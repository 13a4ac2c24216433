"""Word-level edits of shell-form RUNs, read only through the model (shared by the lint fixes).

A RUN is edited at the source span of a word the shell reader (`model.shell.read_script`) found.
The script is the RUN's logical line (continuations folded), so each script offset is mapped back
to the file's bytes by aligning the logical line with the physical lines; every edit is then
checked by re-parsing the file: the edited RUN's script must be exactly the script with the
intended edit, and nothing else in the file may change. Any doubt is a refusal with a reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dockfix.model.run import DEFAULT_SHELL, RunExecution, RunForm, run_execution
from dockfix.model.shell import Command, OpaqueReason, Script, read_script
from dockfix.model.venv import venvs_at
from dockfix.transforms._run import file_env, shell_at
from dockfix.syntax import Document, Instruction, parse
from dockfix.syntax.edit import changes_only


class Refusal(enum.Enum):
    NOT_SHELL = "not a shell-form RUN without heredocs"
    SHELL_INSTRUCTION = ("the SHELL in force is not /bin/sh, nor bash with status options only (-e, -o pipefail; -u in a script without `$`) "
                         "and no startup variable (BASH_ENV, SHELLOPTS) set by the file")
    OPAQUE = "part of the script cannot be read exactly"
    UNALIGNED = "the script's words could not be located in the file's lines"


@dataclass(frozen=True)
class RunScript:
    ins: Instruction
    script: Script


@dataclass(frozen=True)
class WordEdit:
    """Replace script[start:end] with `text` (start == end: an insertion)."""

    start: int
    end: int
    text: str


def read_run(doc: Document, ins: Instruction, dialect: bool = False) -> RunScript | Refusal:
    """The RUN's script as /bin/sh reads it (or bash, when the SHELL in force runs it as sh
    would: `RunExecution.reads_as_sh`), or why it is not read. With `dialect`, a part that
    bash or ash reads otherwise than dash (`OpaqueReason.DIALECT`) does not stop the reading:
    it stays in the script's `opaque`, for a caller whose edit holds whichever shell runs it."""
    execution = _execution(doc, ins)
    if isinstance(execution, Refusal):
        return execution
    script = read_with_env(doc, ins, execution.script)
    unread = [o for o in script.opaque if not (dialect and o.reason is OpaqueReason.DIALECT)]
    if unread or script.comment_at_end or _bash_keyword(execution.shell, script):
        return Refusal.OPAQUE
    return RunScript(ins, script)


def _execution(doc: Document, ins: Instruction) -> RunExecution | Refusal:
    """What runs the RUN's script, when a shell reads it as sh does; else why not."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return Refusal.NOT_SHELL
    shell = shell_at(doc, ins)
    if shell is None:
        return Refusal.SHELL_INSTRUCTION
    execution = run_execution(ins, shell)
    if execution.form is not RunForm.SHELL or execution.script is None:
        return Refusal.NOT_SHELL
    if not execution.reads_as_sh or shell != DEFAULT_SHELL and _bash_startup(doc):
        return Refusal.SHELL_INSTRUCTION
    return execution


def _bash_keyword(shell: tuple[str, ...], script: Script) -> bool:
    """Under bash, a command sh names `function`, `select` or `coproc`: bash reads a compound
    command there (`function apt { …; }` defines `apt`)."""
    return shell != DEFAULT_SHELL and any(c.name in _BASH_KEYWORDS for c in script.commands)


def read_with_env(doc: Document, ins: Instruction, text: str) -> Script:
    """The script of `ins`; read again with the values the file's ENV sets for the RUN when a
    word with a variable is unknown without them (`apk add $SS_DEP`), or with the venvs the
    stage made when it sources a file (`. .venv/bin/activate`). An edited RUN is read back
    the same way."""
    script = read_script(text, workdir=None)
    if "$" in text and any(w.value is None and "$" in w.text for c in script.commands for w in c.argv):
        script = read_script(text, workdir=None, env=file_env(doc, ins))
    if any(o.detail == "." for o in script.opaque):  # `. DIR/bin/activate` of a venv the stage made
        venvs = venvs_at(doc, ins)
        if venvs.dirs:
            script = read_script(text, workdir=venvs.workdir, venvs=venvs.dirs)
    return script


# What bash (not sh) reads from its environment before the script: a file it sources, options,
# functions (`BASH_FUNC_name%%`).
_BASH_STARTUP = ("BASH_ENV", "SHELLOPTS", "BASHOPTS", "POSIXLY_CORRECT", "BASH_FUNC_")
# bash's reserved words that sh reads as a command name: `function apt { …; }` defines `apt`.
_BASH_KEYWORDS = frozenset({"function", "select", "coproc"})


def _bash_startup(doc: Document) -> bool:
    """An ENV or ARG of the file may set a variable bash reads at startup."""
    return any(i.keyword in ("ENV", "ARG") and any(n in i.original for n in _BASH_STARTUP) for i in doc.instructions)


def ends_a_word(cmd: Command, i: int) -> bool:
    """argv[i] is the last field of its word: an insertion at its end lands right after it (a
    word the shell splits, `$APK_ADD`, is several fields of one span)."""
    return i + 1 >= len(cmd.argv) or cmd.argv[i + 1].start != cmd.argv[i].start


def words_known(cmd: Command) -> bool:
    return all(w.value is not None for w in cmd.argv) and all(a.value.value is not None for a in cmd.assignments)


def command_env(cmd: Command) -> dict[str, str | None]:
    """What the command's environment holds as far as the script tells: exported variables and
    the command's own `NAME=value` prefixes."""
    env = dict(cmd.env)
    env.update({a.name: a.value.value for a in cmd.assignments})
    return env


def _align(logical: str, physical: str) -> list[int] | None:
    """For each character of `logical`, its index in `physical` (greedy: BuildKit's folding only
    removes characters — escaped newlines, comment and blank lines inside continuations)."""
    out: list[int] = []
    j = 0
    for ch in logical:
        while j < len(physical) and physical[j] != ch:
            j += 1
        if j == len(physical):
            return None
        out.append(j)
        j += 1
    return out


def edit_run(doc: Document, run: RunScript, edits: list[WordEdit]) -> bytes | Refusal:
    """The file with `edits` made in the RUN's own lines, checked by re-parsing."""
    ins = run.ins
    text = doc.data[ins.start:ins.end].decode("utf-8", "surrogateescape")
    script = ins.value[0]
    at = ins.original.rfind(script)
    mapping = _align(ins.original, text)
    if at < 0 or mapping is None:
        return Refusal.UNALIGNED
    new_text, new_script = text, script
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        p_start = mapping[at + e.start] if e.start < len(script) else mapping[at + e.start - 1] + 1
        p_end = mapping[at + e.end - 1] + 1 if e.end > e.start else p_start
        if e.end > e.start and text[p_start:p_end] != script[e.start:e.end]:
            return Refusal.UNALIGNED
        new_text = new_text[:p_start] + e.text + new_text[p_end:]
        new_script = new_script[:e.start] + e.text + new_script[e.end:]
    data = doc.data[:ins.start] + new_text.encode("utf-8", "surrogateescape") + doc.data[ins.end:]
    return data if _checks(doc, ins, data, new_script) else Refusal.UNALIGNED


def _checks(doc: Document, ins: Instruction, data: bytes, new_script: str) -> bool:
    return changes_only(doc, data, ins.index, ("RUN", ins.flags, (new_script,), False, ()))


def fix_runs(ctx, path: str, doc: Document, mentions: str, per_command, dialect: bool = False) -> bytes | None:
    """Each RUN of `doc` edited at the words `per_command(cmd, ins, script)` asks for: it returns
    a WordEdit, a reason to skip (str, reported), or None (nothing to do). A RUN not read is
    reported when its text `mentions` the program (`dialect`: see `read_run`). Returns the new
    file, None when unchanged."""
    changed = False
    for index in range(len(doc.instructions)):
        ins = doc.instructions[index]
        if ins.keyword != "RUN" or ctx.ignored(doc, ins):
            continue
        run = read_run(doc, ins, dialect)
        if isinstance(run, Refusal):
            if mentions in ins.original:
                ctx.skip(path, ins.start_line, f"RUN not read: {run.value}")
            continue
        edits = []
        for cmd in run.script.commands:
            found = per_command(cmd, ins, run.script) if cmd.argv else None
            if isinstance(found, str):
                ctx.skip(path, ins.start_line, found)
            elif found is not None:
                edits.append(found)
        new = edit_run(doc, run, edits) if edits else None
        if isinstance(new, Refusal):
            ctx.skip(path, ins.start_line, f"RUN not edited: {new.value}")
        elif new is not None:
            doc, changed = parse(new), True
    return doc.data if changed else None
