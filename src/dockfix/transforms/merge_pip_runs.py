"""merge-pip-runs: consecutive RUN layers that only run pip become one RUN (hadolint DL3059
for pip RUNs), comments kept with their commands, RUNs edited often kept apart. What it does,
when it must not fire and why it is equivalent: transforms/merge-pip-runs/README.md (the one
place)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockfix.model.packages import PipAction, PipCommand, PipFront, read_pip
from dockfix.model.shell import Script
from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _merge, _run, _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_SYSTEM_DIRS = ("/usr", "/root", "/home", "/opt", "/etc", "/bin", "/sbin", "/lib", "/var", "/")
_UPGRADE_ONLY = frozenset({"pip", "setuptools", "wheel"})


@dataclass(frozen=True)
class PipRun:
    """A RUN that only runs pip, as the model reads it."""

    uv: bool  # every command is `uv pip`/`uv sync` (else every one is pip itself)
    versions: frozenset[str]  # the interpreter versions its launchers name ("3.11"; none for `pip`)
    user_sites: frozenset[bool]  # whether its installs go to the user site (`--user`)
    upgrade_only: bool  # only upgrades pip/setuptools/wheel: reads no file of the build context
    comment: str | None  # a comment after the last command (`# web`), as written
    commands: int


class NotPip(str):
    """Why a RUN that runs pip is still not merged (a skip note); a plain non-pip RUN is None."""


def pip_run(doc: Document, ins: Instruction) -> PipRun | NotPip | None:
    """The RUN's reading when it is a plain `a && b` list of pip commands; else None, or a
    `NotPip` reason worth a note."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    script = _run.run_script(doc, ins)
    if script is None or script.and_list is None or script.opaque:
        return None
    reads = _pip_reads(script)
    if reads is None:
        return None
    uv = {r.front in (PipFront.UV_PIP, PipFront.UV_SYNC) for r in reads}
    if len(uv) != 1:
        return None  # uv's pip and pip itself in one RUN: it merges with neither
    comment = _trailing_comment(doc, ins, script)
    if isinstance(comment, NotPip):
        return comment
    return PipRun(uv.pop(), _versions(reads), frozenset(bool(r.user_site) for r in reads),
                  all(_upgrades_pip_only(r) for r in reads), comment, len(reads))


def _versions(reads: list[PipCommand]) -> frozenset[str]:
    return frozenset(r.version for r in reads if r.version)


def _pip_reads(script: Script) -> list[PipCommand] | None:
    """pip's exact reading of every command, or None (not pip, an assignment or redirection in
    front of it, an option pip does not have, an unknown word where an option may stand)."""
    reads = []
    for c in script.commands:
        r = read_pip(c.args)
        if r is None or c.assignments or c.redirections or not r.exact or r.unknown_options:
            return None
        reads.append(r)
    return reads or None


def _trailing_comment(doc: Document, ins: Instruction, script: Script) -> str | NotPip | None:
    """The comment after the last command, when it sits on the RUN's last line."""
    if not script.comment_at_end:
        return None
    tail = script.text[script.commands[-1].end:].strip(" \t")
    if not tail.startswith("#"):
        return NotPip("its command line ends in text the shell reader cannot place")
    if not _text.shell_body(doc, ins).endswith(tail):
        return NotPip(f"its comment `{tail}` runs over a continuation line; after a merge it "
                      "would swallow the commands that follow it")
    return tail


def _upgrades_pip_only(r: PipCommand) -> bool:
    if r.action is not PipAction.INSTALL or r.value("upgrade") is not True:
        return False
    if r.requirement_files or r.constraint_files or r.editables:
        return False
    names = [re.split(r"[<>=!~\[;@ ]", w or "", maxsplit=1)[0].lower() for w in r.requirements]
    return bool(names) and set(names) <= _UPGRADE_ONLY


