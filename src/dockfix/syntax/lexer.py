"""Character-level rules of BuildKit's Dockerfile parser, ported from Go.

Sources: moby/buildkit frontend/dockerfile/parser/{parser,line_parsers,split_command}.go
and frontend/dockerfile/shell/lex.go. Where the PyPI `dockerfile` binding (BuildKit
v0.9.0) and current BuildKit differ, we follow current BuildKit and say so.

Text is handled as `str` decoded with `surrogateescape`, so undecodable bytes survive
as lone surrogates; Go decodes them to U+FFFD where it decodes runes, and so do we.
"""

from __future__ import annotations

import functools
import re

# Go's unicode.IsSpace: the White_Space property (Python's str.isspace differs: it also
# counts U+001C..U+001F).
_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# reWhitespace in parser.go: the separator for FROM/EXPOSE/COPY lists and the command word.
WHITESPACE_RE = re.compile(r"[\t\v\f\r ]+")


def is_space(ch: str) -> bool:
    return ch in _GO_SPACE


# The ASCII members of _GO_SPACE: str.strip() with no argument would also take U+001C..U+001F.
_ASCII_SPACE = "\t\n\v\f\r "


def lstrip_space(s: str) -> str:
    """bytes.TrimLeftFunc(s, unicode.IsSpace)."""
    t = s.lstrip(_ASCII_SPACE)
    if not t or t[0] < "\x80":  # the common case: C speed, nothing non-ASCII to look at
        return t
    i = 0
    n = len(t)
    while i < n and t[i] in _GO_SPACE:
        i += 1
    return lstrip_space(t[i:]) if i else t


def strip_space(s: str) -> str:
    """strings.TrimSpace."""
    s = lstrip_space(s)
    t = s.rstrip(_ASCII_SPACE)
    if not t or t[-1] < "\x80":
        return t
    j = len(t)
    while j and t[j - 1] in _GO_SPACE:
        j -= 1
    return strip_space(t[:j]) if j < len(t) else t


def trim_newline(s: str) -> str:
    """bytes.TrimRight(s, "\\r\\n")."""
    return s.rstrip("\r\n")


def go_runes(s: str) -> str:
    """What Go sees when it decodes runes: undecodable bytes become U+FFFD."""
    if s.isascii():
        return s
    return "".join("\ufffd" if "\udc80" <= c <= "\udcff" else c for c in s)


@functools.lru_cache(maxsize=None)
def continuation_regex(escape: str) -> re.Pattern[str]:
    """setEscapeToken: the escape token ends a line unless an escape token precedes it."""
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")


def trim_continuation(line: str, escape: str) -> tuple[str, bool]:
    """Returns (line without the continuation token, is_end_of_line)."""
    if not line.rstrip(" \t\n").endswith(escape):
        return line, True  # most lines: the regex could not match, so skip its scan
    m = continuation_regex(escape).search(line)
    if m is None:
        return line, True
    return line[: m.start()] + (m.group(1) or ""), False


def split_command(line: str, escape: str) -> tuple[str, list[str], str]:
    """splitCommand: the instruction word, its `--flags`, and the rest (trimmed)."""
    parts = WHITESPACE_RE.split(strip_space(line), maxsplit=1)
    flags: list[str] = []
    args = ""
    if len(parts) == 2:
        args, flags = extract_builder_flags(parts[1], escape)
    return parts[0], flags, strip_space(args)


def extract_builder_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """extractBuilderFlags. Go walks this string byte by byte (not rune by rune), so a
    non-ASCII flag comes out as the Latin-1 reading of its UTF-8 bytes; we do the same.
    Current BuildKit escapes with the file's escape token (v0.9.0 always used `\\`)."""
    if not line.startswith("--") and not lstrip_space(line).startswith("--"):
        return line, []
    raw = line.encode("utf-8", "surrogateescape")
    esc = ord(escape)
    n = len(raw)
    words: list[str] = []
    word: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    quote = 0
    blank_ok = False
    pos = 0
    ch = 0

    def rest(p: int) -> str:
        return raw[p:].decode("utf-8", "surrogateescape")

    while pos <= n:
        if pos != n:
            ch = raw[pos]
        if phase == in_spaces:
            if pos == n:
                break
            if chr(ch) in _GO_SPACE:
                pos += 1
                continue
            if ch != 0x2D or pos + 1 == n or raw[pos + 1] != 0x2D:
                return rest(pos), words
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            w = "".join(word)
            if w != "--" and (blank_ok or w):
                words.append(w)
            break
        if phase == in_word:
            if chr(ch) in _GO_SPACE:
                phase = in_spaces
                w = "".join(word)
                if w == "--":
                    return rest(pos), words
                if blank_ok or w:
                    words.append(w)
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in (0x27, 0x22):
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == esc:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = raw[pos]
            word.append(chr(ch))
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
                pos += 1
                continue
            if ch == esc:
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                ch = raw[pos]
            word.append(chr(ch))
            pos += 1
    return "", words


# What makes parse_words walk the characters: quotes, the escape token, and U+001C..U+001F
# (which str.split() takes as spaces and Go does not); non-ASCII text is tested apart (a
# class up to U+10FFFF takes 7 ms to compile, at every start).
_PLAIN_WORDS = {e: re.compile("[\"'\x1c-\x1f" + re.escape(e) + "]") for e in ("\\", "`")}


