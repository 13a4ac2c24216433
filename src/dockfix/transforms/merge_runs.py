"""merge-runs (hadolint DL3059): consecutive single-command RUNs become one, where the first
leaves no shell state and no process behind; comments kept with their commands, RUNs edited
often kept apart. What it does, when it must not fire and why it is equivalent:
transforms/merge-runs/README.md (the one place)."""

from __future__ import annotations

import posixpath
import re

from dockfix.model.packages import is_pip, read_system_packages
from dockfix.model.shell import Command, Script
from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _image_user, _merge, _run, _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

# Programs that change no shell state and finish without leaving a process behind (a daemon
# started in one RUN is stopped with it; merged, it would run on beside the next command).
_FINITE = frozenset({
    "mkdir", "rm", "rmdir", "cp", "mv", "ln", "chmod", "chown", "chgrp", "touch", "echo", "printf", "true",
    "false", "test", "[", ":", "sed", "tar", "unzip", "gzip", "gunzip", "curl", "wget", "useradd", "groupadd",
    "adduser", "addgroup", "usermod", "install", "ls", "cat", "tee", "sha256sum", "md5sum", "git", "pip", "pip3",
    "update-ca-certificates", "ldconfig", "locale-gen", "npm", "yarn", "corepack", "go", "cargo", "gem",
    "bundle", "composer", "mvn", "gradle", "make",
    # System configuration and build tools that finish when done: they start no service.
    "update-alternatives", "apt-key", "dpkg", "strip", "patch", "fc-cache", "cmake", "conda",
})


class Kept(str):
    """Why a single-command RUN is not merged with its neighbours (a skip note)."""


