"""Typed values of Dockerfile words: known text and unknown parts that keep their origin.

A value is known only when every part is; an unknown part says why (`Origin`) and holds
its expression with its inputs, so two unknowns are equal only when they are the same
expression of the same inputs. See `dockfix.model.words`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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


