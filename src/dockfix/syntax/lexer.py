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
    """Returns (line without the continuation token, is_end_of_line): what `continuation_regex`
    finds, by string methods (its search tries every position of the line: a 40,000-line RUN
    spent a third of its parse there). The token can only be the last character before the
    blanks and the one newline `$` allows; an escape token before it escapes it instead
    (tests/syntax/test_lexer.py compares the two)."""
    body = line[:-1] if line.endswith("\n") else line
    kept = body.rstrip(" \t")
    if not kept.endswith(escape):
        return line, True
    end = len(kept) - 1
    if end == 0:
        return "", False
    if kept[end - 1] == escape:
        return line, True
    return line[:end], False


def trim_continuation_by_regex(line: str, escape: str) -> tuple[str, bool]:
    """`trim_continuation` by BuildKit's regex, as the reference its test compares with."""
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
    return _FlagWalk(line.encode("utf-8", "surrogateescape"), ord(escape)).run()


# The phases of Go's word walks (inSpaces, inWord, inQuote), and what one step says.
_SPACES, _WORD, _QUOTE = 0, 1, 2
_NEXT, _DONE = "next", "done"


class _FlagWalk:
    """extractBuilderFlags' loop, one method per phase: the flags before the first word
    that is not one, and the rest of the line."""

    __slots__ = ("raw", "n", "esc", "pos", "ch", "phase", "quote", "blank_ok", "word", "words")

    def __init__(self, raw: bytes, esc: int):
        self.raw, self.n, self.esc = raw, len(raw), esc
        self.pos = self.ch = self.quote = 0
        self.phase = _SPACES
        self.blank_ok = False
        self.word: list[str] = []
        self.words: list[str] = []

    def run(self) -> tuple[str, list[str]]:
        while self.pos <= self.n:
            if self.pos != self.n:
                self.ch = self.raw[self.pos]
            step = self._step()
            if step is _DONE:
                break
            if step is not _NEXT:
                return step
        return "", self.words

    def _rest(self):
        return self.raw[self.pos:].decode("utf-8", "surrogateescape"), self.words

    def _step(self):
        if self.phase == _SPACES:
            step = self._spaces()
            if step is not None:
                return step
        if self.pos == self.n:  # the line ends inside a word
            w = "".join(self.word)
            if w != "--" and (self.blank_ok or w):
                self.words.append(w)
            return _DONE
        return self._in_word() if self.phase == _WORD else self._in_quote()

    def _spaces(self):
        """Between words: skip blanks; a word not starting with `--` ends the flags."""
        if self.pos == self.n:
            return _DONE
        if chr(self.ch) in _GO_SPACE:
            self.pos += 1
            return _NEXT
        if self.ch != 0x2D or self.pos + 1 == self.n or self.raw[self.pos + 1] != 0x2D:
            return self._rest()
        self.phase = _WORD
        return None

    def _in_word(self):
        ch = self.ch
        if chr(ch) in _GO_SPACE:
            self.phase = _SPACES
            w = "".join(self.word)
            if w == "--":
                return self._rest()
            if self.blank_ok or w:
                self.words.append(w)
            self.word = []
            self.blank_ok = False
            self.pos += 1
            return _NEXT
        if ch in (0x27, 0x22):
            self.quote, self.blank_ok, self.phase = ch, True, _QUOTE
            self.pos += 1
            return _NEXT
        return self._take(ch)

    def _in_quote(self):
        if self.ch == self.quote:
            self.phase = _WORD
            self.pos += 1
            return _NEXT
        return self._take(self.ch)

    def _take(self, ch: int):
        """Add a byte to the word; the escape token takes the next byte literally (at the
        end of the line it is dropped, and a quote left open ends)."""
        if ch == self.esc:
            if self.pos + 1 == self.n:
                self.phase = _WORD
                self.pos += 1
                return _NEXT
            self.pos += 1
            ch = self.raw[self.pos]
        self.word.append(chr(ch))
        self.pos += 1
        return _NEXT


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
    return _WordWalk(go_runes(rest), escape).run()


class _WordWalk:
    """parseWords' loop, one method per phase: quotes and escapes stay in the words."""

    __slots__ = ("rest", "n", "escape", "pos", "ch", "phase", "quote", "blank_ok", "word", "words")

    def __init__(self, rest: str, escape: str):
        self.rest, self.n, self.escape = rest, len(rest), escape
        self.pos = 0
        self.ch = self.quote = ""
        self.phase = _SPACES
        self.blank_ok = False
        self.word: list[str] = []
        self.words: list[str] = []

    def run(self) -> list[str]:
        while self.pos <= self.n:
            if self.pos != self.n:
                self.ch = self.rest[self.pos]
            if self.phase == _SPACES:
                if self.pos == self.n:
                    break
                if self.ch in _GO_SPACE:
                    self.pos += 1
                    continue
                self.phase = _WORD
            if self.pos == self.n:  # the text ends inside a word
                if self.blank_ok or self.word:
                    self.words.append("".join(self.word))
                break
            if self.phase == _WORD:
                self._in_word()
            else:
                self._in_quote()
        return self.words

    def _in_word(self) -> None:
        ch = self.ch
        if ch in _GO_SPACE:
            self.phase = _SPACES
            if self.blank_ok or self.word:
                self.words.append("".join(self.word))
            self.word = []
            self.blank_ok = False
            self.pos += 1
            return
        if ch in ("'", '"'):
            self.quote, self.blank_ok, self.phase = ch, True, _QUOTE
        if ch == self.escape:
            if self.pos + 1 == self.n:
                self.pos += 1
                return
            self.word.append(ch)
            self.pos += 1
            ch = self.rest[self.pos]
        self.word.append(ch)
        self.pos += 1

    def _in_quote(self) -> None:
        ch = self.ch
        if ch == self.quote:
            self.phase = _WORD
        if ch == self.escape and self.quote != "'":
            if self.pos + 1 == self.n:
                self.phase = _WORD
                self.pos += 1
                return
            self.pos += 1
            self.word.append(ch)
            ch = self.rest[self.pos]
        self.word.append(ch)
        self.pos += 1


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
