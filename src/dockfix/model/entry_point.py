"""The process a container starts: ENTRYPOINT then CMD, as BuildKit combines them, and what
kind of program it names. A reading only; who may run it is the prover's judgement (and
non-root's refusal follows the same reading).

BuildKit (moby/buildkit `dockerfile2llb/convert.go`, dispatchEntrypoint): ENTRYPOINT resets a
CMD the stage has not set itself (one inherited from the stage or image it is FROM); a stage
that sets neither keeps its base's. An image built on an external base that sets neither
starts the base image's own entry point, which the model does not read (`model.bases` holds
no CMD): `EntryProgram.BASE_IMAGE`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from enum import Enum

from dockfix.syntax import Instruction


class EntryProgram(str, Enum):
    """What the entry point's first word is."""

    BASE_IMAGE = "the base image's"  # neither ENTRYPOINT nor CMD in the chain
    PYTHON = "python"  # python, python3, python3.11
    APP_SERVER = "app server"  # a Python app server: gunicorn, uvicorn, daphne, hypercorn
    PROGRAM = "program"  # anything else: a script, a binary, a console script


_SERVERS = frozenset({"gunicorn", "uvicorn", "daphne", "hypercorn"})
_PYTHON = re.compile(r"^python[0-9.]*$")
_PORT = re.compile(r"(?::|--port[= ]|-p[= ]?)(\d+)\b")


@dataclass(frozen=True)
class EntryConfig:
    """ENTRYPOINT and CMD in force after a stage's instructions."""

    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    cmd_json: bool = True
    cmd_here: bool = False  # this stage set CMD itself

    def next_stage(self) -> "EntryConfig":
        """What a stage built on this one inherits (its CMD is not its own)."""
        return replace(self, cmd_here=False)

    def step(self, ins: Instruction) -> "EntryConfig":
        if ins.keyword == "CMD":
            return replace(self, cmd=tuple(ins.value), cmd_json=ins.json, cmd_here=True)
        if ins.keyword == "ENTRYPOINT":
            return replace(self, entrypoint=tuple(ins.value), cmd=self.cmd if self.cmd_here else None)
        return self

    def argv(self) -> list[str]:
        return entry_argv(self.entrypoint, self.cmd, self.cmd_json)


def entry_argv(entrypoint: tuple[str, ...] | None, cmd: tuple[str, ...] | None, cmd_json: bool) -> list[str]:
    """ENTRYPOINT then CMD as argv; shell forms are split as the shell would."""
    def split(part: tuple[str, ...], is_json: bool) -> list[str]:
        if is_json or len(part) != 1:
            return list(part)
        from dockfix.syntax import shellwords  # only for a shell-form ENTRYPOINT or CMD

        try:
            return shellwords.split(part[0])
        except ValueError:
            return part[0].split()

    argv = split(entrypoint, len(entrypoint or ()) != 1) if entrypoint else []
    if cmd:
        argv += split(cmd, cmd_json)
    return argv


def entry_program(argv: list[str]) -> EntryProgram:
    if not argv:
        return EntryProgram.BASE_IMAGE
    prog = posixpath.basename(argv[0])
    if _PYTHON.match(prog):
        return EntryProgram.PYTHON
    return EntryProgram.APP_SERVER if prog in _SERVERS else EntryProgram.PROGRAM


def named_ports(argv: list[str]) -> tuple[int, ...]:
    """The ports the arguments name (`:8000`, `--port 80`, `-p80`)."""
    return tuple(int(p) for p in _PORT.findall(" ".join(argv[1:])))
