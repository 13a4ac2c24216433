"""merge-pip-runs: RUN layers that only run pip become one RUN.

What it does: within a stage, consecutive shell-form RUNs whose every `&&`-command is pip
(`pip`, `pip3`, `python -m pip`, …) are joined into one RUN with ` && `, in the file's own
continuation style; the comments above them move above the merged RUN. A RUN that only
upgrades pip (`pip install --upgrade pip`) is also hoisted over the COPY/ADD lines that
separate it from the next pip RUN, into that RUN (seed 000's Dockerfile.base change).

When it must not fire: across a heredoc RUN, an exec-form RUN, a stage boundary, any
instruction other than comments/blank lines (USER, WORKDIR, ENV, ARG, SHELL, COPY, …),
or RUNs with different `--mount`/`--network`/`--security` flags; on a RUN with other shell
syntax (`;`, pipes, redirections, subshells); two pip RUNs separated by a COPY stay
separate (that COPY feeds the later RUN: an intentional cache split). A hoist only moves a
pure pip upgrade over COPY/ADD whose destinations are not absolute system paths.

Why it is equivalent: `RUN a` then `RUN b` and `RUN a && b` run the same commands in the
same order, with the same user, directory, environment, shell and flags, and stop at the
same failure; only the layer boundary goes. The hoisted upgrade reads no file of the build
context and the COPYs it crosses do not touch pip, so the two commute; what changes is
cache behaviour (the upgrade now re-runs when the requirements change), not the image.
"""

from __future__ import annotations

import re

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_PIP = re.compile(r"^(pip[0-9.]*|python[0-9.]*\s+-m\s+pip|[\w./-]*/(pip[0-9.]*|python[0-9.]*\s+-m\s+pip))(\s|$)")
_SYSTEM_DIRS = ("/usr", "/root", "/home", "/opt", "/etc", "/bin", "/sbin", "/lib", "/var", "/")


def pip_commands(ins: Instruction) -> list[str] | None:
    """The RUN's `&&`-commands when every one of them is pip; else None."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    cmds = _text.split_and_chain(ins.value[0])
    if not cmds or not all(_PIP.match(c) for c in cmds):
        return None
    return cmds


def is_pip_upgrade(cmds: list[str]) -> bool:
    """Only upgrades pip (and setuptools/wheel): reads no file of the build context."""
    for c in cmds:
        w = _text.words(c)
        if not w or "install" not in w:
            return False
        args = w[w.index("install") + 1:]
        if not ({"--upgrade", "-U"} & set(args)):
            return False
        pkgs = [a for a in args if not a.startswith("-")]
        if not pkgs or not set(pkgs) <= {"pip", "setuptools", "wheel"}:
            return False
    return True


def _mergeable_flags(ins: Instruction) -> tuple[str, ...]:
    return tuple(sorted(ins.flags))


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
            for group in self._groups(ctx, path, doc, members):
                self._merge(ed, doc, group, style)
                changed = True
        return ed.apply() if changed else None

    def _groups(self, ctx: Context, path: str, doc: Document, members: list[Instruction]):
        """Lists of RUNs to merge, last one kept in place for hoists, first one otherwise."""
        groups: list[list[Instruction]] = []
        current: list[Instruction] = []
        pending_upgrade: Instruction | None = None  # an upgrade RUN waiting to cross COPYs
        crossed: list[Instruction] = []
        for ins in members:
            cmds = pip_commands(ins)
            if cmds is not None and not ctx.ignored(doc, ins):
                if pending_upgrade is not None and crossed:
                    if _mergeable_flags(pending_upgrade) == _mergeable_flags(ins):
                        groups.append([pending_upgrade, ins])  # hoist into this RUN
                        pending_upgrade, crossed = None, []
                        current = []
                        continue
                if current and _mergeable_flags(current[-1]) == _mergeable_flags(ins) and not crossed:
                    current.append(ins)
                else:
                    if len(current) > 1:
                        groups.append(current)
                    elif current and crossed and pip_commands(current[0]) is not None:
                        ctx.skip(path, ins.start_line,
                                 f"kept apart from the pip RUN at line {current[0].start_line}: "
                                 f"COPY/ADD at line {crossed[0].start_line} sits between (cache split)")
                    current = [ins]
                pending_upgrade = ins if is_pip_upgrade(cmds) and len(current) == 1 else None
                crossed = []
                continue
            if ins.keyword in ("COPY", "ADD") and current and not _writes_system(ins):
                crossed.append(ins)
                continue
            if len(current) > 1:
                groups.append(current)
            current, pending_upgrade, crossed = [], None, []
        if len(current) > 1:
            groups.append(current)
        # A hoist group [upgrade, later]; a plain group [first, ...]. Drop overlaps.
        seen: set[int] = set()
        out = []
        for g in groups:
            if any(i.index in seen for i in g):
                continue
            seen.update(i.index for i in g)
            out.append(g)
        return out

    def _merge(self, ed: Editor, doc: Document, group: list[Instruction], style: _text.Style) -> None:
        hoist = any(doc.instructions[i].keyword in ("COPY", "ADD")
                    for i in range(group[0].index + 1, group[-1].index))
        keep = group[-1] if hoist else group[0]
        head = doc.text(keep).decode("utf-8", "surrogateescape")
        prefix = re.match(r"\s*\S+", head).group(0) + " " + "".join(f + " " for f in keep.flags)
        bodies = [_text.shell_body(doc, i) for i in group]
        merged = _text.join_commands(prefix, bodies, style)
        moved_comments = "".join(_text.comment_block(doc, i) for i in group if i is not keep)
        if hoist:
            # The kept RUN's own comment block stays where it is, under the moved ones.
            first = doc.leading_comment_start(keep)
            own = _text.comment_block(doc, keep)
            ed.replace(keep, moved_comments + own + merged, from_line=first if own else None)
            for ins in group[:-1]:
                _text.delete_instruction(ed, ins)
        else:
            # Consecutive RUNs: one splice from the first to the last, which also takes the
            # blank lines between them; the last one's line ending (or its absence) stays.
            last = group[-1]
            spans = {n for i in group for n in range(i.start_line, i.end_line + 1)}
            between = "".join(doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n") + "\n"
                              for n in range(keep.end_line + 1, last.end_line)
                              if n not in spans and doc.line_bytes(n).strip())  # every comment moves up
            text = ed.encode(between + merged, ed.eol_for(last)) + doc.eol_of_line(last.end_line)
            ed.replace_span(keep.start, last.end, text)


def _writes_system(ins: Instruction) -> bool:
    dest = ins.value[-1] if ins.value else ""
    return dest.startswith("/") and any(dest == d or dest.startswith(d.rstrip("/") + "/") for d in _SYSTEM_DIRS)
