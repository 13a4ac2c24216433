"""Joining consecutive RUNs into one (shared by merge-pip-runs and merge-runs): the comments
between them kept with their commands, the churn rule, the write and the final check.

Comments. A comment line between two merged RUNs (a section comment above the second, or a
comment after the first's command) becomes a comment line inside the merged RUN's continuation,
right before the command it belonged with. BuildKit drops a comment line inside a continued
instruction before the shell sees the text (parser.go: a line that is a comment while a line
is being continued is skipped; `syntax/document.py` reads it so, checked against BuildKit's
parser), so the shell runs exactly `a && b`; the merged RUN is parsed again to make sure.

Churn. A RUN its maintainers edit often (graph.churn: at least HOT_EDITS of the last WINDOW
commits to the file changed one of its lines) stays on its own: merged, each of its edits would
re-run every command it was merged with. The history is read once per file, and only when a
merge is proposed. With no history (no git, not a work tree, the file never committed) nothing
is known about churn, and the merge goes ahead, as hadolint's DL3059 asks: the merged RUN keeps
the image's behaviour either way; only the layer cache is at stake.
"""

from __future__ import annotations

import weakref

from dockfix.graph.churn import Churn, churn_of, read_history
from dockfix.syntax import Document, Instruction, parse
from dockfix.syntax.edit import Editor
from dockfix.transforms import _run, _text
from dockfix.transforms.base import Context

# hadolint reads its pragmas only on the comment lines above an instruction.
_PRAGMAS = ("hadolint ", "hadolint:", "dockfix:", "syntax=", "escape=", "check=")


def comments_between(doc: Document, first: Instruction, second: Instruction) -> list[str]:
    """The comment lines between two instructions, as written, without line endings (blank
    lines dropped: an empty line inside a continuation is deprecated by BuildKit)."""
    out = []
    for n in range(first.end_line + 1, second.start_line):
        raw = doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n")
        if raw.strip():
            out.append(raw.strip())
    return out


def same_flags(a: Instruction, b: Instruction) -> bool:
    """Two RUNs whose flags (--mount, --network, …) are the same set: one RUN can hold both."""
    return sorted(a.flags) == sorted(b.flags)


def has_pragma(comments: list[str]) -> bool:
    """A comment hadolint or dockfix reads as a pragma for the instruction below it."""
    return any(c.lstrip("#").strip().startswith(_PRAGMAS) for c in comments)


def join_commented(prefix: str, parts: list[tuple[list[str], str]], style: _text.Style) -> str:
    """One RUN from (comment lines before it, command body) parts; without comments the plain
    `_text.join_commands` layout, with them one continuation line per comment, each before
    the command it belonged with."""
    if not any(comments for comments, _ in parts[1:]):
        return _text.join_commands(prefix, [body for _, body in parts], style)
    esc, indent = style.escape, style.indent
    out = prefix + parts[0][1]
    for comments, body in parts[1:]:
        notes = "".join(f"{indent}{c}\n" for c in comments)
        if style.leading_and:
            out += f" {esc}\n{notes}{indent}&& {body}"
        else:
            out += f" && {esc}\n{notes}{indent}{body}"
    return out


# The history of each file, read once per run (a run's transforms share its Tree).
_HISTORIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def split_hot(ctx: Context, path: str, doc: Document, groups: list[list[Instruction]]) -> list[list[Instruction]]:
    """The groups with every RUN edited often taken out (a note says so); groups of one dropped."""
    if not groups:
        return groups
    histories = _HISTORIES.setdefault(ctx.tree, {})
    if path not in histories:
        histories[path] = read_history(ctx.tree.root, path)
    churn = churn_of(histories[path], doc.data)
    if not isinstance(churn, Churn):
        return groups
    out: list[list[Instruction]] = []
    for group in groups:
        current: list[Instruction] = []
        for ins in group:
            edits = churn.edits(ins.start_line, ins.end_line)
            if churn.hot(ins.start_line, ins.end_line):
                ctx.skip(path, ins.start_line,
                         f"kept apart: {edits} of the last {churn.commits} commits to the file edit "
                         "this RUN; merged, each edit would re-run the commands it joins")
                out.append(current)
                current = []
            else:
                current.append(ins)
        out.append(current)
    return [g for g in out if len(g) > 1]


def write_consecutive(ed: Editor, doc: Document, group: list[Instruction], merged: str) -> None:
    """One splice from the first RUN to the last (the comments between are inside `merged`);
    the last one's line ending (or its absence) stays."""
    keep, last = group[0], group[-1]
    text = ed.encode(merged, ed.eol_for(last)) + doc.eol_of_line(last.end_line)
    ed.replace_span(keep.start, last.end, text)


def runs_every_command(merged: str, expected: int, last_comment: bool, escape: str) -> bool:
    """Read the merged RUN as BuildKit and the shell would: every command of the parts must
    still be a command (no comment swallows the ones after it); only the last part's own
    comment may end it."""
    directive = "" if escape == "\\" else f"# escape={escape}\n"
    doc = parse(f"{directive}FROM scratch\n{merged}\n".encode("utf-8", "surrogateescape"))
    if len(doc.instructions) != 2:
        return False
    script = _run.run_script(doc, doc.instructions[-1])
    return script is not None and len(script.commands) == expected and script.comment_at_end == last_comment
