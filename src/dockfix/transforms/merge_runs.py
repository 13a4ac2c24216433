"""merge-runs (hadolint DL3059): consecutive single-command RUNs become one, where every RUN but
the last leaves no shell state and no process behind (`model.finite`); comments kept with their
commands, RUNs edited often kept apart. What it does, when it must not fire and why it is equivalent:
transforms/merge-runs/README.md (the one place)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockfix.model import shell_tree as syn
from dockfix.model.bases import windows_image
from dockfix.model.finite import leaves_behind
from dockfix.model.shell import Script
from dockfix.model.stage_state import state_before
from dockfix.model.system_packages import read_system_packages
from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _image_user, _merge, _run, _text
from dockfix.transforms._run_words import words_known
from dockfix.transforms.base import Context, DockerfileTransform, Safety


class Kept(str):
    """Why a RUN hadolint counts as one command stays out of every merged RUN (a skip note)."""


@dataclass(frozen=True)
class Member:
    """A RUN hadolint counts as one command, read exactly: it may join a merged RUN."""

    script: Script
    comment: str | None  # its trailing comment
    last_only: str | None  # why no command may follow it in one shell (what it may leave behind); None: any may
    # Its one command is a builtin that only changes the shell's state (`cd dir`, `export X=1`):
    # merged, it runs in a subshell `( … )`, whose state ends with it as the RUN's did.
    confined: bool = False


def single(doc: Document, ins: Instruction) -> Member | Kept | None:
    """The RUN as a member of a merged RUN when it is one command as hadolint counts them (a
    `[ … ]` test is not counted) in one `&&` list; a reason when hadolint counts it as one but
    it stays out; else None."""
    script = _shell_run(doc, ins)
    if script is None or sum(c.name not in _TESTS for c in script.commands) != 1:
        return None
    if script.opaque:
        return Kept(f"part of it cannot be read exactly ({script.opaque[0].reason.value})")
    items = script.tree.body.items
    if items and items[-1].background:
        return Kept("it runs in the background")
    if not _one_and_list(script):
        return None
    why = next((w for w in (leaves_behind(c.args) for c in script.commands) if w is not None), None)
    confined = len(script.commands) == 1 and script.commands[0].name in _CONFINABLE and words_known(script.commands[0])
    comment = _trailing_comment(doc, ins, script)
    if isinstance(comment, Kept):
        return comment
    return Member(script, comment, None, True) if confined else Member(script, comment, why)


def _shell_run(doc: Document, ins: Instruction) -> Script | None:
    """A shell-form RUN without heredocs, read by the shell reader."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    return _run.run_script(doc, ins)


# Builtins whose only effect is the shell's state and that start no process: in a subshell
# that state ends with it (not exec, eval, `.`, trap, exit: they act beyond their own state).
_CONFINABLE = frozenset({"cd", "export", "unset", "umask", "set", "alias", "unalias", "readonly", "hash"})
# hadolint (ShellCheck) does not count a `[ … ]` test as a command.
_TESTS = frozenset({"[", "[["})


def _one_and_list(script: Script) -> bool:
    """One `a && b` list of simple commands and `if`s: not `a; b`, nor `a || b` (joined after
    another command by `&&`, it would read otherwise), nor a loop."""
    items = script.tree.body.items
    return (len(items) == 1 and all(op is syn.Connector.AND for op, _ in items[0].body.rest)
            and _plain_list(script.tree.body))


def _plain_list(body: syn.CommandList) -> bool:
    """Simple commands and `if`s only, nothing in the background: no loop variable, function or
    subshell for `model.finite` to miss."""
    for item in body.items:
        if item.background:
            return False
        for _, pipeline in ((None, item.body.first), *item.body.rest):
            for node in pipeline.commands:
                if type(node) is syn.If:
                    lists = [x for clause in node.clauses for x in clause] + [node.else_body] * bool(node.else_body)
                    if not all(_plain_list(x) for x in lists):
                        return False
                elif type(node) is not syn.SimpleCommand:
                    return False
    return True


def _trailing_comment(doc: Document, ins: Instruction, script: Script) -> str | Kept | None:
    if not script.comment_at_end:
        return None
    tail = script.text[script.tree.body.items[-1].end:].strip(" \t")
    if not tail.startswith("#") or not _text.shell_body(doc, ins).endswith(tail):
        return Kept("its comment runs over a continuation line; merged, it would swallow the next command")
    return tail


class MergeRuns(DockerfileTransform):
    name = "merge-runs"
    summary = "Merge consecutive single-command RUNs into one RUN."
    safety = Safety.SAFE
    answers = "DL3059"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        reads: dict[int, Member] = {}
        groups: list[list[Instruction]] = []
        for stage in doc.stages:
            groups += _groups(ctx, path, doc, doc.stage_instructions(stage), reads)
        groups = _merge.split_hot(ctx, path, doc, groups)
        if not groups:
            return None
        ed, style = Editor(doc), _text.file_style(doc)
        changed = False
        for group in groups:
            changed |= _write(ctx, path, ed, doc, group, [reads[i.index] for i in group], style)
        return ed.apply() if changed else None


