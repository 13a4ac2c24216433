"""A .dockerignore edited as lines, every other byte kept."""

from __future__ import annotations

import re


class IgnoreText:
    """A .dockerignore as physical lines (split on "\\n" as Docker reads it, each line with
    its own ending), edited by removing pattern lines and adding exception lines; the
    bytes of every other line stay."""

    def __init__(self, data: bytes):
        self.lines: list[bytes] = re.findall(rb"[^\n]*\n|[^\n]+$", data)
        self.changed = False

    def copy(self) -> "IgnoreText":
        t = IgnoreText(b"")
        t.lines, t.changed = list(self.lines), self.changed
        return t

    def render(self) -> bytes:
        return b"".join(self.lines)

    @staticmethod
    def line_of(pat) -> int:
        return pat.line - 1

    def _eol(self, i: int) -> bytes:
        """The line ending of line i, else of the nearest line that has one."""
        order = [i] + [j for k in range(1, len(self.lines)) for j in (i - k, i + k) if 0 <= j < len(self.lines)]
        for j in order:
            raw = self.lines[j]
            if raw.endswith(b"\n"):
                return b"\r\n" if raw.endswith(b"\r\n") else b"\n"
        return b"\n"

    def _blank(self, j: int) -> bool:
        return 0 <= j < len(self.lines) and self.lines[j].lstrip(b"\xef\xbb\xbf").strip(b" \t\r\n") == b""

    def remove(self, i: int) -> None:
        """Delete line i; a blank line it leaves doubled (or first, or last) goes too; a
        file that ended without a newline still does."""
        bom = self.lines[i].startswith(b"\xef\xbb\xbf")
        had_eol = self.lines[i].endswith(b"\n")
        del self.lines[i]
        if self._blank(i) and (i == 0 or self._blank(i - 1)):
            del self.lines[i]
        elif i >= len(self.lines) and self._blank(i - 1):
            del self.lines[i - 1]
        if not had_eol and self.lines and self.lines[-1].endswith(b"\n"):
            eol = b"\r\n" if self.lines[-1].endswith(b"\r\n") else b"\n"
            self.lines[-1] = self.lines[-1][: -len(eol)]
        if bom and self.lines and not self.lines[0].startswith(b"\xef\xbb\xbf"):
            self.lines[0] = b"\xef\xbb\xbf" + self.lines[0]
        self.changed = True

    def add_after(self, i: int, text: str) -> None:
        """Insert a line after line i, with the file's line ending."""
        eol = self._eol(i)
        line = text.encode("utf-8", "surrogateescape")
        if not self.lines[i].endswith(b"\n"):
            self.lines[i] += eol
            self.lines.insert(i + 1, line)
        else:
            self.lines.insert(i + 1, line + eol)
        self.changed = True
