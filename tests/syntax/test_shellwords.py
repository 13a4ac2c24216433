"""src/dockfix/syntax/shellwords.py is shlex with a fast path: it must be shlex exactly."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.syntax import shellwords

# Words, quotes, escapes, comments, operators and every kind of blank str.split() knows.
TEXT = st.text(alphabet=st.sampled_from(list("ab=$-./ #'\"\\;&|()<>\t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000")),
               max_size=16)


def _outcome(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError as err:
        return ("ValueError", str(err))


def _shlex_operators(line: str) -> list[str]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = ""
    return list(lex)


@settings(max_examples=3000)
@given(TEXT, st.booleans())
def test_split_is_shlex_split(text: str, comments: bool) -> None:
    assert _outcome(shellwords.split, text, comments=comments) == _outcome(shlex.split, text, comments=comments)


@settings(max_examples=3000)
@given(TEXT.filter(lambda t: "\n" not in t and "\r" not in t))
def test_split_operators_is_shlex_with_punctuation(line: str) -> None:
    assert _outcome(shellwords.split_operators, line) == _outcome(_shlex_operators, line)
