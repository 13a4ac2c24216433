""".dockerignore with Docker's exact semantics (moby/patternmatcher and its ignorefile
reader, as BuildKit uses them).

- Reading: a BOM on the first line is dropped; lines starting with `#` are comments (only
  at column 0); patterns are space-trimmed, `!` marks an exception, then `filepath.Clean`
  and a leading `/` is removed (so `/scripts`, `./scripts` and `scripts/` are `scripts`).
- Matching: each pattern becomes a regular expression (`*` and `?` never cross `/`, `**`
  crosses any number of directories, `\\` escapes, `[...]` classes); a path is excluded when
  it or one of its parent directories matches; patterns apply in order and the last one
  that matches decides (exceptions re-include).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property

from dockfix.memo import Memo

_REGEX_SPECIAL = set(".+()|{}$")


def clean(path: str) -> str:
    """Go's filepath.Clean (POSIX)."""
    if path == "":
        return "."
    if ("//" not in path and "/." not in path and path[0] != "/" and path[-1] != "/"
            and not path.startswith(".")):
        return path  # already clean: no empty, "." or ".." element, not rooted
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


@dataclass(frozen=True)
class Pattern:
    text: str  # the line as written (trimmed)
    line: int  # 1-based line in the file
    pattern: str  # cleaned, without "!"
    negated: bool

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(_to_regex(self.pattern))

    def match(self, path: str) -> bool:
        return self.regex.match(path) is not None

    def matches_or_parent(self, path: str) -> bool:
        """The pattern matches `path` or one of its parent directories."""
        path = clean(path)
        if path in ("", ".", "/"):
            return False
        return self.regex.match(path) is not None or self._matches_dir(_parent(path))

    def _matches_dir(self, directory: str) -> bool:
        """matches_or_parent of a clean directory, memoised: a context's files share them."""
        memo = self.__dict__.setdefault("_dirs", {})  # frozen: the memo lives beside the fields
        found = memo.get(directory)
        if found is None:
            found = memo[directory] = directory not in ("", ".", "/") and (
                self.regex.match(directory) is not None or self._matches_dir(_parent(directory)))
        return found


def _parent(path: str) -> str:
    """posixpath.dirname of a clean path (no "//", no trailing "/"), without its overhead."""
    i = path.rfind("/")
    return path[:i] if i > 0 else ("/" if i == 0 else "")


def _to_regex(pattern: str) -> str:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                if i >= n:
                    out.append(".*")
                else:
                    out.append("(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in _REGEX_SPECIAL:
            out.append("\\" + ch)
        elif ch == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append("\\\\")
        else:
            out.append(ch)  # "[", "]" and the rest pass through, as in patternmatcher
    out.append("$")
    return "".join(out)


class DockerIgnore:
    def __init__(self, patterns: list[Pattern], data: bytes = b""):
        self.patterns = patterns
        self.data = data
        # Memo of the last pattern matching a directory or any of its parents: a context's
        # files share their directories, so each directory is matched once, not once per file.
        self._dir_last: dict[str, int] = {}
        self._kept: dict[tuple[str, ...], list[str]] = {}

    @classmethod
    def parse(cls, data: bytes) -> "DockerIgnore":
        """One object per content: every graph of a run (one per transform, two for the
        prover) shares its match memos for a .dockerignore no transform changed."""
        found = _PARSED.get(data)
        return _PARSED.put(data, cls._parse(data)) if found is None else found

    @classmethod
    def _parse(cls, data: bytes) -> "DockerIgnore":
        text = data.decode("utf-8", "surrogateescape")
        patterns: list[Pattern] = []
        for lineno, raw in enumerate(text.split("\n"), 1):
            if lineno == 1 and raw.startswith("\ufeff"):
                raw = raw[1:]
            if raw.startswith("#"):
                continue
            line = raw.strip()
            if not line:
                continue
            negated = line.startswith("!")
            body = line[1:].strip() if negated else line
            if not body:
                continue  # a lone "!": BuildKit rejects the file; we treat it as nothing
            body = clean(body)
            if len(body) > 1 and body.startswith("/"):
                body = body[1:]
            patterns.append(Pattern(text=line, line=lineno, pattern=clean(body), negated=negated))
        return cls(patterns, data)

    def deciding_pattern(self, path: str) -> Pattern | None:
        """The last pattern that matches `path` or a parent of it (None: no pattern)."""
        path = clean(path)
        parent = _parent(path)
        last = max(self._last_in_dirs(parent), self._last_matching(path))
        return self.patterns[last] if last >= 0 else None

    def _last_matching(self, path: str) -> int:
        for i in range(len(self.patterns) - 1, -1, -1):
            if self.patterns[i].match(path):
                return i
        return -1

    def _last_in_dirs(self, directory: str) -> int:
        """Index of the last pattern matching `directory` or a parent of it (-1: none)."""
        if directory in ("", ".", "/"):
            return -1
        last = self._dir_last.get(directory)
        if last is None:
            last = max(self._last_in_dirs(_parent(directory)), self._last_matching(directory))
            self._dir_last[directory] = last
        return last

    def excludes(self, path: str) -> bool:
        p = self.deciding_pattern(path)
        return p is not None and not p.negated

    def filter(self, paths: list[str]) -> list[str]:
        """The paths the context keeps (a new list each call: callers may change it)."""
        key = tuple(paths)
        kept = self._kept.get(key)
        if kept is None:
            kept = self._kept[key] = [p for p in paths if not self.excludes(p)]
        return list(kept)


EMPTY = DockerIgnore([])
_PARSED: Memo = Memo(10_000)  # bytes -> DockerIgnore
