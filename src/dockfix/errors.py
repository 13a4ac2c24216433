"""Errors that reach the user as `path:line[:col]: message`, never as a traceback."""

from __future__ import annotations


class DockfixError(Exception):
    """Bad input or a refused operation. The CLI prints `str(err)` and exits 2."""

    exit_code = 2

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 col: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.hint = hint

    def located(self, path: str) -> "DockfixError":
        """The same error, naming `path` when it did not name one yet."""
        if self.path is None:
            self.path = path
        return self

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class DockerfileSyntaxError(DockfixError):
    """A Dockerfile that BuildKit's parser (or its instruction layer) rejects."""


class ConfigError(DockfixError):
    """A configuration file with an error in it."""


class Refused(DockfixError):
    """A write refused: an invariant would break, or a file changed since dockfix read it.
    Nothing is written; exit 1."""

    exit_code = 1
