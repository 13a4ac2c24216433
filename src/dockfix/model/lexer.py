"""BuildKit's Dockerfile word lexer (`frontend/dockerfile/shell/lex.go`), over typed values.

A line-for-line port of `processStopOn`, `processDollar`, `processSingleQuote`,
`processDoubleQuote`, `processPossibleHeredoc`, `processName`, `convertShellPatternToRegex`,
`trimPrefix`/`trimSuffix`/`reversePattern` and regexp's ReplaceAllString, where a variable's
value (or whether it is set) may be unknown: a modifier is decided when what it depends on
is known, else the result is one unknown part holding the expression and its inputs.
Callers use `dockfix.model.words`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dockfix.model.values import EMPTY, Binding, Origin, Unknown, Value, WordError

if TYPE_CHECKING:
    from dockfix.model.words import Scope


# ------------------------------------------------------------------------------------------
# The lexer
# ------------------------------------------------------------------------------------------
def _is_space(c: str) -> bool:
    """Go's unicode.IsSpace."""
    if c <= "\xff":
        return c in "\t\n\v\f\r \x85\xa0"
    return c.isspace()


class _Buf:
    """A result being built from text and unknown parts."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str | Unknown] = []

    def add(self, v: Value | str) -> None:
        if isinstance(v, str):
            if v:
                if self.parts and isinstance(self.parts[-1], str):
                    self.parts[-1] += v
                else:
                    self.parts.append(v)
            return
        for p in v.parts:
            self.add(p) if isinstance(p, str) else self.parts.append(p)

    def value(self) -> Value:
        return Value(tuple(self.parts))


class _Words:
    """wordsStruct: the split of ProcessWords; `exact` is False once an unknown part could
    hold blanks (an unquoted expansion) or could be empty on its own."""

    def __init__(self) -> None:
        self.words: list[Value] = []
        self.buf = _Buf()
        self.in_word = False
        self.exact = True

    def add_char(self, ch: str) -> None:
        if _is_space(ch) and self.in_word:
            if self.buf.parts:
                self._push()
        elif not _is_space(ch):
            self.add_raw(ch)

    def add_raw(self, v: Value | str) -> None:
        self.buf.add(v)
        self.in_word = True

    def add_string(self, v: Value) -> None:
        for p in v.parts:
            if isinstance(p, str):
                for ch in p:
                    self.add_char(ch)
            else:
                self.exact = False
                self.add_raw(Value((p,)))

    def _push(self) -> None:
        word = self.buf.value()
        if not word.is_known and all(isinstance(p, Unknown) for p in word.parts):
            self.exact = False  # it may be empty, and then it is no word
        self.words.append(word)
        self.buf = _Buf()
        self.in_word = False

    def get(self) -> list[Value]:
        if self.buf.parts:
            self._push()
        return self.words


EOF = ""


class Lexer:
    def __init__(self, text: str, scope: Scope, escape: str, used: list[str] | None,
                 skip_quotes: bool = False) -> None:
        self.text, self.pos, self.n = text, 0, len(text)
        self.scope, self.escape, self.used = scope, escape, used
        self.raw_escapes = False
        self.skip_quotes = skip_quotes

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < self.n else EOF

    def next(self) -> str:
        if self.pos >= self.n:
            return EOF
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    # processStopOn
    def stop_on(self, stop: str, raw_escapes: bool) -> tuple[Value, _Words]:
        old, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = old

    def _stop_on(self, stop: str) -> tuple[Value, _Words]:
        result, words = _Buf(), _Words()
        while self.pos < self.n:
            ch = self.text[self.pos]
            if stop and ch == stop:
                self.pos += 1
                return result.value(), words
            if ch == "$":
                tmp = self.dollar()
                result.add(tmp)
                words.add_string(tmp)
            elif ch == "<":
                tmp = self.possible_heredoc()
                result.add(tmp)
                words.add_raw(tmp)
            elif ch in "'\"" and not self.skip_quotes:
                tmp = self.single_quote() if ch == "'" else self.double_quote()
                result.add(tmp)
                words.add_raw(tmp)
            else:
                ch = self.next()
                if ch == self.escape:
                    if self.raw_escapes:
                        words.add_raw(ch)
                        result.add(ch)
                    ch = self.next()  # escapes the next character, except at the end
                    if ch == EOF:
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.add(ch)
        if stop:
            raise WordError(f"unexpected end of statement while looking for matching {stop}")
        return result.value(), words

    def single_quote(self) -> str:
        self.next()
        start = self.pos
        end = self.text.find("'", start)
        if end < 0:
            raise WordError("unexpected end of statement while looking for matching single-quote")
        self.pos = end + 1
        return self.text[start:end]

    def double_quote(self) -> Value:
        result = _Buf()
        self.next()
        while True:
            ch = self.peek()
            if ch == EOF:
                raise WordError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return result.value()
            if ch == "$":
                result.add(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    result.add(ch)
                nxt = self.peek()
                if nxt == EOF:
                    continue  # then the missing quote is reported
                if nxt in ('"', "$", self.escape):
                    ch = self.next()
            result.add(ch)

    def possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space = []
        while self.peek() in ("\t", "\r", " ") and self.peek() != EOF:
            space.append(self.next())
        return "<<" + "".join(space)

    def name(self) -> str:
        """processName: letters, digits and _; or digits; or one special parameter."""
        start = self.pos
        while self.pos < self.n:
            ch = self.text[self.pos]
            if self.pos == start and ch.isdecimal():
                while self.pos < self.n and self.text[self.pos].isdecimal():
                    self.pos += 1
                return self.text[start:self.pos]
            if self.pos == start and ch in "@*#?-$!0":
                self.pos += 1
                return ch
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            self.pos += 1
        return self.text[start:self.pos]

    def get_env(self, name: str) -> Binding | None:
        if self.used is not None:
            self.used.append(name)
        return self.scope.lookup(name)

    def dollar(self) -> Value:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return Value.known("$")
            b = self.get_env(name)
            return EMPTY if b is None else b.value
        self.next()
        if self.peek() == EOF:
            raise WordError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise WordError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            b = self.get_env(name)
            return EMPTY if b is None else b.value
        if ch == "/":
            return self._replace(name)
        chs, null_is_unset = ch, False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += ch
        elif ch not in ("+", "-", "?", "#", "%"):
            raise WordError(f"unsupported modifier ({ch or '�'}) in substitution")
        return self._modifier(name, ch, chs, null_is_unset)

    def _modifier(self, name: str, ch: str, chs: str, null_is_unset: bool) -> Value:
        raw = ch in ("#", "%")
        if null_is_unset and raw:
            raise WordError(f"unsupported modifier ({chs}) in substitution")
        word = self._word_until("}", raw, "syntax error: missing '}'")
        b = self.get_env(name)
        if ch in ("-", "+", "?"):
            return _conditional(name, ch, chs, null_is_unset, b, word)
        if ch in ("#", "%"):
            return _trim(name, ch, b, word)
        raise WordError(f"unsupported modifier ({chs or '�'}) in substitution")

    def _word_until(self, stop: str, raw: bool, at_eof: str) -> Value:
        try:
            return self.stop_on(stop, raw)[0]
        except WordError:
            if self.peek() == EOF:
                raise WordError(at_eof) from None
            raise

    def _replace(self, name: str) -> Value:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        pattern = self._word_until("/", True, "syntax error: missing '/' in ${}")
        replacement = self._word_until("}", True, "syntax error: missing '}'")
        b = self.get_env(name)
        value = EMPTY if b is None else b.value
        texts = (value.text, pattern.text, replacement.text)
        if None in texts:
            op = "//" if replace_all else "/"
            return _composite((op, name), (value, pattern, replacement), (name,))
        v, p, r = texts
        rx = _pattern_regex(p, True, False)
        if replace_all:
            return Value.known(_replace_all(rx, v, r))
        m = rx.search(v)
        return Value.known(v if m is None else v[:m.start()] + r + v[m.end():])


def _composite(expr: tuple, inputs: tuple[Value, ...], names: tuple[str, ...]) -> Value:
    """An unknown result of an operator: its expression holds every input's parts."""
    origins: set[Origin] = set()
    for v in inputs:
        origins |= v.origins
    allnames = tuple(dict.fromkeys(names + tuple(n for v in inputs for n in v.names)))
    return Value((Unknown(frozenset(origins or {Origin.UNKNOWN}), expr + tuple(v.parts for v in inputs),
                          allnames),))


