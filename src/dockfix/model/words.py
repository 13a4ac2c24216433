"""Dockerfile words: BuildKit's shell lexer (`frontend/dockerfile/shell/lex.go`) with typed values.

BuildKit expands the words of ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR
and ARG (and ONBUILD's instruction when it runs) with its own small lexer, not with a shell:
quotes, the escape character of the `# escape=` directive, `$V`, `${V}` and the modifiers
`-` `:-` `+` `:+` `?` `:?` `#` `##` `%` `%%` `/` `//`. RUN, CMD and ENTRYPOINT are left to the
shell. `model/lexer.py` ports the lexer line for line over values (`model/values.py`)
that may be partly unknown: a variable the base image may set, an ARG a build may pass, a
platform. A value is known only when every part of it is; an unknown part keeps where it
came from (`Origin`) and its expression, so two unknowns are equal only when they are the
same expression of the same inputs. A word BuildKit rejects is an unknown of origin INVALID
with BuildKit's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from dockfix.model.lexer import EOF, Lexer
from dockfix.model.values import EMPTY, Binding, Origin, Unknown, Value, WordError

__all__ = ["EMPTY", "EXPANDING", "PLATFORM_ARGS", "Assignment", "Binding", "Origin", "Scope", "Unknown", "Value",
           "WordError", "Words", "apply", "assignments", "expand_copy_from", "expand_word", "expand_words", "pairs",
           "scope_before"]

# dockerfile2llb: the commands that implement SupportsSingleWordExpansion (EXPOSE through
# dispatchExpose's ProcessWords, ARG through dispatchArg, FROM through the global ARGs,
# ONBUILD's instruction when a child image runs it). RUN expands only its --mount flags.
EXPANDING = frozenset({"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME",
                       "WORKDIR", "ONBUILD", "ARG"})

# platform.go defaultArgs: set for every build, their values decided by the build's platform.
PLATFORM_ARGS = ("BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM",
                 "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE")


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
        bound = {name: Binding(Value.known(build_args[name])) if name in build_args else _PLATFORM_UNKNOWN[name]
                 for name in PLATFORM_ARGS}
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


# A platform ARG the build does not pass: its unknown binding, made once (every Dockerfile's
# global scope starts with the eleven; the values are frozen, so sharing them changes nothing).
_PLATFORM_UNKNOWN = {name: Binding(Value.unknown(Origin.BUILD_ARG, name, ("platform", name))) for name in PLATFORM_ARGS}


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
# The API
# ------------------------------------------------------------------------------------------
_PLAIN = re.compile(r"[^$'\"<]*")


def expand_word(text: str, scope: Scope, escape: str = "\\", used: list[str] | None = None) -> Value:
    """ProcessWord: the word's value after quote removal and expansion. `used` (if given)
    receives every name the word looks up, as BuildKit's Matched/Unmatched."""
    if escape not in text and _PLAIN.fullmatch(text):
        return Value.known(text)
    try:
        return Lexer(text, scope, escape, used).stop_on(EOF, False)[0]
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
        _, words = Lexer(text, scope, escape, None).stop_on(EOF, False)
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


def scope_before(doc, ins, arg_defaults: bool = True) -> Scope:
    """What the words of `ins` (an instruction of `doc`) read, from the file alone: the global
    ARGs its stage redeclares, then the stage's ARG and ENV before it, as BuildKit applies
    them. The base image's env is not read: a name the file does not set is unknown (a stage
    built on another stage too: the conservative reading; `model.stage_state` has BuildKit's).
    `arg_defaults=False`: an ARG's default is not its value (a build may pass another): every
    ARG, and what is made of one, is unknown. A lookup into `model.stage_state`'s walk."""
    from dockfix.model.stage_state import state_before  # the walk reads this module

    state = state_before(doc, ins)
    return state.stage_scope if arg_defaults else state.stage_fixed_scope
