"""Dockerfile words: BuildKit's shell lexer (`frontend/dockerfile/shell/lex.go`) with typed values.

BuildKit expands the words of ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR
and ARG (and ONBUILD's instruction when it runs) with its own small lexer, not with a shell:
quotes, the escape character of the `# escape=` directive, `$V`, `${V}` and the modifiers
`-` `:-` `+` `:+` `?` `:?` `#` `##` `%` `%%` `/` `//`. RUN, CMD and ENTRYPOINT are left to the
shell. This module ports `processStopOn`, `processDollar`, `processSingleQuote`,
`processDoubleQuote`, `processName` and the pattern helpers line for line, over values that
may be partly unknown: a variable the base image may set, an ARG a build may pass, a
platform. A value is known only when every part of it is; an unknown part keeps where it
came from (`Origin`) and its expression, so two unknowns are equal only when they are the
same expression of the same inputs. A word BuildKit rejects is an unknown of origin INVALID
with BuildKit's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

# dockerfile2llb: the commands that implement SupportsSingleWordExpansion (EXPOSE through
# dispatchExpose's ProcessWords, ARG through dispatchArg, FROM through the global ARGs,
# ONBUILD's instruction when a child image runs it). RUN expands only its --mount flags.
EXPANDING = frozenset({"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME",
                       "WORKDIR", "ONBUILD", "ARG"})

# platform.go defaultArgs: set for every build, their values decided by the build's platform.
PLATFORM_ARGS = ("BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM",
                 "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE")


class Origin(Enum):
    """Why a part of a value is unknown."""

    FROM_BASE_IMAGE = "set by the base image"  # an env var an image may set that the model does not know
    BUILD_ARG = "a build argument"  # an ARG without default (or a platform ARG) a build sets
    UNKNOWN = "unknown"  # anything else the reader cannot know
    INVALID = "rejected by BuildKit"  # the build fails on this word


@dataclass(frozen=True)
class Unknown:
    """One unknown part: `expr` is the expression with its inputs, nested tuples of names,
    operators and the parts of the values involved (equality means the same expression of
    the same inputs)."""

    origins: frozenset[Origin]
    expr: tuple
    names: tuple[str, ...] = ()  # the variables involved
    message: str = ""  # INVALID: BuildKit's error

    def render(self) -> str:
        if Origin.INVALID in self.origins:
            return f"<invalid: {self.message}>"
        return "${" + ",".join(self.names) + "}" if self.names else "<unknown>"


Part = "str | Unknown"


@dataclass(frozen=True)
class Value:
    """A word's value: known text and unknown parts, in order. Adjacent texts are merged and
    empty ones dropped, so equal values have equal parts."""

    parts: tuple[str | Unknown, ...] = ()

    @staticmethod
    def of(*parts: str | Unknown | "Value") -> "Value":
        out: list[str | Unknown] = []
        for p in parts:
            for q in (p.parts if isinstance(p, Value) else (p,)):
                if isinstance(q, str):
                    if not q:
                        continue
                    if out and isinstance(out[-1], str):
                        out[-1] += q
                        continue
                out.append(q)
        return Value(tuple(out))

    @staticmethod
    def known(text: str) -> "Value":
        return Value((text,)) if text else EMPTY

    @staticmethod
    def unknown(origin: Origin, name: str = "", expr: tuple | None = None) -> "Value":
        return Value((Unknown(frozenset({origin}), expr or ("var", name), (name,) if name else ()),))

    @staticmethod
    def invalid(message: str) -> "Value":
        return Value((Unknown(frozenset({Origin.INVALID}), ("invalid", message), (), message),))

    def __add__(self, other: "Value") -> "Value":
        return Value.of(self, other)

    @property
    def is_known(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    @property
    def text(self) -> str | None:
        """The text when known, else None."""
        if not self.parts:
            return ""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        return "".join(self.parts) if self.is_known else None  # type: ignore[arg-type]

    @property
    def unknowns(self) -> tuple[Unknown, ...]:
        return tuple(p for p in self.parts if isinstance(p, Unknown))

    @property
    def origins(self) -> frozenset[Origin]:
        return frozenset(o for u in self.unknowns for o in u.origins)

    @property
    def names(self) -> tuple[str, ...]:
        """The variables the unknown parts depend on (first seen first)."""
        return tuple(dict.fromkeys(n for u in self.unknowns for n in u.names))

    @property
    def is_invalid(self) -> bool:
        return Origin.INVALID in self.origins

    def empty(self) -> bool | None:
        """Whether the value is "": None when it cannot be known."""
        if any(isinstance(p, str) for p in self.parts):
            return False  # texts are never empty: known non-empty text
        return True if not self.parts else None

    def render(self) -> str:
        """For messages: known text, unknown parts as ${NAME}."""
        return "".join(p if isinstance(p, str) else p.render() for p in self.parts)

    def __str__(self) -> str:
        return self.render()


EMPTY = Value(())


@dataclass(frozen=True)
class Binding:
    """What a name reads as: `value` when set; `maybe_unset`: whether it is set is itself
    unknown (then `value` is wholly unknown)."""

    value: Value
    maybe_unset: bool = False


class WordError(Exception):
    """BuildKit's lexer rejects the word (its message)."""