def mergeable(a: PipRun, b: PipRun, first: Instruction, ins: Instruction) -> bool:
    """Same RUN flags, same tool (uv's pip with uv's pip only), one interpreter version at most
    (`python3 -m pip` and `python3.11 -m pip` never share a RUN), one site (a system install
    and a `--user` one stay apart: root-swap and non-root move whole RUNs between users, and a
    RUN installing into both sites could run as neither; upgrading pip itself joins either, as
    seed 000's plan does)."""
    one_site = a.upgrade_only or b.upgrade_only or len(a.user_sites | b.user_sites) <= 1
    return (a.uv == b.uv and len(a.versions | b.versions) <= 1 and one_site
            and _merge.same_flags(first, ins))


def _joined(group: PipRun, read: PipRun) -> PipRun:
    """What a group reads as once `read`'s RUN joins it, as one RUN would on a second pass (an
    upgrade-only group stays one)."""
    return PipRun(read.uv, group.versions | read.versions, group.user_sites | read.user_sites,
                  group.upgrade_only and read.upgrade_only, None, 0)


class MergePipRuns(DockerfileTransform):
    name = "merge-pip-runs"
    summary = "Merge consecutive RUN layers that only run pip into one RUN."
    safety = Safety.SAFE
    answers = "hadolint DL3059 (multiple consecutive RUN instructions)"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        ed = Editor(doc)
        style = _text.file_style(doc)
        changed = False
        for stage in doc.stages:
            members = doc.stage_instructions(stage)
            grouper = _Grouper(ctx, path, doc)
            for group in _merge.split_hot(ctx, path, doc, grouper.groups(members)):
                reads = [grouper.reads[i.index] for i in group]
                changed |= self._merge(ctx, path, ed, doc, group, reads, style)
        return ed.apply() if changed else None

    def _merge(self, ctx: Context, path: str, ed: Editor, doc: Document, group: list[Instruction],
               reads: list[PipRun], style: _text.Style) -> bool:
        hoist = any(doc.instructions[i].keyword in ("COPY", "ADD")
                    for i in range(group[0].index + 1, group[-1].index))
        keep = group[-1] if hoist else group[0]
        head = doc.text(keep).decode("utf-8", "surrogateescape")
        prefix = re.match(r"\s*\S+", head).group(0) + " " + "".join(f + " " for f in keep.flags)
        parts = _parts(doc, group, reads, with_comments=not hoist)
        merged = _merge.join_commented(prefix, parts, style)
        if not _merge.runs_every_command(merged, sum(r.commands for r in reads), reads[-1].comment is not None,
                                         doc.escape):
            ctx.skip(path, group[1].start_line,
                     f"kept apart from the pip RUN at line {group[0].start_line}: "
                     "the merged RUN would not run every command")
            return False
        if hoist:
            _write_hoist(ed, doc, group, merged)
        else:
            _merge.write_consecutive(ed, doc, group, merged)
        return True


def _parts(doc: Document, group: list[Instruction], reads: list[PipRun],
           with_comments: bool) -> list[tuple[list[str], str]]:
    """Each RUN's command text with the comment lines that go before it in the merged RUN:
    the comments between it and the previous RUN, after the previous RUN's own trailing
    comment (`a  # web && b` would be one comment, so it leaves the command line)."""
    parts: list[tuple[list[str], str]] = []
    carried: list[str] = []
    for n, (ins, read) in enumerate(zip(group, reads)):
        body = _text.shell_body(doc, ins)
        comments = carried + (_merge.comments_between(doc, group[n - 1], ins) if n and with_comments else [])
        if read.comment is not None and n < len(group) - 1:
            body = body[: len(body) - len(read.comment)].rstrip(" \t")
            carried = [read.comment]
        else:
            carried = []
        parts.append((comments, body))
    return parts


def _write_hoist(ed: Editor, doc: Document, group: list[Instruction], merged: str) -> None:
    """The upgrade moves into the last RUN; the kept RUN's own comment block stays where it
    is, under the moved ones."""
    keep = group[-1]
    moved_comments = "".join(_text.comment_block(doc, i) for i in group[:-1])
    first = doc.leading_comment_start(keep)
    own = _text.comment_block(doc, keep)
    ed.replace(keep, moved_comments + own + merged, from_line=first if own else None)
    for ins in group[:-1]:
        _text.delete_instruction(ed, ins)