def _groups(ctx: Context, path: str, doc: Document, members: list[Instruction],
            reads: dict[int, Member]) -> list[list[Instruction]]:
    """Runs of consecutive members; a member that may leave something behind only ends one."""
    out: list[list[Instruction]] = []
    current: list[Instruction] = []
    for ins in members:
        read = _read(ctx, path, doc, ins, bool(current))
        if read is not None:
            reads[ins.index] = read
        if read is not None and _joins(doc, current, ins) and reads[current[-1].index].last_only is None:
            current.append(ins)
            continue
        if len(current) > 1:
            out.append(current)
        current = [ins] if read is not None else []
    if len(current) > 1:
        out.append(current)
    return out


def _read(ctx: Context, path: str, doc: Document, ins: Instruction, after_single: bool) -> Member | None:
    """The RUN as a member when it may merge; a refusal worth a note is reported (hadolint
    reports it, or the next RUN: both are one command)."""
    read = single(doc, ins) if not ctx.ignored(doc, ins) else None
    if read is not None and ins.stage >= 0 and (windows_image(doc.stages[ins.stage].base)
                                                 or windows_image(_image_user.resolved_base(ctx, path, ins.stage))):
        read = Kept("the stage's base is a Windows image: cmd reads its RUNs, and dockfix reads only sh")
    if isinstance(read, Member) and not _root_or_no_package_manager(ctx, path, doc, ins, read):
        read = Kept("it runs a package manager as a user that may not be root (a root-only step stays as it is)")
    if isinstance(read, Kept):
        if after_single or _next_is_single(doc, ins):
            ctx.skip(path, ins.start_line, f"not merged: {read}")
        return None
    if read is not None and read.last_only is not None and _next_is_single(doc, ins):
        ctx.skip(path, ins.start_line, f"not merged with the RUN after it: {read.last_only}")
    return read


def _joins(doc: Document, current: list[Instruction], ins: Instruction) -> bool:
    """Next to the group's last RUN (only comments between), with the same flags, and no
    pragma above it."""
    return (bool(current) and current[-1].index == ins.index - 1 and _merge.same_flags(current[-1], ins)
            and not _merge.has_pragma(_merge.comments_between(doc, current[-1], ins)))


def _root_or_no_package_manager(ctx: Context, path: str, doc: Document, ins: Instruction, read: Member) -> bool:
    """A package manager's install fails unless root: merged with other commands, such a RUN
    is judged a new root-only step. It merges only where the stage runs as root."""
    if all(read_system_packages(c.args) is None for c in read.script.commands):
        return True
    user = state_before(doc, ins).user  # the USER in force in this file (its stage, or one it is FROM)
    if user is not None:
        written = doc.instructions[user.at]
        return _image_user.is_root(written.value[0] if written.value else "")
    return _image_user.start_user_of(ctx, path, ins.stage) == "root"


def _next_is_single(doc: Document, ins: Instruction) -> bool:
    """hadolint reports this RUN or the next one (both one command): a refusal is worth a note."""
    nxt = doc.instructions[ins.index + 1] if ins.index + 1 < len(doc.instructions) else None
    return nxt is not None and nxt.stage == ins.stage and single(doc, nxt) is not None


def _write(ctx: Context, path: str, ed: Editor, doc: Document, group: list[Instruction],
           reads: list[Member], style: _text.Style) -> bool:
    keep = group[0]
    head = doc.text(keep).decode("utf-8", "surrogateescape")
    prefix = re.match(r"\s*\S+", head).group(0) + " " + "".join(f + " " for f in keep.flags)
    parts: list[tuple[list[str], str]] = []
    carried: list[str] = []
    for n, (ins, read) in enumerate(zip(group, reads)):
        body, comment = _text.shell_body(doc, ins), read.comment
        comments = carried + (_merge.comments_between(doc, group[n - 1], ins) if n else [])
        carried = []
        if comment is not None and n < len(group) - 1:
            body, carried = body[: len(body) - len(comment)].rstrip(" \t"), [comment]
        if read.confined and n < len(group) - 1:
            body = f"( {body} )"
        parts.append((comments, body))
    merged = _merge.join_commented(prefix, parts, style)
    expected = sum(len(r.script.commands) for r in reads)
    if not _merge.runs_every_command(merged, expected, reads[-1].comment is not None, doc.escape):
        ctx.skip(path, group[1].start_line, f"kept apart from the RUN at line {group[0].start_line}: "
                                            "the merged RUN would not run every command")
        return False
    _merge.write_consecutive(ed, doc, group, merged)
    return True
