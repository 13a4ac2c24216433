"""Word expansion as BuildKit's ProcessWord does it for ENV, WORKDIR and COPY, symbolically.

A variable the external image may set is the marker \\0NAME\\0 (both files start from the same
image, so the marker means the same in both); a build argument is \\1NAME\\1 (its value can
differ between builds, so nothing holding one is ever "the same").
"""

from __future__ import annotations

import posixpath
import re

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}$]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def _expand(text: str, env: dict[str, str], escape: str = "\\") -> str | None:
    """The word after quote removal and `$VAR`, `${VAR}`, `${VAR:-w}`, `${VAR-w}`,
    `${VAR:+w}`, `${VAR+w}` expansion; None when it cannot be known here."""
    out: list[str] = []
    i, n = 0, len(text)
    quote = ""
    while i < n:
        c = text[i]
        if c == escape and quote != "'":
            if i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            out.append(c)
            i += 1
            continue
        if c in "'\"":
            if not quote:
                quote = c
                i += 1
                continue
            if quote == c:
                quote = ""
                i += 1
                continue
        if c == "$" and quote != "'":
            m = _VAR.match(text, i)
            if m is None:
                if i + 1 < n and text[i + 1] == "{":
                    return None  # ${V#p} and friends: not evaluated here
                out.append(c)
                i += 1
                continue
            name = m.group(1) or m.group(4)
            op, word = m.group(2), m.group(3) or ""
            val = env.get(name)
            if val is None:
                val = f"\0{name}\0"
                if op:
                    return None  # whether the image sets it decides: unknown here
            if op == ":-":
                val = val or word
            elif op == ":+":
                val = word if val else ""
            elif op == "+":
                val = word
            out.append(val)
            i = m.end()
            continue
        out.append(c)
        i += 1
    return None if quote else "".join(out)


def _join(base: str, rel: str) -> str:
    if rel.startswith("/"):
        return posixpath.normpath(rel)
    return posixpath.normpath(posixpath.join(base, rel))
