"""How transforms read a RUN: through the model (`run_execution`, then `read_script`), never
with a shell reader of their own. What the builder would hand to something other than a POSIX
shell (exec form, a `#!` heredoc, a SHELL that is not sh-like) has no script here: None."""

from __future__ import annotations

from dockfix.model.run import RunExecution, run_execution
from dockfix.model.shell import Script, read_script
from dockfix.model.stage_state import shell_before, state_before
from dockfix.syntax import Document, Instruction


def shell_at(doc: Document, ins: Instruction) -> tuple[str, ...] | None:
    """The SHELL in force for `ins` (`model.stage_state`: its stage's last SHELL before it, else
    its parent stage's, else the default). None when a SHELL cannot be read (not JSON)."""
    return shell_before(doc, ins)


def execution(doc: Document, ins: Instruction) -> RunExecution | None:
    shell = shell_at(doc, ins)
    return None if shell is None else run_execution(ins, shell)


def run_script(doc: Document, ins: Instruction, workdir: str | None = "/",
               env: dict[str, str] | None = None) -> Script | None:
    """The script a POSIX shell reads for this RUN, read by the model; None when no POSIX
    shell reads it."""
    ex = execution(doc, ins)
    if ex is None or not ex.posix_shell or ex.script is None:
        return None
    return read_script(ex.script, workdir=workdir, env=env)


def file_env(doc: Document, ins: Instruction) -> dict[str, str]:
    """The variables the file's ENV sets for `ins` to a value no build argument decides, as
    BuildKit puts them in a RUN's environment (`model.words.scope_before` without ARG
    defaults: an ARG, and what is made of one, is unknown; the base image's env is not read).
    A lookup into `model.stage_state`'s walk; the dict is shared: do not change it."""
    return {} if ins.stage < 0 else state_before(doc, ins).file_env
