"""parse: bytes -> lossless Document; edit: byte splices on instruction spans."""

from dockfix.syntax.document import (
    Directive,
    Document,
    Heredoc,
    Instruction,
    Stage,
    parse,
    unknown_instructions,
    validate,
)

__all__ = ["Directive", "Document", "Heredoc", "Instruction", "Stage", "parse",
           "unknown_instructions", "validate"]