class _Grouper:
    """Lists of RUNs to merge in one stage: the last one kept in place for hoists, the first
    one otherwise."""

    def __init__(self, ctx: Context, path: str, doc: Document) -> None:
        self.ctx, self.path, self.doc = ctx, path, doc
        self.out: list[list[Instruction]] = []
        self.current: list[Instruction] = []
        self.reading: PipRun | None = None  # what the current group holds, all members joined
        # A group of pip upgrades only, with what it reads as, waiting to cross COPY/ADD lines.
        self.pending_upgrade: tuple[list[Instruction], PipRun] | None = None
        self.crossed: list[Instruction] = []
        self.reads: dict[int, PipRun] = {}  # every pip RUN's reading, by instruction index

    def groups(self, members: list[Instruction]) -> list[list[Instruction]]:
        for ins in members:
            read = pip_run(self.doc, ins) if not self.ctx.ignored(self.doc, ins) else None
            if isinstance(read, NotPip):
                self.ctx.skip(self.path, ins.start_line, f"not merged: {read}")
                read = None
            if read is not None:
                self.reads[ins.index] = read
                self._pip(ins, read)
            elif ins.keyword in ("COPY", "ADD") and self.current and not _writes_system(ins):
                self.crossed.append(ins)
            else:
                self._close()
                self.current, self.reading, self.pending_upgrade, self.crossed = [], None, None, []
        self._close()
        # A hoist group [upgrade, later, ...]; a plain group [first, ...]. Drop overlaps.
        seen: set[int] = set()
        out = []
        for g in self.out:
            if any(i.index in seen for i in g):
                continue
            seen.update(i.index for i in g)
            out.append(g)
        return out

    def _pip(self, ins: Instruction, read: PipRun) -> None:
        if self._hoisted(ins, read):
            return
        joins = self.current and not self.crossed and not self._pragma_above(ins)
        if joins and mergeable(self.reading, read, self.current[-1], ins):
            self.current.append(ins)
            self.reading = _joined(self.reading, read)
        else:
            if len(self.current) <= 1 and self.current and self.crossed:
                self.ctx.skip(self.path, ins.start_line,
                              f"kept apart from the pip RUN at line {self.current[0].start_line}: "
                              f"COPY/ADD at line {self.crossed[0].start_line} sits between (cache split)")
            self._close()
            self.current, self.reading = [ins], read
        # Upgrades merged here are one upgrade RUN on a second pass: they cross COPY/ADD as one.
        self.pending_upgrade = (list(self.current), self.reading) if self.reading.upgrade_only else None
        self.crossed = []

    def _hoisted(self, ins: Instruction, read: PipRun) -> bool:
        """A pending pip upgrade joins this RUN over the COPY/ADD lines between them."""
        if self.pending_upgrade is None or not self.crossed:
            return False
        upgrades, upgrade_read = self.pending_upgrade
        if not mergeable(upgrade_read, read, upgrades[-1], ins):
            return False
        # Hoisted into this RUN, the group goes on: the pip RUNs right after it join it, as
        # they would join the merged RUN on a second pass.
        self.current, self.reading = [*upgrades, ins], _joined(upgrade_read, read)
        self.pending_upgrade, self.crossed = None, []
        return True

    def _pragma_above(self, ins: Instruction) -> bool:
        """A pragma comment between the group and this RUN applies to this RUN alone."""
        if not _merge.has_pragma(_merge.comments_between(self.doc, self.current[-1], ins)):
            return False
        self.ctx.skip(self.path, ins.start_line, "kept apart: a pragma comment above it applies to this RUN alone")
        return True

    def _close(self) -> None:
        if len(self.current) > 1:
            self.out.append(self.current)


def _writes_system(ins: Instruction) -> bool:
    dest = ins.value[-1] if ins.value else ""
    return dest.startswith("/") and any(dest == d or dest.startswith(d.rstrip("/") + "/") for d in _SYSTEM_DIRS)
