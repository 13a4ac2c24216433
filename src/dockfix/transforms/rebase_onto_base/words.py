"""Word expansion for ENV, WORKDIR and COPY: model/words (BuildKit's ProcessWord) over the
walk's symbolic values.

A variable the external image may set is the marker \\0NAME\\0 (both files start from the same
image, so the marker means the same in both); a build argument is \\1NAME\\1 (its value can
differ between builds, so nothing holding one is ever "the same"). They are the walk's
spelling of model/words' unknowns of origin FROM_BASE_IMAGE and BUILD_ARG.
"""

from __future__ import annotations

import posixpath
import re

from dockfix.model.words import Binding, Origin, Value, expand_word
from dockfix.model.words import Scope as WordScope

_MARKER = re.compile(r"([\0\1])([^\0\1]*)\1")
_ORIGIN_OF = {"\0": Origin.FROM_BASE_IMAGE, "\1": Origin.BUILD_ARG}
_MARK_OF = {Origin.FROM_BASE_IMAGE: "\0", Origin.BUILD_ARG: "\1"}
_PLAIN_WORD = re.compile(r"[^$'\"<]*")


def _typed(marked: str) -> Value:
    parts: list[str | Value] = []
    pos = 0
    for m in _MARKER.finditer(marked):
        parts += [marked[pos:m.start()], Value.unknown(_ORIGIN_OF[m.group(1)], m.group(2))]
        pos = m.end()
    parts.append(marked[pos:])
    return Value.of(*parts)


def _marked(value: Value) -> str | None:
    out = []
    for p in value.parts:
        if isinstance(p, str):
            out.append(p)
            continue
        origin = next(iter(p.origins)) if len(p.origins) == 1 else None
        if origin not in _MARK_OF or p.expr[0] != "var":
            return None  # an operator over an unknown, an invalid word: not known here
        out.append(f"{_MARK_OF[origin]}{p.expr[1]}{_MARK_OF[origin]}")
    return "".join(out)


def _expand(text: str, env: dict[str, str], escape: str = "\\") -> str | None:
    """The word as BuildKit expands it (model/words), in the walk's marked spelling; None
    when it cannot be known here. A name not in `env` is one the image may set."""
    if escape not in text and _PLAIN_WORD.fullmatch(text):
        return text
    scope = WordScope({k: Binding(_typed(v)) for k, v in env.items()}, Origin.FROM_BASE_IMAGE)
    return _marked(expand_word(text, scope, escape))


def _join(base: str, rel: str) -> str:
    if rel.startswith("/"):
        return posixpath.normpath(rel)
    return posixpath.normpath(posixpath.join(base, rel))