def single(doc: Document, ins: Instruction) -> tuple[Script, str | None] | Kept | None:
    """The RUN's script and its trailing comment when it is one command that merging keeps
    exact; a reason when hadolint would count it as one command but it is kept; else None."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    script = _run.run_script(doc, ins)
    if script is None or len(script.commands) != 1:
        return None
    if script.opaque:
        return Kept(f"part of it cannot be read exactly ({script.opaque[0].reason.value})")
    command = script.commands[0]
    why = _state_or_process(command)
    if why is not None:
        return Kept(why)
    if len(script.tree.body.items) != 1 or script.tree.body.items[0].background:
        return Kept("it runs in the background")
    comment = _trailing_comment(doc, ins, script)
    return comment if isinstance(comment, Kept) else (script, comment)


def _state_or_process(c: Command) -> str | None:
    name = c.argv[0].value if c.argv else None
    if name is None:
        return "its command name is unknown" if c.argv else "it only assigns variables, which a later command would see"
    base = posixpath.basename(name)
    if base in _FINITE or is_pip([w.value for w in c.argv]) or read_system_packages([w.value for w in c.argv]):
        return None
    return f"`{c.argv[0].text}` is not a program known to change no shell state and leave no process behind"


def _trailing_comment(doc: Document, ins: Instruction, script: Script) -> str | Kept | None:
    if not script.comment_at_end:
        return None
    tail = script.text[script.commands[-1].end:].strip(" \t")
    if not tail.startswith("#") or not _text.shell_body(doc, ins).endswith(tail):
        return Kept("its comment runs over a continuation line; merged, it would swallow the next command")
    return tail


class MergeRuns(DockerfileTransform):
    name = "merge-runs"
    summary = "Merge consecutive single-command RUNs into one RUN."
    safety = Safety.SAFE
    answers = "DL3059"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        reads: dict[int, tuple[Script, str | None]] = {}
        groups: list[list[Instruction]] = []
        for stage in doc.stages:
            groups += self._groups(ctx, path, doc, doc.stage_instructions(stage), reads)
        groups = _merge.split_hot(ctx, path, doc, groups)
        if not groups:
            return None
        ed, style = Editor(doc), _text.file_style(doc)
        changed = False
        for group in groups:
            changed |= _write(ctx, path, ed, doc, group, [reads[i.index] for i in group], style)
        return ed.apply() if changed else None

    @staticmethod
    def _groups(ctx: Context, path: str, doc: Document, members: list[Instruction],
                reads: dict[int, tuple[Script, str | None]]) -> list[list[Instruction]]:
        out: list[list[Instruction]] = []
        current: list[Instruction] = []
        for ins in members:
            read = _read(ctx, path, doc, ins, bool(current))
            if read is not None:
                reads[ins.index] = read
            if read is not None and _joins(doc, current, ins):
                current.append(ins)
                continue
            if len(current) > 1:
                out.append(current)
            current = [ins] if read is not None else []
        if len(current) > 1:
            out.append(current)
        return out


def _read(ctx: Context, path: str, doc: Document, ins: Instruction,
          after_single: bool) -> tuple[Script, str | None] | None:
    """The RUN's reading when it may merge; a refusal worth a note is reported (hadolint
    reports it, or the next RUN: both are one command)."""
    read = single(doc, ins) if not ctx.ignored(doc, ins) else None
    if read is not None and not isinstance(read, Kept) and not _root_or_no_package_manager(ctx, path, doc, ins, read):
        read = Kept("it runs a package manager as a user that may not be root (a root-only step stays as it is)")
    if isinstance(read, Kept):
        if after_single or _next_is_single(doc, ins):
            ctx.skip(path, ins.start_line, f"not merged: {read}")
        return None
    return read


def _joins(doc: Document, current: list[Instruction], ins: Instruction) -> bool:
    """Next to the group's last RUN (only comments between), with the same flags, and no
    pragma above it."""
    return (bool(current) and current[-1].index == ins.index - 1 and _merge.same_flags(current[-1], ins)
            and not _merge.has_pragma(_merge.comments_between(doc, current[-1], ins)))


def _root_or_no_package_manager(ctx: Context, path: str, doc: Document, ins: Instruction,
                                read: tuple[Script, str | None]) -> bool:
    """A package manager's install fails unless root: merged with other commands, such a RUN
    is judged a new root-only step. It merges only where the stage runs as root."""
    command = read[0].commands[0]
    if read_system_packages([w.value for w in command.argv]) is None:
        return True
    users = [i for i in doc.stage_instructions(doc.stages[ins.stage]) if i.keyword == "USER" and i.index < ins.index]
    if users:
        return _image_user.is_root(users[-1].value[0] if users[-1].value else "")
    return _image_user.start_user_of(ctx, path, ins.stage) == "root"


def _next_is_single(doc: Document, ins: Instruction) -> bool:
    """hadolint reports this RUN or the next one (both one command): a refusal is worth a note."""
    nxt = doc.instructions[ins.index + 1] if ins.index + 1 < len(doc.instructions) else None
    return nxt is not None and nxt.stage == ins.stage and single(doc, nxt) is not None


def _write(ctx: Context, path: str, ed: Editor, doc: Document, group: list[Instruction],
           reads: list[tuple[Script, str | None]], style: _text.Style) -> bool:
    keep = group[0]
    head = doc.text(keep).decode("utf-8", "surrogateescape")
    prefix = re.match(r"\s*\S+", head).group(0) + " " + "".join(f + " " for f in keep.flags)
    parts: list[tuple[list[str], str]] = []
    carried: list[str] = []
    for n, (ins, (_, comment)) in enumerate(zip(group, reads)):
        body = _text.shell_body(doc, ins)
        comments = carried + (_merge.comments_between(doc, group[n - 1], ins) if n else [])
        carried = []
        if comment is not None and n < len(group) - 1:
            body, carried = body[: len(body) - len(comment)].rstrip(" \t"), [comment]
        parts.append((comments, body))
    merged = _merge.join_commented(prefix, parts, style)
    if not _merge.runs_every_command(merged, len(group), reads[-1][1] is not None, doc.escape):
        ctx.skip(path, group[1].start_line, f"kept apart from the RUN at line {group[0].start_line}: "
                                            "the merged RUN would not run every command")
        return False
    _merge.write_consecutive(ed, doc, group, merged)
    return True
