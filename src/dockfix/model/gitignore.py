"""`.gitignore` files read as git reads them (gitignore(5)), without running git.

Why: a COPY source that the repository's `.gitignore` covers (`dist/`, a generated
`_version.py`) is made by CI before the build; its absence from a checkout is not a defect.

Rules kept: blank lines and `#` comments; trailing spaces dropped unless escaped; `\\` escapes;
`!` re-includes; a pattern with a `/` before its end is anchored to its file's directory, one
without matches at any depth; `*` and `?` do not cross `/`; `[...]` classes with `!` or `^`
negation; leading `**/`, trailing `/**` and `/**/` cross directories; patterns of a deeper
`.gitignore` win over a shallower one's, the last match wins inside a file; nothing below an
ignored directory is re-included. A trailing `/` matches directories only; the path asked
about is usually absent, so it counts as ignored when git would ignore it as a file or as a
directory (the question is "may CI make it").
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dockfix.memo import Memo


@dataclass(frozen=True)
class GitPattern:
    file: str  # the .gitignore, repository-relative
    line: int
    text: str
    negated: bool
    regex: re.Pattern[str]
    dir_only: bool = False  # a trailing "/"


def _class(pattern: str, i: int) -> tuple[str, int]:
    """A `[...]` class from index `i` (at `[`): (regex, index after it); a lone `[` is literal."""
    j = i + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    if j >= len(pattern):
        return re.escape("["), i + 1
    body = pattern[i + 1:j]
    neg = body[:1] in ("!", "^")
    body = body[1:] if neg else body
    return ("[^" if neg else "[") + body.replace("\\", "\\\\") + "]", j + 1


def _regex(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        if body.startswith("**/", i) and (i == 0 or body[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body[i] == "*":
            out.append("[^/]*")
            i += 2 if body.startswith("**", i) else 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[":
            cls, i = _class(body, i)
            out.append(cls)
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(body[i]))
            i += 1
    return "".join(out)


def parse_gitignore(data: bytes, file: str) -> list[GitPattern]:
    out = []
    for lineno, raw in enumerate(data.decode("utf-8", "surrogateescape").splitlines(), 1):
        line = raw
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = line[1:] if negated else line
        if body.startswith(("\\#", "\\!")):
            body = body[1:]
        dir_only = body.endswith("/")
        body = body.rstrip("/")
        if not body:
            continue
        anchored = "/" in body
        rx = _regex(body.lstrip("/"))
        out.append(GitPattern(file, lineno, raw.strip(), negated,
                              re.compile(rx if anchored else "(?:.*/)?" + rx, re.DOTALL), dir_only))
    return out


class GitIgnores:
    """Every `.gitignore` of a tree, asked whether git would ignore a repository path."""

    def __init__(self, files: dict[str, list[GitPattern]]):
        self.files = files  # directory ("" for the root) -> its patterns
        self._decided: dict[str, GitPattern | None] = {}  # the rules never change: asked once per path

    @classmethod
    def read(cls, paths: Sequence[str], read: Callable[[str], bytes]) -> "GitIgnores":
        found: dict[str, list[GitPattern]] = {}
        for p in paths:
            if p == ".gitignore" or p.endswith("/.gitignore"):
                try:
                    found[posixpath.dirname(p)] = parse_gitignore(read(p), p)
                except OSError:
                    continue
        return cls(found)

    @classmethod
    def of_tree(cls, tree) -> "GitIgnores":
        """Every `.gitignore` of a `Tree` view: one reading per set of files and contents (the
        graph, the prover and copy-for-add ask it of mostly the same tree, a graph per transform)."""
        paths = [p for p in tree.paths() if p.endswith(".gitignore")]
        key = tuple((p, tree.read(p)) for p in paths)
        found = _OF_TREES.get(key)
        return _OF_TREES.put(key, cls.read(paths, tree.read)) if found is None else found

    def deciding(self, path: str) -> GitPattern | None:
        """The pattern that ignores `path` (or a directory above it); None: not ignored. The
        path may be absent, so it is ignored when git ignores it as a file or as a directory."""
        if path in self._decided:
            return self._decided[path]
        found = self._decided[path] = self._deciding(path)
        return found

    def _deciding(self, path: str) -> GitPattern | None:
        parts = path.strip("/").split("/")
        for n in range(1, len(parts)):
            hit = self._last(parts[:n], True)
            if hit is not None and not hit.negated:
                return hit
        for is_dir in (False, True):
            hit = self._last(parts, is_dir)
            if hit is not None and not hit.negated:
                return hit
        return None

    def _last(self, parts: list[str], is_dir: bool) -> GitPattern | None:
        """The last pattern matching `parts`, deeper .gitignore files winning."""
        found = None
        for depth in range(len(parts)):
            directory = "/".join(parts[:depth])
            patterns = self.files.get(directory)
            if not patterns:
                continue
            rel = "/".join(parts[depth:])
            for pat in patterns:
                if (is_dir or not pat.dir_only) and pat.regex.fullmatch(rel):
                    found = pat
        return found


_OF_TREES: Memo = Memo(64)  # (path, bytes) of every .gitignore -> their rules (`GitIgnores.of_tree`)