def parse_words(rest: str, escape: str) -> list[str]:
    """parseWords (line_parsers.go): split on spaces, keep quotes and escapes in the words."""
    if rest.isascii() and _PLAIN_WORDS[escape].search(rest) is None:
        return rest.split()  # ASCII, nothing quoted or escaped: the walk splits the same
    return walk_words(rest, escape)


def walk_words(rest: str, escape: str) -> list[str]:
    """parse_words, character by character as Go does."""
    rest = go_runes(rest)
    words: list[str] = []
    word: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    quote = ""
    blank_ok = False
    n = len(rest)
    pos = 0
    ch = ""
    while pos <= n:
        if pos != n:
            ch = rest[pos]
        if phase == in_spaces:
            if pos == n:
                break
            if ch in _GO_SPACE:
                pos += 1
                continue
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            if blank_ok or word:
                words.append("".join(word))
            break
        if phase == in_word:
            if ch in _GO_SPACE:
                phase = in_spaces
                if blank_ok or word:
                    words.append("".join(word))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                word.append(ch)
                ch = rest[pos]
            word.append(ch)
            pos += 1
    return words


class ShellLexError(ValueError):
    pass


_SPECIAL_PARAMS = frozenset("@*#?-$!0")


class ShellWords:
    """shell/lex.go with an empty environment and SkipUnsetEnv: word splitting with
    quotes, escapes and `$` references kept as written. Used to find heredoc words."""

    def __init__(self, raw_quotes: bool, raw_escapes: bool, escape: str = "\\"):
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.escape = escape

    def words(self, text: str) -> list[str]:
        self.s = go_runes(text)
        self.i = 0
        _, words = self._stop_on(None)
        return words

    # -- scanner
    def _peek(self) -> str | None:
        return self.s[self.i] if self.i < len(self.s) else None

    def _next(self) -> str | None:
        if self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            return c
        return None

    def _stop_on(self, stop: str | None) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while self._peek() is not None:
            ch = self._peek()
            if stop is not None and ch == stop:
                self._next()
                return "".join(result), words.get()
            if ch in ("'", '"', "$"):
                tmp = (self._single_quote() if ch == "'" else
                       self._double_quote() if ch == '"' else self._dollar())
                result.append(tmp)
                if ch == "$":
                    words.add_string(tmp)
                else:
                    words.add_raw_string(tmp)
                continue
            ch = self._next()
            if ch == self.escape:
                if self.raw_escapes:
                    words.add_raw_char(ch)
                ch = self._next()
                if ch is None:
                    break
                words.add_raw_char(ch)
            else:
                words.add_char(ch)
            result.append(ch)
        if stop is not None:
            raise ShellLexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.get()

    def _single_quote(self) -> str:
        out: list[str] = []
        ch = self._next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            ch = self._next()
            if ch is None:
                raise ShellLexError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def _double_quote(self) -> str:
        out: list[str] = []
        ch = self._next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            p = self._peek()
            if p is None:
                raise ShellLexError("unexpected end of statement while looking for matching double-quote")
            if p == '"':
                ch = self._next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if p == "$":
                out.append(self._dollar())
                continue
            ch = self._next()
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                q = self._peek()
                if q is None:
                    continue
                if q in ('"', "$", self.escape):
                    ch = self._next()
            out.append(ch)

    def _dollar(self) -> str:
        self._next()
        if self._peek() != "{":
            name = self._name()
            return "$" + name  # unset and SkipUnsetEnv: kept as written
        self._next()
        p = self._peek()
        if p is None:
            raise ShellLexError("syntax error: missing '}'")
        if p in "{}:":
            raise ShellLexError("syntax error: bad substitution")
        name = self._name()
        ch = self._next()
        if ch == "}":
            return "${" + name + "}"
        if ch == "?":
            word = self._word_until_brace()
            return "${" + name + "?" + word + "}"
        if ch == ":":
            modifier = self._next()
            word = self._word_until_brace()
            if modifier in ("+", "-", "?"):
                return "${" + name + ":" + modifier + word + "}"
            raise ShellLexError(f"unsupported modifier ({modifier}) in substitution")
        raise ShellLexError("missing ':' in substitution")

    def _word_until_brace(self) -> str:
        try:
            word, _ = self._stop_on("}")
        except ShellLexError:
            if self._peek() is None:
                raise ShellLexError("syntax error: missing '}'") from None
            raise
        return word

    def _name(self) -> str:
        name: list[str] = []
        while self._peek() is not None:
            ch = self._peek()
            if not name and ch.isdigit() and ch.isascii():
                while self._peek() is not None and self._peek().isdigit():
                    name.append(self._next())
                return "".join(name)
            if not name and ch in _SPECIAL_PARAMS:
                return self._next()
            if not (ch.isalpha() or ch.isdigit() or ch == "_"):
                break
            name.append(self._next())
        return "".join(name)


class _Words:
    __slots__ = ("word", "words", "in_word")

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _GO_SPACE:
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.word += ch
        self.in_word = True

    def add_string(self, s: str) -> None:
        for ch in s:
            self.add_char(ch)

    def add_raw_string(self, s: str) -> None:
        self.word += s
        self.in_word = True

    def get(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words
