""".dockerignore with Docker's exact semantics (moby/patternmatcher and its ignorefile
reader, as BuildKit uses them).

- Reading: a BOM on the first line is dropped; lines starting with `#` are comments (only
  at column 0); patterns are space-trimmed, `!` marks an exception, then `filepath.Clean`
  and a leading `/` is removed (so `/scripts`, `./scripts` and `scripts/` are `scripts`).
- Matching: each pattern becomes a regular expression (`*` and `?` never cross `/`, `**`
  crosses any number of directories, `\\` escapes, `[...]` classes); a path is excluded when
  it or one of its parent directories matches; patterns apply in order and the last one
  that matches decides (exceptions re-include). moby writes a regular expression for Go's
  regexp, which Python's `re` is then made to read the same way (`_as_python`: POSIX classes,
  `[` inside a class, the end of the text); what Go reads and that is not translated (a
  backslash before a letter is an escape there: `\\d`, `\\f`) is refused with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from dockfix.errors import DockfixError
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
        return re.compile(_as_python(_to_regex(self.pattern)))

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
                out.append("\\" + pattern[i])  # as moby: a regular-expression escape (`_as_python`)
                i += 1
            else:
                out.append("\\\\")
        else:
            out.append(ch)  # "[", "]" and the rest pass through, as in patternmatcher
    out.append("$")
    return "".join(out)


# The POSIX classes Go's regexp reads inside brackets (regexp/syntax's posixGroup), ASCII only.
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f"}


class _Untranslated(re.error):
    """Go's regexp reads this part of moby's translation in a way Python's cannot say here."""

    def __init__(self, msg: str, why: str):
        super().__init__(msg)
        self.why = why


def _as_python(go: str) -> str:
    """Moby's regular expression (Go's syntax) as Python reads it the same way: POSIX classes
    inside brackets spelled out, `[ & ~ |` in a class escaped (literal in Go; Python reserves
    them for nested sets and set operations), the end of the text as `\\Z` (Python's `$` also
    matches before a final newline). A backslash before a letter, digit or non-ASCII character
    is one of Go's escapes (`\\d`, `\\f`, `\\pL`, …) or its error: not translated."""
    out: list[str] = []
    i, n = 0, len(go)
    in_class = False
    while i < n:
        ch = go[i]
        if ch == "\\" and i + 1 < n:
            if go[i + 1].isalnum() or not go[i + 1].isascii():
                raise _Untranslated(f"Go reads \\{go[i + 1]} as a regular-expression escape",
                                    "write the character itself, or a class such as [0-9]")
            out.append(go[i:i + 2])
            i += 2
            continue
        if not in_class:
            if ch == "[":
                i = _class_start(go, i, out)
                in_class = True
                continue
            out.append("\\Z" if ch == "$" and i == n - 1 else ch)
        elif ch == "]":
            out.append(ch)
            in_class = False
        elif go.startswith("[:", i) and (end := go.find(":]", i + 2)) >= 0:
            out.append(_posix_class(go[i + 2:end]))
            i = end + 2
            continue
        else:
            out.append("\\" + ch if ch in "[&~|" else ch)
        i += 1
    return "".join(out)


def _class_start(go: str, i: int, out: list[str]) -> int:
    """`[`, a `^` that negates, and a `]` right after them (a member, in Go as in Python)."""
    j = i + 1
    if go.startswith("^", j):
        j += 1
    if go.startswith("]", j):
        j += 1
    out.append(go[i:j])
    return j


def _posix_class(name: str) -> str:
    members = _POSIX_CLASSES.get(name)
    if members is not None:
        return members
    if name.startswith("^") and name[1:] in _POSIX_CLASSES:
        raise _Untranslated(f"the negated class [:{name}:]", "write the class another way")
    raise re.error(f"invalid character class range [:{name}:]")  # Go's error: the build fails


class DockerignoreError(DockfixError):
    """A .dockerignore that Docker refuses to read (the build fails before it starts)."""