# ------------------------------------------------------------------------------------------
# Scope: what `getEnv(d.state)` holds at an instruction
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """The variables a word can read, in BuildKit's order: the base image's env, then the
    stage's ARG and ENV as they come (a later one replaces an earlier one of the same name,
    as llb.State.AddEnv does). `unbound`: what a name not in `bound` reads as: None when it
    is unset (the base's env is known whole), else unknown from that origin."""

    bound: Mapping[str, Binding] = field(default_factory=dict)
    unbound: Origin | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    globals: Mapping[str, Binding] = field(default_factory=dict)  # global ARGs, for redeclaration
    # `build_args` are all the build passes (an ARG without default and without one is unset,
    # as BuildKit reads that build), or a build may pass others (it is a BUILD_ARG unknown).
    args_complete: bool = False

    def lookup(self, name: str) -> Binding | None:
        """None: unset."""
        b = self.bound.get(name)
        if b is not None:
            return b
        if self.unbound is None:
            return None
        return Binding(Value.unknown(self.unbound, name), maybe_unset=True)

    def with_env(self, name: str, value: Value) -> "Scope":
        bound = dict(self.bound)
        bound[name] = Binding(value)
        return replace(self, bound=bound)

    def with_arg(self, name: str, default: str | None, escape: str = "\\") -> "Scope":
        """ARG in a stage (dispatchArg): the build's value, else the default expanded here,
        else the global ARG's value (redeclared), else a build argument a build may pass."""
        b = _arg_binding(name, default, self, self.globals, escape)
        if b is None:
            return self
        bound = dict(self.bound)
        bound[name] = b
        return replace(self, bound=bound)

    @staticmethod
    def of_globals(arg_words: Iterable[str], build_args: Mapping[str, str] | None = None,
                   escape: str = "\\", args_complete: bool = False) -> "Scope":
        """The global scope (buildMetaArgs over defaultArgs): platform ARGs, then the ARGs
        before the first FROM in order; FROM reads it. `arg_words`: ARG words as written."""
        build_args = dict(build_args or {})
        bound: dict[str, Binding] = {}
        for name in PLATFORM_ARGS:
            bound[name] = Binding(Value.known(build_args[name])) if name in build_args \
                else Binding(Value.unknown(Origin.BUILD_ARG, name, ("platform", name)))
        scope = Scope(bound, None, build_args, args_complete=args_complete)
        for word in arg_words:
            name, eq, default = word.partition("=")
            b = _arg_binding(name, default if eq else None, scope, scope.bound, escape)
            if b is not None:
                scope = replace(scope, bound={**scope.bound, name: b})
        return scope

    def stage(self, base_env: Mapping[str, Value] | None) -> "Scope":
        """A stage's scope at FROM: the base's env (None: not known, so every name may be
        set by it), global ARGs kept aside until redeclared."""
        bound = {k: Binding(v) for k, v in (base_env or {}).items()}
        unbound = Origin.FROM_BASE_IMAGE if base_env is None else None
        return Scope(bound, unbound, self.build_args, self.bound, self.args_complete)


def _arg_binding(name: str, default: str | None, scope: Scope, globals_: Mapping[str, Binding],
                 escape: str) -> Binding | None:
    if name in scope.build_args:
        return Binding(Value.known(scope.build_args[name]))  # the build's value is not expanded
    if default is not None:
        return Binding(expand_word(default, scope, escape))
    if name in globals_:
        return globals_[name]
    if scope.args_complete:
        return None  # no value: BuildKit leaves it as it was (unset, or an earlier value)
    # A build may pass a value we cannot see.
    return Binding(Value.unknown(Origin.BUILD_ARG, name, ("arg", name)), maybe_unset=True)


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


_EOF = ""


