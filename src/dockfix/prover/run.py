"""What a RUN does, as the prover needs it, read only through the model: `model.run` says what
BuildKit executes (exec form, SHELL, heredocs), `model.shell` reads the script as /bin/sh runs
it. The result is the RUN's simple commands in order (argv values, directory, environment,
whether they always run) and what cannot be read, with why; plus the prover's one rule about
files a RUN may create (`file_effects`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from dockfix.model.packages import is_pip, read_system_packages
from dockfix.model.run import RunForm, run_execution
from dockfix.model.shell import Command, Condition, RedirOp, read_script
from dockfix.syntax import Instruction

# Programs known to create no file (their output redirections aside). Kept small on purpose:
# anything else (tar, git, curl, cp, a build tool, a script) may create any path.
_NO_FILES = frozenset({":", "true", "false", "echo", "printf", "test", "[", "cd", "export", "unset", "set",
                       "pwd", "sleep", "mkdir", "rm", "chmod", "chown", "ls", "cat", "id", "whoami", "uname"})
_WRITES = frozenset({RedirOp.OUT, RedirOp.APPEND, RedirOp.CLOBBER, RedirOp.READ_WRITE})
# Account tools write the account databases and mail spools (under /etc and /var) and a home
# directory holding the skeleton's dotfiles (`useradd -m`, `adduser`, also with `-d /app`).
_ACCOUNT_TOOLS = frozenset({"useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod",
                            "chpasswd", "passwd", "deluser", "delgroup", "userdel", "groupdel"})
_ACCOUNT_AREAS = ("/etc/", "/var/")


class RunCommand(NamedTuple):
    """One simple command of a RUN (a NamedTuple, as the model's `Command` is: a large file
    has a hundred thousand of them, and a frozen dataclass takes several times as long to make)."""

    argv: tuple[str | None, ...]  # values; None where a word is not known exactly
    cwd: str | None  # absolute; None when unknown
    env: tuple[tuple[str, str | None], ...]  # the variables the command sees that the model knows of
    conditional: bool  # may not run, or fail, in a build that succeeds (if/||/…, `x || true`, `x; y`)
    writes: tuple[str | None, ...] = ()  # output redirection targets (None: unknown target)


@dataclass(frozen=True)
class RunReading:
    commands: tuple[RunCommand, ...]  # in source order
    unknown: tuple[str, ...]  # what the reading cannot follow, with why (the RUN may do anything there)


class RunEffect(NamedTuple):
    """Something a RUN did that the model cannot read exactly (a NamedTuple: one per command
    that may create files)."""

    path: str  # Dockerfile
    line: int
    reason: str
    target: str | None = None  # the one image path it may create; None: any path
    accounts: bool = False  # an account tool: only account files and a home's dotfiles

    def may_create(self, image_path: str) -> bool:
        if self.accounts:
            return image_path.startswith(_ACCOUNT_AREAS) or posixpath.basename(image_path).startswith(".")
        return self.target is None or self.target == image_path


def read_run(ins: Instruction, shell: tuple[str, ...], workdir: str | None, env: Mapping[str, str],
             venvs: frozenset[str] = frozenset()) -> RunReading:
    """The commands of a RUN under the stage's SHELL, WORKDIR (None: unknown) and known env;
    `venvs`: the venvs whose activate script it may source (`model.venv.venvs_at`)."""
    run = run_execution(ins, shell)
    if run.form is RunForm.EXEC:
        return RunReading((RunCommand(run.argv, workdir, tuple(sorted(env.items())), False),), ())
    if run.form is RunForm.SCRIPT_FILE:
        return RunReading((), (f"a heredoc script run by its own interpreter ({(run.script or '').splitlines()[0]})",))
    if not run.posix_shell:
        return RunReading((), (f"SHELL {list(run.shell)} is not a POSIX shell the model reads",))
    script = read_script(run.script or "", workdir=workdir, env=env, venvs=venvs)
    unknown = tuple(f"{o.reason.value}{': ' + o.detail if o.detail else ''}" for o in script.opaque)
    return RunReading(tuple(_command(c) for c in script.commands), unknown)


def _command(c: Command) -> RunCommand:
    writes = tuple(_write_target(r.target.value, c.cwd) for r in c.redirections if r.op in _WRITES
                   or (r.op is RedirOp.DUP_OUT and not _is_fd(r.target.value)))
    # A failure the script survives leaves the command's effect as unsure as one it may skip.
    return RunCommand(c.args, c.cwd, c.env, c.condition is Condition.CONDITIONAL or not c.checked, writes)


def _is_fd(word: str | None) -> bool:
    return word is not None and (word.isdigit() or word == "-")


def _write_target(word: str | None, cwd: str | None) -> str | None:
    if word is None or (not word.startswith("/") and cwd is None):
        return None
    return posixpath.normpath(posixpath.join(cwd or "/", word))


def file_effects(command: RunCommand, path: str, line: int) -> list[RunEffect]:
    """The paths `command` may create: its output redirections, and any path at all unless
    the program is one known to create none (pip, a system package manager, `_NO_FILES`)."""
    out = [RunEffect(path, line, f"{_name(command)} writes {t or 'an unknown file'}", t) for t in command.writes]
    if command.argv and not _creates_no_file(command.argv):
        accounts = command.argv[0] is not None and _basename(command.argv[0]) in _ACCOUNT_TOOLS
        out.append(RunEffect(path, line, f"{_name(command)} may create files", accounts=accounts))
    return out


def _creates_no_file(argv: tuple[str | None, ...]) -> bool:
    name = argv[0]
    if name is None:
        return False
    return _basename(name) in _NO_FILES or is_pip(argv) or read_system_packages(argv) is not None


def _basename(path: str) -> str:
    return path[path.rfind("/") + 1:]  # posixpath.basename, inlined: once per command


def _name(command: RunCommand) -> str:
    return "a command of unknown name" if not command.argv or command.argv[0] is None else command.argv[0]