def _conditional(name: str, ch: str, chs: str, null_is_unset: bool, b: Binding | None, word: Value) -> Value:
    """`-` `+` `?` with or without `:`: decided when whether the variable is set (and, with
    `:`, empty) is known."""
    if b is None:
        use_word: bool | None = True
    else:
        unset: bool | None = None if b.maybe_unset else False
        empty = b.value.empty() if null_is_unset else False
        use_word = _or(unset, empty)
    if use_word is None:
        return _composite(("${", name, chs), (EMPTY if b is None else b.value, word), (name,))
    value = EMPTY if b is None else b.value
    if ch == "-":
        return word if use_word else value
    if ch == "+":
        return EMPTY if use_word else word
    return value if not use_word else _required(name, chs, b, word)


def _required(name: str, chs: str, b: Binding | None, word: Value) -> Value:
    """`?` on an unset (or, with `:`, empty) variable: the build fails with the word as its
    message (BuildKit's default otherwise)."""
    if not word.is_known:  # it fails whatever the message says
        raise WordError(f"{name}: {word.render()}")
    if word.text:
        raise WordError(f"{name}: {word.text}")
    raise WordError(f"{name}: is not allowed to be {'unset' if b is None else 'empty'}")


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _trim(name: str, ch: str, b: Binding | None, word: Value) -> Value:
    value = EMPTY if b is None else b.value
    v, w = value.text, word.text
    if v is None or w is None:
        return _composite(("${", name, ch), (value, word), (name,))
    greedy = bool(w) and w[0] == ch
    if greedy:
        w = w[1:]
    if ch == "%":
        return Value.known(_trim_suffix(w, v, greedy))
    return Value.known(_trim_prefix(w, v, greedy))