class _Lexer:
    def __init__(self, text: str, scope: Scope, escape: str, used: list[str] | None,
                 skip_quotes: bool = False) -> None:
        self.text, self.pos, self.n = text, 0, len(text)
        self.scope, self.escape, self.used = scope, escape, used
        self.raw_escapes = False
        self.skip_quotes = skip_quotes

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < self.n else _EOF

    def next(self) -> str:
        if self.pos >= self.n:
            return _EOF
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
                    if ch == _EOF:
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
            if ch == _EOF:
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
                if nxt == _EOF:
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
        while self.peek() in ("\t", "\r", " ") and self.peek() != _EOF:
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
        if self.peek() == _EOF:
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
            if self.peek() == _EOF:
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


# ------------------------------------------------------------------------------------------
# The API
# ------------------------------------------------------------------------------------------
_PLAIN = re.compile(r"[^$'\"<]*")


def expand_word(text: str, scope: Scope, escape: str = "\\", used: list[str] | None = None) -> Value:
    """ProcessWord: the word's value after quote removal and expansion. `used` (if given)
    receives every name the word looks up, as BuildKit's Matched/Unmatched."""
    if escape not in text and _PLAIN.fullmatch(text):
        return Value.known(text)
    try:
        return _Lexer(text, scope, escape, used).stop_on(_EOF, False)[0]
    except WordError as err:
        return Value.invalid(str(err))


@dataclass(frozen=True)
class Words:
    """ProcessWords: the words after expansion and splitting at blanks. `exact` is False
    when an unknown part decides where words start and end (or whether one exists)."""

    words: tuple[Value, ...]
    exact: bool
    error: str = ""  # BuildKit rejects the text

    @property
    def texts(self) -> tuple[str, ...] | None:
        """The words when they and their split are known, else None."""
        if not self.exact or self.error:
            return None
        out = tuple(w.text for w in self.words)
        return None if None in out else out  # type: ignore[return-value]


def expand_words(text: str, scope: Scope, escape: str = "\\") -> Words:
    try:
        _, words = _Lexer(text, scope, escape, None).stop_on(_EOF, False)
    except WordError as err:
        return Words((Value.invalid(str(err)),), False, str(err))
    out = words.get()
    return Words(tuple(out), words.exact)


def expand_copy_from(text: str, escape: str = "\\") -> Value:
    """COPY --from (toCommand): processed with no variables; a value the lexer changes
    (a variable, quotes, escapes) is an error."""
    v = expand_word(text, Scope(), escape)
    if v.text != text:
        return Value.invalid("variable expansion is not supported for --from, define a new stage with FROM "
                             "using ARG from global scope as a workaround")
    return v


@dataclass(frozen=True)
class Assignment:
    """One `key=value` of ENV or LABEL (both expanded), or ARG (`value` None: no default)."""

    key: Value
    value: Value | None


def pairs(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """ENV/LABEL node values (the parser's key, value, key, value …: `ENV a=b c=d` and the
    legacy `ENV a b c` both come as pairs) as raw pairs."""
    return tuple((words[i], words[i + 1]) for i in range(0, len(words) - 1, 2))


def assignments(keyword: str, words: tuple[str, ...], scope: Scope, escape: str = "\\") -> tuple[Assignment, ...]:
    """ENV and LABEL (expandKvp: key and value through ProcessWord, each against the same
    scope, as BuildKit expands the whole instruction before dispatching it); ARG (parseArg:
    split at the first `=`; the default is expanded by `Scope.with_arg`, not here)."""
    if keyword == "ARG":
        out = []
        for w in words:
            name, eq, default = w.partition("=")
            out.append(Assignment(Value.known(name), Value.known(default) if eq else None))
        return tuple(out)
    return tuple(Assignment(expand_word(k, scope, escape), expand_word(v, scope, escape)) for k, v in pairs(words))


def apply(scope: Scope, keyword: str, words: tuple[str, ...], escape: str = "\\") -> Scope:
    """The scope after an ARG or ENV instruction (others leave it as it is). An ENV key that
    is not known makes every name unknown from then on."""
    if keyword == "ARG":
        for w in words:
            name, eq, default = w.partition("=")
            scope = scope.with_arg(name, default if eq else None, escape)
        return scope
    if keyword != "ENV":
        return scope
    for a in assignments("ENV", words, scope, escape):
        if a.key.text is None:
            return replace(scope, bound={}, unbound=Origin.UNKNOWN)
        scope = scope.with_env(a.key.text, a.value or EMPTY)
    return scope
