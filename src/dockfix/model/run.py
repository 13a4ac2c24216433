"""What the builder executes for a RUN: BuildKit's `dispatchRun`, read exactly.

- Exec form (`RUN ["a", "b"]`): the argv, no shell.
- Shell form: the stage's SHELL (default `/bin/sh -c`) with the command line as one argument.
- Heredocs (dockerfile2llb/convert.go, dispatchRun):
  - the command line is exactly one heredoc word (`RUN <<EOF`): its body is the script (tabs
    chomped for `<<-`); a body starting with `#!` is instead written to a file and run
    directly, so its interpreter, not the shell, reads it;
  - anything else (`RUN python3 <<EOF`, two heredocs): BuildKit appends "\\n" + body +
    terminator for each heredoc to the command line and hands the whole text to the shell,
    which reads the heredocs itself.

The script is what a shell reader (`model.shell`) must read; nothing here parses shell.
"""

from __future__ import annotations

import enum
import posixpath
import re
import shlex
from dataclasses import dataclass

from dockfix.syntax import Instruction

DEFAULT_SHELL = ("/bin/sh", "-c")

# parser.go reHeredoc, anchored: the whole command line is one heredoc word.
_ONE_HEREDOC = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")
_LEADING_TABS = re.compile(r"^\t+", re.M)
# Shells whose grammar is POSIX sh's for what dockfix reads (bash and busybox sh extend it).
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "busybox"})


# Shells that run a script as model.shell reads it (/bin/sh): sh itself, and bash with options
# that change statuses only — which commands run after a failure, never what a command that
# runs is given (`-e`, `-o errexit|pipefail`). -u (`-o nounset`) skips a command whose word reads
# an unset variable while the build may succeed: it is one of them only for a script with no
# `$` at all that sources no file (no parameter expansion for it to stop; bash-only arithmetic
# is DIALECT). bash-only
# syntax is the reader's DIALECT flag (unknown). tests/model/test_shell_bash.py runs the
# reader's scripts under each.
_SH = frozenset({"/bin/sh", "sh", "/bin/dash", "dash"})
_BASH = frozenset({"/bin/bash", "bash", "/usr/bin/bash"})
_STATUS_OPTIONS = frozenset({"errexit", "pipefail"})


# `.` or `source` as a command: the sourced file's own expansions are not in the script's text.
_SOURCES = re.compile(r"(?:^|[\s;&|()])(?:\.|source)[ \t]")


def _expands_nothing(script: str | None) -> bool:
    """No parameter expansion for -u to stop: no `$` in the script, and no file sourced."""
    return script is not None and "$" not in script and not _SOURCES.search(script)


def _status_only(options: tuple[str, ...], nounset: bool = False) -> bool:
    """bash's options before `-c` are `-e` and `-o errexit|pipefail` (`-eo pipefail` too), and
    with `nounset` also `-u` and `-o nounset` (`-euo pipefail`)."""
    letters = {"e", "o", "u"} if nounset else {"e", "o"}
    names = _STATUS_OPTIONS | {"nounset"} if nounset else _STATUS_OPTIONS
    i = 0
    while i < len(options):
        flag = options[i]
        if len(flag) < 2 or flag[0] != "-" or set(flag[1:]) - letters or flag.count("o") > 1:
            return False
        if flag.endswith("o"):
            if i + 1 == len(options) or options[i + 1] not in names:
                return False
            i += 1
        elif "o" in flag:
            return False
        i += 1
    return True


class RunForm(enum.Enum):
    SHELL = "shell"  # `shell` + (script,): a shell reads `script`
    EXEC = "exec"  # `argv` runs as is: no shell reads anything
    SCRIPT_FILE = "script-file"  # a `#!` heredoc run as a file: its interpreter reads `script`


@dataclass(frozen=True)
class RunExecution:
    form: RunForm
    argv: tuple[str, ...]  # what the builder executes
    script: str | None  # the text the shell (SHELL) or the interpreter (SCRIPT_FILE) reads
    shell: tuple[str, ...]  # the SHELL in force (SHELL form), else ()

    @property
    def posix_shell(self) -> bool:
        """The script is read by a POSIX shell (a SHELL of sh/bash/… ending in `-c`)."""
        if self.form is not RunForm.SHELL or not self.shell or self.shell[-1] != "-c":
            return False
        return self.shell[0][self.shell[0].rfind("/") + 1:] in _POSIX_SHELLS  # posixpath.basename

    @property
    def reads_as_sh(self) -> bool:
        """The script means what model.shell reads: run by sh (`/bin/sh -c`), or by bash with
        options that change statuses only (`SHELL ["/bin/bash", "-eo", "pipefail", "-c"]`)."""
        if self.form is not RunForm.SHELL or len(self.shell) < 2 or self.shell[-1] != "-c":
            return False
        if self.shell[0] in _SH:
            return len(self.shell) == 2
        return self.shell[0] in _BASH and _status_only(self.shell[1:-1], _expands_nothing(self.script))


def chomp(data: str) -> str:
    """parser.ChompHeredocContent: leading tabs off every line (`<<-`)."""
    return _LEADING_TABS.sub("", data)


def _one_heredoc_word(line: str) -> bool:
    """parser.ParseHeredoc on the whole command line: `<<EOF`, `<<-"EOF"`, not `<<EOF bash`
    (two words: the shell gets the whole text and runs bash on the heredoc)."""
    m = _ONE_HEREDOC.match(line)
    if m is None or not m.group(3):
        return False
    try:
        return len(shlex.split(m.group(3))) == 1
    except ValueError:
        return False


def run_execution(ins: Instruction, shell: tuple[str, ...] = DEFAULT_SHELL) -> RunExecution:
    """What BuildKit executes for `ins` (a RUN) under the stage's SHELL."""
    if ins.json:
        return RunExecution(RunForm.EXEC, tuple(ins.value), None, ())
    line = ins.value[0] if ins.value else ""
    if not ins.heredocs:
        return RunExecution(RunForm.SHELL, tuple(shell) + (line,), line, tuple(shell))
    if _one_heredoc_word(line) and len(ins.heredocs) == 1:
        doc = ins.heredocs[0]
        data = chomp(doc.content) if doc.chomp else doc.content
        if data.startswith("#!"):
            # Written to /dev/pipes/<name> with mode 0755 and executed: no shell is prepended.
            return RunExecution(RunForm.SCRIPT_FILE, (posixpath.join("/dev/pipes", doc.name),), data, ())
        return RunExecution(RunForm.SHELL, tuple(shell) + (data,), data, tuple(shell))
    full = line + "".join("\n" + h.content + h.name for h in ins.heredocs)
    return RunExecution(RunForm.SHELL, tuple(shell) + (full,), full, tuple(shell))
