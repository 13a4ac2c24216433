"""Edits on a Document: byte splices on whole instructions, so untouched bytes stay.

New text is written with `\\n` and converted to the line ending of the place it goes
(the neighbouring line's, else the file's), so CRLF files stay CRLF. The result of
`apply()` is re-parsed by the caller; an edit that produces an unparsable file is a bug
the engine reports, never writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockfix.syntax.document import Document, Instruction, parse


@dataclass(frozen=True)
class Splice:
    start: int
    end: int
    data: bytes
    seq: int  # order of insertion, for splices at the same offset


class OverlappingEdit(Exception):
    pass


class Editor:
    def __init__(self, doc: Document):
        self.doc = doc
        self._splices: list[Splice] = []

    # -- helpers
    def eol_for(self, ins: Instruction | None = None) -> bytes:
        if ins is not None:
            eol = self.doc.eol_of_line(ins.end_line)
            if eol:
                return eol
        return self.doc.newline

    def encode(self, text: str, eol: bytes) -> bytes:
        return text.encode("utf-8", "surrogateescape").replace(b"\n", eol)

    def _add(self, start: int, end: int, data: bytes) -> None:
        self._splices.append(Splice(start, end, data, len(self._splices)))

    # -- whole instructions
    def replace(self, ins: Instruction, text: str, *, from_line: int | None = None) -> None:
        """Replace the instruction (and, with `from_line`, the lines above it from that
        line on) by `text`. The instruction's own final line ending is kept."""
        eol = self.doc.eol_of_line(ins.end_line)
        start = self.doc.line_starts[from_line - 1] if from_line else ins.start
        body = self.encode(text.rstrip("\n"), self.eol_for(ins))
        self._add(start, ins.end, body + eol)

    def delete(self, ins: Instruction, *, with_comments: bool = True) -> None:
        """Remove the instruction's lines, and the comment block directly above it."""
        start_line = self.doc.leading_comment_start(ins) if with_comments else ins.start_line
        start = self.doc.line_starts[start_line - 1]
        end = ins.end
        if not self.doc.eol_of_line(ins.end_line) and start > 0:
            # Last line without a final newline: take the previous line's ending instead,
            # so the file still ends the way it did.
            prev = self.doc.eol_of_line(start_line - 1)
            start -= len(prev)
        self._add(start, end, b"")

    def delete_lines(self, first: int, last: int) -> None:
        s, _ = self.doc.line_span(first)
        _, e = self.doc.line_span(last)
        self._add(s, e, b"")

    def insert_before(self, ins: Instruction, text: str, *, above_comments: bool = False) -> None:
        line = self.doc.leading_comment_start(ins) if above_comments else ins.start_line
        self.insert_at_line(line, text, like=ins)

    def insert_at_line(self, line: int, text: str, like: Instruction | None = None) -> None:
        """Insert whole lines before physical line `line` (1-based)."""
        eol = self.eol_for(like)
        self._add(self.doc.line_starts[line - 1], self.doc.line_starts[line - 1],
                  self.encode(text.rstrip("\n"), eol) + eol)

    def insert_after(self, ins: Instruction, text: str) -> None:
        eol = self.eol_for(ins)
        body = self.encode(text.rstrip("\n"), eol)
        if self.doc.eol_of_line(ins.end_line):
            self._add(ins.end, ins.end, body + eol)
        else:  # the file ended without a newline: keep it so
            self._add(ins.end, ins.end, eol + body)

    # -- parts of an instruction
    def set_flag(self, ins: Instruction, name: str, value: str) -> None:
        """Add `--name=value` after the instruction word, or replace that flag's value
        where it is written on the instruction's first line."""
        first = self.doc.line_bytes(ins.start_line)
        line_start = ins.start
        m = re.search(rb"--" + re.escape(name.encode()) + rb"=\S*", first)
        new = f"--{name}={value}".encode()
        if ins.flag(name) is not None and m:
            self._add(line_start + m.start(), line_start + m.end(), new)
            return
        word = re.match(rb"\s*\S+", first)
        at = line_start + word.end()
        self._add(at, at, b" " + new)

    def replace_span(self, start: int, end: int, data: bytes) -> None:
        """Low-level splice, for transforms that rewrite part of a line they located."""
        self._add(start, end, data)

    # -- result
    def apply(self) -> bytes:
        data = self.doc.data
        splices = sorted(self._splices, key=lambda s: (s.start, s.end, s.seq))
        out: list[bytes] = []
        pos = 0
        for s in splices:
            if s.start < pos:
                raise OverlappingEdit(f"overlapping edits at byte {s.start}")
            out.append(data[pos:s.start])
            out.append(s.data)
            pos = max(pos, s.end)
        out.append(data[pos:])
        return b"".join(out)

    def __bool__(self) -> bool:
        return bool(self._splices)


def reading(ins: Instruction) -> tuple:
    """What BuildKit runs of an instruction: keyword, flags, words, JSON form, heredoc bodies."""
    return ins.keyword, ins.flags, ins.value, ins.json, tuple(h.content for h in ins.heredocs)


def changes_only(doc: Document, data: bytes, index: int, expected: tuple) -> bool:
    """Whether `data`, parsed again, holds `doc`'s instructions unchanged (`reading`) but the
    one at `index`, which reads as `expected`: how an edit is checked before it is written."""
    try:
        new = parse(data)
    except Exception:  # noqa: BLE001 - an edit that does not parse is refused, never written
        return False
    return len(new.instructions) == len(doc.instructions) and all(
        reading(b) == (expected if a.index == index else reading(a)) for a, b in zip(doc.instructions, new.instructions))
