"""Text helpers shared by transforms: the file's own continuation style, joining command
bodies, and deletions that do not leave a double blank line. They edit bytes; none of them
reads shell (that is `dockfix.model.shell`, through `transforms._run`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor


@dataclass(frozen=True)
class Style:
    indent: str  # continuation-line indent
    leading_and: bool  # `    && cmd` (True) or `cmd && \` (False)
    escape: str


def file_style(doc: Document) -> Style:
    """The continuation style the file already uses (4 spaces and leading `&&` by default)."""
    indents: Counter[str] = Counter()
    leading = trailing = 0
    for ins in doc.instructions:
        for n in range(ins.start_line + 1, ins.end_line + 1):
            raw = doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n")
            body = raw.lstrip(" \t")
            if not body or body.startswith("#"):
                continue
            indents[raw[: len(raw) - len(body)]] += 1
            if body.startswith("&&"):
                leading += 1
        for n in range(ins.start_line, ins.end_line):
            raw = doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n \t")
            if raw.endswith("&& " + doc.escape) or raw.endswith("&&" + doc.escape):
                trailing += 1
    indent = indents.most_common(1)[0][0] if indents else "    "
    return Style(indent=indent or "    ", leading_and=leading >= trailing, escape=doc.escape)


def shell_body(doc: Document, ins: Instruction) -> str:
    """The instruction's text after its keyword and flags, as written (continuations, comment
    lines and indentation kept), without the final line ending."""
    raw = doc.text(ins).decode("utf-8", "surrogateescape")
    raw = raw.rstrip("\r\n")
    m = re.match(r"\s*\S+\s+", raw)
    rest = raw[m.end():] if m else ""
    for flag in ins.flags:
        # Flags are written first; drop each (quoted forms are rare and kept by not merging).
        fm = re.match(r"--\S+\s*", rest)
        if fm is None:
            break
        rest = rest[fm.end():]
        del flag
    return rest.replace("\r\n", "\n").rstrip(" \t")


def join_commands(keyword_and_flags: str, bodies: list[str], style: Style, one_line_max: int = 100) -> str:
    """One RUN from several command bodies, in the file's style."""
    single = all("\n" not in b for b in bodies)
    flat = keyword_and_flags + " && ".join(bodies)
    if single and len(flat) <= one_line_max:
        return flat
    esc = style.escape
    if style.leading_and:
        joiner = f" {esc}\n{style.indent}&& "
    else:
        joiner = f" && {esc}\n{style.indent}"
    return keyword_and_flags + joiner.join(bodies)


def delete_instruction(ed: Editor, ins: Instruction) -> None:
    """Delete the instruction and its comment block; when that leaves a blank line on each
    side, take the blank line after it too."""
    doc = ed.doc
    first = doc.leading_comment_start(ins)
    before_blank = first > 1 and _blank(doc, first - 1)
    after = ins.end_line + 1
    after_blank = after <= doc.line_count and _blank(doc, after)
    if before_blank and after_blank:
        ed.delete_lines(first, after)
    elif first == 1 and after_blank:
        ed.delete_lines(first, after)
    else:
        ed.delete(ins)


def _blank(doc: Document, line: int) -> bool:
    return doc.line_bytes(line).strip() == b""


def comment_block(doc: Document, ins: Instruction) -> str:
    """The comment lines directly above `ins`, as written, with "\\n" endings."""
    first = doc.leading_comment_start(ins)
    return "".join(doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n") + "\n"
                   for n in range(first, ins.start_line))
