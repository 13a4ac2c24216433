"""`shlex.split`, without building a shlex object for the common case.

Most RUN lines, ENV values and command lines have no quotes, escapes or comments; for
them POSIX word splitting is splitting on blanks, and shlex's per-call set-up cost
dominated whole runs on large repositories. Anything else goes to shlex, unchanged.
"""

from __future__ import annotations

import re
import shlex

# Characters that make shlex do more than split on ' \t\r\n' (quotes, escape), and the
# blanks str.split() would split on but shlex would not.
_SPECIAL = re.compile(r"[\"'\\\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_SPECIAL_OR_COMMENT = re.compile(_SPECIAL.pattern[:-1] + "#]")


def split(text: str, comments: bool = False) -> list[str]:
    """Exactly `shlex.split(text, comments=comments)` (raises ValueError as it does)."""
    if (_SPECIAL_OR_COMMENT if comments else _SPECIAL).search(text) is None:
        return text.split()
    return shlex.split(text, comments=comments)


_OPERATOR = ";&|()<>"
_TOKEN = re.compile(r"[;&|()<>]+|[^ \t\r\n;&|()<>]+")


def split_operators(line: str) -> list[str]:
    """Words and runs of operator characters (`&&`, `;`, `2>&1` is `2`, `>&`, `1`), as
    `shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")` with whitespace_split
    and no commenters gives them (raises ValueError on unbalanced quotes, as it does)."""
    if _SPECIAL.search(line) is None:
        return _TOKEN.findall(line)
    lex = shlex.shlex(line, posix=True, punctuation_chars=_OPERATOR)
    lex.whitespace_split = True
    lex.commenters = ""
    return list(lex)
