"""The shell commands of a RUN this transform reads: a plain `a && b && c` chain, nothing else.

Replaced by the shared shell reader (`dockfix.model.shell`) when it lands; `_split_chain` and
`_walk_chain` keep their signatures until then.
"""

from __future__ import annotations

import re

from dockfix.syntax import Instruction

_RESERVED = frozenset({"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
                       "while", "until", "for", "in", "function", "select", "time", "[[", "]]"})


def _split_chain(script: str) -> list[list[tuple[str, bool]]] | None:
    """A shell-form RUN as `a && b && c`: per simple command, its words (quotes removed)
    and whether the shell would still expand each (`$x`, globs, a leading `~`). None for
    any other shell syntax (`;`, `||`, pipes, redirections, subshells, substitutions,
    comments, newlines, reserved words), which this transform does not read."""
    if _CHAIN_SPECIAL.search(script) is None:
        # Nothing quoted, escaped or expanded: split at `&&`, then at blanks (as the walk does).
        cmds = [[(w, False) for w in _BLANKS.split(part) if w] for part in script.split("&&")]
        if "&" in script.replace("&&", "") or not all(cmds) or any(cmd[0][0] in _RESERVED for cmd in cmds):
            return None
        return cmds
    return _walk_chain(script)


# What sends `_split_chain` through the character walk: quotes, escapes, expansions, and
# the syntax it refuses (a lone `&` is checked on the fast path).
_CHAIN_SPECIAL = re.compile(r"[\"'\\$*?\[~;|<>()`\n\r#]")
_BLANKS = re.compile(r"[ \t]+")


def _walk_chain(script: str) -> list[list[tuple[str, bool]]] | None:
    """`_split_chain`, character by character."""
    cmds: list[list[tuple[str, bool]]] = [[]]
    word: list[str] = []
    expands = False
    in_word = False
    i, n = 0, len(script)

    def end_word() -> None:
        nonlocal word, expands, in_word
        if in_word:
            cmds[-1].append(("".join(word), expands))
        word, expands, in_word = [], False, False

    while i < n:
        c = script[i]
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "&" and script.startswith("&&", i):
            end_word()
            if not cmds[-1]:
                return None
            cmds.append([])
            i += 2
            continue
        if c in ";|&<>()`\n\r" or (c == "#" and not in_word):
            return None
        in_word = True
        if c == "'":
            j = script.find("'", i + 1)
            if j < 0:
                return None
            word.append(script[i + 1:j])
            i = j + 1
        elif c == '"':
            i += 1
            while i < n and script[i] != '"':
                ch = script[i]
                if ch == "\\" and i + 1 < n and script[i + 1] in '$`"\\':
                    word.append(script[i + 1])
                    i += 2
                    continue
                if ch == "`" or (ch == "$" and script.startswith("$(", i)):
                    return None
                if ch == "$":
                    expands = True
                word.append(ch)
                i += 1
            if i >= n:
                return None
            i += 1
        elif c == "\\":
            if i + 1 >= n:
                return None
            word.append(script[i + 1])
            i += 2
        else:
            if c == "$" and script.startswith("$(", i):
                return None
            if c in "$*?[" or (c == "~" and not word):
                expands = True
            word.append(c)
            i += 1
    end_word()
    if not cmds[-1] or any(cmd[0][0] in _RESERVED for cmd in cmds):
        return None
    return cmds


def _mount_types(ins: Instruction) -> list[str]:
    out = []
    for spec in ins.flag_values("mount"):
        kind = "bind"
        for part in spec.split(","):
            k, _, v = part.partition("=")
            if k.strip().lower() == "type":
                kind = v.strip().lower()
        out.append(kind)
    return out
