"""src/dockfix/syntax/lexer.py: space trimming and word splitting have C-speed paths for plain
ASCII; they must do exactly what Go's character loops do (unicode.IsSpace, parseWords)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.syntax.lexer import (_GO_SPACE, lstrip_space, parse_words, strip_space, trim_continuation,
                                   trim_continuation_by_regex, walk_words)

# Every Go space, the C0 separators str.isspace() also counts (U+001C..U+001F, not Go
# spaces), and ordinary characters.
TEXT = st.text(alphabet=st.sampled_from(sorted(_GO_SPACE) + list("\x1c\x1f ab#\u00e9")), max_size=12)


def _reference_lstrip(s: str) -> str:
    i = 0
    while i < len(s) and s[i] in _GO_SPACE:
        i += 1
    return s[i:]


def _reference_strip(s: str) -> str:
    s = _reference_lstrip(s)
    j = len(s)
    while j and s[j - 1] in _GO_SPACE:
        j -= 1
    return s[:j]


@settings(max_examples=3000)
@given(TEXT)
def test_lstrip_space_trims_go_spaces(s: str) -> None:
    assert lstrip_space(s) == _reference_lstrip(s)


@settings(max_examples=3000)
@given(TEXT)
def test_strip_space_trims_go_spaces(s: str) -> None:
    assert strip_space(s) == _reference_strip(s)


def test_c0_separators_are_not_spaces() -> None:
    assert lstrip_space("\x1c a") == "\x1c a"
    assert strip_space(" \u3000a\x1f\u2003 ") == "a\x1f"


WORDS = st.text(alphabet=st.sampled_from(list(" \t\x0b\x1c\xa0\u3000ab=$'\"\\`\udc80")), max_size=16)


@settings(max_examples=3000)
@given(WORDS, st.sampled_from(["\\", "`"]))
def test_parse_words_fast_path_is_the_walk(rest: str, escape: str) -> None:
    assert parse_words(rest, escape) == walk_words(rest, escape)


LINES = st.text(alphabet=st.sampled_from(list(" \t\n\r\\`ab\x0b")), max_size=10)


@settings(max_examples=5000)
@given(LINES, st.sampled_from(["\\", "`"]))
def test_trim_continuation_is_the_regex(line: str, escape: str) -> None:
    assert trim_continuation(line, escape) == trim_continuation_by_regex(line, escape)
