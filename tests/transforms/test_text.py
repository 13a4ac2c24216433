"""src/dockfix/transforms/_text.py: `split_and_chain` is a regex scan with a fast path for
unquoted commands; it must decide exactly as the plain character walk below does."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.transforms._text import split_and_chain

_COMPLEX = re.compile(r"(;|\|\||\||>|<|\$\(|`|\(|\)|&(?!&))")


def reference_split_and_chain(command: str) -> list[str] | None:
    """The definition: walk the characters, keep quoted and escaped text, split at `&&`
    outside quotes, refuse any other shell syntax there and any unterminated quote."""
    parts: list[str] = []
    buf: list[str] = []
    quote = ""
    i, n = 0, len(command)
    while i < n:
        ch = command[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < n:
                buf.append(command[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch in "'\"":
            quote = ch
            buf.append(ch)
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            buf.append(command[i: i + 2])
            i += 2
            continue
        if command.startswith("&&", i):
            parts.append("".join(buf).strip())
            buf = []
            i += 2
            continue
        if _COMPLEX.match(command, i):
            return None
        buf.append(ch)
        i += 1
    if quote:
        return None
    parts.append("".join(buf).strip())
    if any(not p for p in parts):
        return None
    return parts


@pytest.mark.parametrize("command, expected", [
    ("pip install a && pip install b", ["pip install a", "pip install b"]),
    ("apt-get update &&\n    apt-get install -y curl", ["apt-get update", "apt-get install -y curl"]),
    ("echo 'a && b' && true", ["echo 'a && b'", "true"]),
    ('echo "x \\" && y" && true', ['echo "x \\" && y"', "true"]),
    ("echo a\\;b && true", ["echo a\\;b", "true"]),
    ('echo "$(date)" && true', ['echo "$(date)"', "true"]),
    ("a; b", None), ("a || b", None), ("a | b", None), ("a > f", None), ("a &", None),
    ("a &&& b", None), ("a && && b", None), ("a &&", None), ("echo $(date)", None),
    ("echo 'open", None), ('echo "open \\"', None), ("echo `date`", None), ("trailing \\", ["trailing \\"]),
])
def test_split_and_chain(command: str, expected: list[str] | None) -> None:
    assert split_and_chain(command) == expected
    assert reference_split_and_chain(command) == expected


@settings(max_examples=5000)
@given(st.text(alphabet=st.sampled_from(list("ab $&;|<>`()'\"\\\n\t")), max_size=24))
def test_split_and_chain_is_the_character_walk(command: str) -> None:
    assert split_and_chain(command) == reference_split_and_chain(command)
