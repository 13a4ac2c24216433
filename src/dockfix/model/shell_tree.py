"""The syntax tree of a POSIX shell script (frozen nodes with source offsets), as
`shell_syntax` parses it and `dockfix.model.shell` reads it."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class OpaqueReason(Enum):
    SYNTAX_ERROR = "syntax error: dash stops here"
    DIALECT = "syntax that other shells (bash, ash) read differently"
    FUNCTION = "function body: runs only where the function is called"
    ARITHMETIC = "arithmetic expansion"
    PARAMETER_OPERATOR = "parameter expansion with an operator, or a special parameter"
    DYNAMIC = "commands chosen at run time (eval, ., a function call, a computed name)"


# Word parts ---------------------------------------------------------------------------------

class Literal(NamedTuple):
    value: str  # after quote removal
    quoted: bool


class Parameter(NamedTuple):
    name: str  # `$X`, `${X}`; special parameters (`$1`, `$?`) are `Unreadable`
    quoted: bool


class CommandSubstitution(NamedTuple):
    body: "CommandList"
    quoted: bool
    start: int


class Unreadable(NamedTuple):
    """An expansion whose value this reader does not compute (`${X:-y}`, `$((1+2))`, `$?`)."""
    text: str
    quoted: bool
    reason: OpaqueReason


Part = Literal | Parameter | CommandSubstitution | Unreadable


class Word(NamedTuple):
    text: str  # as written
    start: int
    end: int
    parts: tuple[Part, ...]

    @property
    def plain(self) -> str | None:
        """The text when it is one unquoted literal (reserved words, names)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Literal) and not self.parts[0].quoted:
            value = self.parts[0].value  # continuations inside are no quoting
            return value if value == self.text or value == self.text.replace("\\\n", "") else None
        return None


# Tree ---------------------------------------------------------------------------------------

class RedirOp(Enum):
    IN = "<"
    OUT = ">"
    APPEND = ">>"
    CLOBBER = ">|"
    READ_WRITE = "<>"
    DUP_IN = "<&"
    DUP_OUT = ">&"
    HEREDOC = "<<"
    HEREDOC_STRIP = "<<-"


class HereDoc(NamedTuple):
    delimiter: str
    expand: bool  # unquoted delimiter: the body is expanded
    body: Word  # parts quoted (no splitting); start/end: the body's source span
    terminated: bool  # the delimiter line was found (else the body runs to the end)


class Redirection(NamedTuple):
    fd: int | None
    op: RedirOp
    target: Word  # for a heredoc: the delimiter word
    start: int
    end: int
    heredoc: int | None = None  # index into Tree.heredocs


class Assignment(NamedTuple):
    name: str
    value: Word  # the text after `=`
    start: int
    end: int


class SimpleCommand(NamedTuple):
    assignments: tuple[Assignment, ...]
    words: tuple[Word, ...]
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class Pipeline(NamedTuple):
    commands: tuple["Node", ...]
    negated: bool
    start: int
    end: int


class Connector(Enum):
    AND = "&&"
    OR = "||"


class AndOr(NamedTuple):
    first: Pipeline
    rest: tuple[tuple[Connector, Pipeline], ...]
    start: int
    end: int


class Item(NamedTuple):
    body: AndOr
    background: bool  # ended by `&`
    start: int
    end: int


class CommandList(NamedTuple):
    items: tuple[Item, ...]
    start: int
    end: int


class Subshell(NamedTuple):
    body: CommandList
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class Group(NamedTuple):
    body: CommandList
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class If(NamedTuple):
    clauses: tuple[tuple[CommandList, CommandList], ...]  # (condition, then-body), if + elifs
    else_body: CommandList | None
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class Loop(NamedTuple):
    until: bool
    condition: CommandList
    body: CommandList
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class For(NamedTuple):
    name: str
    words: tuple[Word, ...] | None  # None: `for x do` iterates "$@"
    body: CommandList
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class CaseArm(NamedTuple):
    patterns: tuple[Word, ...]
    body: CommandList


class Case(NamedTuple):
    word: Word
    arms: tuple[CaseArm, ...]
    redirections: tuple[Redirection, ...]
    start: int
    end: int


class FunctionDef(NamedTuple):
    name: str
    body: "Node"
    start: int
    end: int


class Opaque(NamedTuple):
    start: int
    end: int
    reason: OpaqueReason
    detail: str = ""


Node = SimpleCommand | Subshell | Group | If | Loop | For | Case | FunctionDef


class Tree(NamedTuple):
    body: CommandList  # what dash parses and runs
    rest: Opaque | None  # from the first syntax error on: not run
    heredocs: tuple[HereDoc, ...]
    dialect: tuple[Opaque, ...]  # places other shells read differently


class ParseError(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
