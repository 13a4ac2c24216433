"""Reading a command's options the way optparse (pip) and clap (uv) read them, with words
whose values may be unknown.

A word is `str | None`: None is a word the shell reader could not resolve (`$(…)`). An unknown
word where an option may stand could itself be an option that takes the next word, so it makes
the reading inexact (`Options.unknowns` says why); an unknown option value is `UNKNOWN`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockfix.model.pip_options import Arity, OptionSpec

Word = str | None


class Unknown(enum.Enum):
    """A value the model cannot know (an unresolved word, an unreadable setting)."""

    VALUE = "unknown"

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown.VALUE
Value = str | bool | int | Unknown


class OptionSource(enum.Enum):
    ARGV = "argv"
    ENV = "env"


@dataclass(frozen=True)
class ParsedOption:
    name: str  # canonical spelling ("--index-url")
    dest: str  # the parser's dest (pip's own names)
    arity: Arity
    value: Value  # the value, or True/False for a flag, 1 for a count
    spelled: str  # as written: "-i", "--index", "PIP_INDEX_URL"
    source: OptionSource = OptionSource.ARGV


@dataclass(frozen=True)
class Options:
    positionals: tuple[Word, ...]
    options: tuple[ParsedOption, ...]
    unknown_options: tuple[Word, ...]  # words read as options the table does not have (None: unknown word)
    unknowns: tuple[str, ...]  # why the reading is not exact


class Grammar(enum.Enum):
    OPTPARSE = "optparse"  # pip: long options may be abbreviated, `-rfile`, `--opt=v`
    CLAP = "clap"  # uv: no abbreviation; `-rfile`, `-r=file`, `--opt=v`


class _Reader:
    def __init__(self, words: Sequence[Word], table: Mapping[str, OptionSpec], grammar: Grammar,
                 interspersed: bool):
        self.words, self.table, self.grammar, self.interspersed = words, table, grammar, interspersed
        self.positionals: list[Word] = []
        self.options: list[ParsedOption] = []
        self.unknown_options: list[Word] = []
        self.unknowns: list[str] = []
        self.i = 0

    def run(self) -> Options:
        words = self.words
        while self.i < len(words):
            w = words[self.i]
            self.i += 1
            if w is None:
                self.unknown_options.append(None)
                self.unknowns.append("a word is unknown: it may be an option, or take the next word")
            elif w == "--":
                self.positionals.extend(words[self.i:])
                break
            elif w.startswith("--"):
                self._long(w)
            elif w.startswith("-") and w != "-":
                self._short(w)
            else:
                self.positionals.append(w)
                if not self.interspersed:
                    self.positionals.extend(words[self.i:])
                    break
        return Options(tuple(self.positionals), tuple(self.options), tuple(self.unknown_options),
                       tuple(self.unknowns))

    def _next_value(self, spelled: str) -> Value:
        if self.i >= len(self.words):
            self.unknowns.append(f"{spelled} has no value: the command fails")
            return UNKNOWN
        w = self.words[self.i]
        self.i += 1
        return UNKNOWN if w is None else w

    def _long(self, w: str) -> None:
        name, eq, value = w.partition("=")
        spec = self._match(name)
        if spec is None:
            self.unknown_options.append(w)
            self.unknowns.append(f"unknown option {name}: it may take the next word")
            return
        if spec.arity.takes_value:
            v: Value = value if eq else self._next_value(name)
            self.options.append(ParsedOption(spec.name, spec.dest, spec.arity, v, name))
        elif eq:
            self.unknown_options.append(w)
            self.unknowns.append(f"{name} takes no value: the command fails")
        else:
            self.options.append(ParsedOption(spec.name, spec.dest, spec.arity, _flag_value(spec.arity), name))

    def _match(self, name: str) -> OptionSpec | None:
        spec = self.table.get(name)
        if spec is not None or self.grammar is not Grammar.OPTPARSE:
            return spec
        # optparse accepts a prefix of exactly one long spelling (`--no-cache` = `--no-cache-dir`;
        # `--no-dep` is ambiguous between `--no-deps` and `--no-dependencies`).
        found = [n for n in self.table if n.startswith(name) and n.startswith("--")]
        return self.table[found[0]] if len(found) == 1 else None

    def _short(self, w: str) -> None:
        j = 1
        while j < len(w):
            spelled = "-" + w[j]
            spec = self.table.get(spelled)
            if spec is None:
                self.unknown_options.append(w)
                self.unknowns.append(f"unknown option {spelled} in {w}")
                return
            j += 1
            if spec.arity.takes_value:
                rest = w[j:]
                if rest and self.grammar is Grammar.CLAP and rest.startswith("="):
                    rest = rest[1:]  # clap reads `-r=file` as `-r file`
                v: Value = rest if rest else self._next_value(spelled)
                self.options.append(ParsedOption(spec.name, spec.dest, spec.arity, v, spelled))
                return
            self.options.append(ParsedOption(spec.name, spec.dest, spec.arity, _flag_value(spec.arity), spelled))


def _flag_value(arity: Arity) -> Value:
    if arity is Arity.COUNT:
        return 1
    return arity is Arity.TRUE


def read_options(words: Sequence[Word], table: Mapping[str, OptionSpec], grammar: Grammar = Grammar.OPTPARSE,
                 interspersed: bool = True) -> Options:
    """Split `words` (the arguments after the program) into options and positionals."""
    return _Reader(words, table, grammar, interspersed).run()


def effective(options: Sequence[ParsedOption], dest: str) -> Value | tuple[Value, ...] | None:
    """The value of `dest` after every option in order (environment first, then argv): the
    last STORE or flag wins, APPEND values accumulate, counts add; None when nothing sets it."""
    return effective_all(options).get(dest)


def effective_all(options: Sequence[ParsedOption]) -> dict[str, Value | tuple[Value, ...]]:
    """`effective` for every dest the options set, in one pass."""
    out: dict[str, Value | tuple[Value, ...]] = {}
    for opt in options:
        before = out.get(opt.dest)
        if opt.arity is Arity.APPEND:
            out[opt.dest] = (*(before if isinstance(before, tuple) else ()), opt.value)
        elif opt.arity is Arity.COUNT:
            out[opt.dest] = UNKNOWN if UNKNOWN in (before, opt.value) else int(before or 0) + int(opt.value)
        elif opt.arity is Arity.NO_CACHE:
            out[opt.dest] = False
        else:
            out[opt.dest] = opt.value
    return out
