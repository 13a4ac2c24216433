"""The transforms' word readers now go through model/words: BuildKit's expansion, and None
(the transform's "cannot read" path) whenever a value is not known."""

from __future__ import annotations

import pytest

from dockfix.syntax import parse
from dockfix.transforms._image_user import expand
from dockfix.transforms.prune_dockerignore.builds import _expand_source


@pytest.mark.parametrize("text,expected", [
    (b"ARG A=x\nFROM scratch\nCOPY $A /\n", None),  # a global ARG is not visible until redeclared
    (b"ARG A=x\nFROM scratch\nARG A\nCOPY $A /\n", "x"),
    (b"FROM scratch\nARG V\nCOPY $V /\n", None),  # a build may pass V
    (b'FROM scratch\nENV D="a b"\nCOPY ${D}/f /\n', "a b/f"),
    (b"FROM scratch\nENV D=a\nCOPY ${D%a}b /\n", "b"),
    (b"FROM scratch\nCOPY $HOME/f /\n", None),  # the base image may set HOME
    (b"FROM scratch\nCOPY \"a\"b /\n", "ab"),
    (b"FROM scratch\nCOPY \"a b\" /\n", None),  # the parser splits at blanks: `"a` is an unclosed quote
    (b"# escape=`\nFROM scratch\nENV D=a\nCOPY `$D /\n", "$D"),
])
def test_prune_reads_copy_sources_as_buildkit(text: bytes, expected: str | None) -> None:
    doc = parse(text)
    ins = doc.instructions[-1]
    assert _expand_source(doc, ins, ins.value[0]) == expected


def test_non_root_expand_is_known_or_none() -> None:
    assert expand('"/srv/app"', {}) == "/srv/app"
    assert expand("$A/x", {}) is None
    assert expand("${A:-d}", {"A": ""}) == "d"
    assert expand("${A", {"A": "1"}) is None  # BuildKit: missing '}'
