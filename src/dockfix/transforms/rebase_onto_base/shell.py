"""The simple commands of a RUN, as the shared reader reads them: what BuildKit executes
(`model.run.run_execution`) read by the one POSIX shell reader (`model.shell.read_script`).
This transform follows a plain `a && b && c` list only; anything else is not read here."""

from __future__ import annotations

from dockfix.model.run import DEFAULT_SHELL, run_execution
from dockfix.model.shell import Command, read_script
from dockfix.syntax import Instruction


def and_list_commands(ins: Instruction, shell: tuple[str, ...] = DEFAULT_SHELL) -> tuple[Command, ...] | None:
    """The simple commands of a RUN whose POSIX shell script is exactly `a && b && c`, in
    order; None for any other RUN (exec form, another SHELL, other syntax, redirections,
    command substitutions, anything the reader leaves opaque)."""
    execution = run_execution(ins, shell)
    if not execution.posix_shell or execution.script is None:
        return None
    # Variables are unknown here (the walk's environment holds markers): a word that uses
    # one, a glob or a tilde has no value.
    script = read_script(execution.script, workdir=None)
    spans = script.and_list
    if spans is None or script.opaque or len(script.commands) != len(spans):
        return None  # nested commands ($(…), `…`) are more commands than pieces of the list
    if any(c.redirections for c in script.commands):
        return None  # a redirection may write a file into the image
    return script.commands