_REGEX_SPECIAL = frozenset("[]{}.+()|^$")


def _pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """convertShellPatternToRegex: `*` and `?`, `\\` escapes `*` `?` `\\` (and is dropped
    before `}` and `/`)."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i, n = 0, len(pattern)
    while i < n:
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(star)
            continue
        if tok == "?":
            out.append(".")
            continue
        if tok == "\\":
            if i < n and pattern[i] in "}/":
                continue
            tok = pattern[i] if i < n else ""
            i += 1
            if tok not in ("*", "?", "\\"):
                raise WordError(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{tok}'")
            out.append("\\" + tok)
            continue
        out.append("\\" + tok if tok in _REGEX_SPECIAL else tok)
    return re.compile("".join(out))


def _trim_prefix(word: str, value: str, greedy: bool) -> str:
    m = _pattern_regex(word, greedy, True).search(value)
    return value if m is None else value[m.end():]


def _reverse_pattern(pattern: str) -> str:
    """reversePattern: reverse, keeping each escape before the character it escapes."""
    out = [""] * len(pattern)
    last = len(pattern) - 1
    i = 0
    while i <= last:
        tok = pattern[i]
        j = last - i
        if tok == "\\" and i != last:
            out[j - 1] = tok
            out[j] = pattern[i + 1]
            i += 2
        else:
            out[j] = tok
            i += 1
    return "".join(out)


def _trim_suffix(pattern: str, word: str, greedy: bool) -> str:
    return _trim_prefix(_reverse_pattern(pattern), word[::-1], greedy)[::-1]


def _replace_all(rx: re.Pattern[str], src: str, template: str) -> str:
    """regexp.ReplaceAllString: Go skips an empty match right after a match (Python's sub
    does not), and expands `$` in the replacement."""
    out: list[str] = []
    pos = last_end = 0
    while pos <= len(src):
        m = rx.search(src, pos)
        if m is None:
            break
        out.append(src[last_end:m.start()])
        if m.end() > last_end or m.start() == 0:
            out.append(_go_expand(template, m))
        last_end = m.end()
        pos = pos + 1 if pos + 1 > m.end() else m.end()
    out.append(src[last_end:])
    return "".join(out)


_GO_TEMPLATE = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def _go_expand(template: str, m: re.Match[str]) -> str:
    """regexp.ReplaceAllString's template: `$$`, `$n`/`${n}` (the patterns have no groups:
    only $0 is the match), `$name` (none: empty); a malformed `$` stays."""
    def sub(t: re.Match[str]) -> str:
        if t.group(0) == "$$":
            return "$"
        ref = t.group(1) or t.group(2)
        return m.group(0) if ref.isdecimal() and int(ref) == 0 else ""

    return _GO_TEMPLATE.sub(sub, template)