def valid_pattern(pattern: str) -> bool:
    """Go's filepath.Match accepts `pattern` (no ErrBadPattern): moby's patternmatcher calls
    Match(pattern, ".") on every pattern and fails the build on the error. Go (1.16 on)
    checks the whole pattern: each chunk between stars, on its UTF-8 bytes."""
    rest = pattern.encode("utf-8", "surrogateescape")
    while rest:
        chunk, rest = _scan_chunk(rest)
        if not _chunk_ok(chunk):
            return False
    return True


def _scan_chunk(pattern: bytes) -> tuple[bytes, bytes]:
    """Go's scanChunk: skip leading stars, then up to the next star outside a class."""
    pattern = pattern.lstrip(b"*")
    in_range, i, n = False, 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == 0x5C and i + 1 < n:  # "\\" escapes the next byte
            i += 1
        elif ch == 0x5B:  # "["
            in_range = True
        elif ch == 0x5D:  # "]"
            in_range = False
        elif ch == 0x2A and not in_range:  # "*"
            break
        i += 1
    return pattern[:i], pattern[i:]


def _chunk_ok(chunk: bytes) -> bool:
    """The syntax walk of Go's matchChunk: classes non-empty and closed, ranges complete,
    no trailing backslash."""
    i, n = 0, len(chunk)
    while i < n:
        if chunk[i] == 0x5B:  # "[": a class
            i += 2 if i + 1 < n and chunk[i + 1] == 0x5E else 1  # "^" negates
            ranges = 0
            while not (i < n and chunk[i] == 0x5D and ranges > 0):
                i = _class_char(chunk, i)
                if i < 0:
                    return False
                if chunk[i] == 0x2D:  # "-": lo-hi
                    i = _class_char(chunk, i + 1)
                    if i < 0:
                        return False
                ranges += 1
            i += 1
        elif chunk[i] == 0x5C:  # "\\"
            if i + 1 >= n:
                return False
            i += 2
        else:
            i += 1
    return True


def _class_char(chunk: bytes, i: int) -> int:
    """Go's getEsc: the index after one (possibly escaped) character of a class, which
    must be followed by more of the pattern; -1 for ErrBadPattern."""
    n = len(chunk)
    if i >= n or chunk[i] in (0x2D, 0x5D):  # "-" or "]" cannot start a range
        return -1
    if chunk[i] == 0x5C:
        i += 1
        if i >= n:
            return -1
    lead = chunk[i]
    size = 1 if lead < 0x80 else 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
    try:
        chunk[i:i + size].decode("utf-8")
    except UnicodeDecodeError:
        size = 0
    if not size:
        return -1  # invalid UTF-8: Go's RuneError of width 1
    i += size
    return i if i < n else -1


def _readable(pattern: Pattern) -> None:
    """A class range Go accepts but the translated regex cannot hold (high to low, such as
    `[z-a]`, a range of no character in Docker), or a part Go reads that `_as_python` does
    not translate: refused with its line rather than guessed."""
    try:
        pattern.regex
    except re.error as err:
        why = (err.why if isinstance(err, _Untranslated) else
               "Docker accepts it, with a range that holds no character: write the class without that range"
               if "range" in err.msg and "class range [:" not in err.msg else
               # moby translates `?` and `*` inside a class too (`[?[]` becomes `[[^/][]`), and Go's
               # regexp rejects what Python's does here: the build fails at that pattern.
               "Docker's own translation of it is no regular expression either: write the class another way")
        raise DockerignoreError(f"dockfix cannot read the pattern {pattern.text!r} ({err.msg}); {why}",
                                line=pattern.line) from None


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
                raise DockerignoreError('illegal exclusion pattern: "!" (Docker rejects this file)', line=lineno)
            body = clean(body)
            if len(body) > 1 and body.startswith("/"):
                body = body[1:]
            if not valid_pattern(body):
                raise DockerignoreError(f"Docker rejects the pattern {line!r}: syntax error in pattern "
                                        "(an unclosed or empty [...] class, or a trailing \\)", line=lineno)
            pattern = Pattern(text=line, line=lineno, pattern=clean(body), negated=negated)
            if "[" in body or "\\" in body:
                _readable(pattern)
            patterns.append(pattern)
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
