"""Notes at the lines of the files on disk (issue 14, item 6).

A transform reports places in the text it read, which is the text earlier transforms of the
same run wrote: `prune-dockerignore` after `rebase-onto-base` read ai-worker-cpu's
Dockerfile 9 lines shorter, and named its `COPY scripts` line 25 where the file on disk has
it at 34. Each line a note names (its own, `path:N` and `line N` in its message) is mapped
back through the edits made before that transform to the line of the original file; a line
an earlier transform wrote (no original line) is named as it is, marked "(rewritten)".
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable

_PATH_LINE = re.compile(r"(?P<path>[\w./@+-]+):(?P<line>\d+)\b")
_LINE = re.compile(r"\b(?P<word>lines?) (?P<line>\d+)\b")


def notes_on_disk(notes: list, steps: list, original: Callable[[str], bytes | None]) -> list:
    """`notes` (transform Notes) with their lines mapped to `original`'s; `steps` are the
    engine's (transform, {path: (before, after)}) in the order they ran."""
    seen_by = _texts_seen(steps)
    out = []
    for note in notes:
        texts = seen_by.get(note.transform, {})
        if not texts:
            out.append(note)
            continue
        mapper = _Mapper(texts, original)
        line = mapper.line(note.path, note.line) if note.line else note.line
        message = _PATH_LINE.sub(lambda m: f"{m['path']}:{mapper.shown(m['path'], int(m['line']))}", note.message)
        message = _LINE.sub(lambda m: f"{m['word']} {mapper.shown(note.path, int(m['line']))}", message)
        out.append(dataclasses.replace(note, line=line if isinstance(line, int) else note.line, message=message))
    return out


def _texts_seen(steps: list) -> dict[str, dict[str, bytes]]:
    """For each transform, the files earlier transforms had changed, as it read them."""
    current: dict[str, bytes] = {}
    seen: dict[str, dict[str, bytes]] = {}
    for step in steps:
        seen[step.transform] = dict(current)
        for path, (_, after) in step.files.items():
            current[path] = after
    return seen


class _Mapper:
    def __init__(self, texts: dict[str, bytes], original: Callable[[str], bytes | None]):
        self.texts, self.original = texts, original
        self.maps: dict[str, dict[int, int]] = {}

    def _map(self, path: str) -> dict[int, int] | None:
        if path not in self.texts:
            return None
        if path not in self.maps:
            old = (self.original(path) or b"").splitlines()
            seen = self.texts[path].splitlines()
            found: dict[int, int] = {}
            for block in difflib.SequenceMatcher(None, old, seen, autojunk=False).get_matching_blocks():
                for k in range(block.size):
                    found[block.b + k + 1] = block.a + k + 1
            self.maps[path] = found
        return self.maps[path]

    def line(self, path: str, line: int) -> int | None:
        """The original line of `line` as the transform read `path`; None when an earlier
        transform wrote it."""
        found = self._map(path)
        return line if found is None else found.get(line)

    def shown(self, path: str, line: int) -> str:
        mapped = self.line(path, line)
        return f"{line} (rewritten)" if mapped is None else str(mapped)
