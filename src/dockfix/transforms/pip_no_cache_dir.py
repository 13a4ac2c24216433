"""pip-no-cache-dir: `pip install` gets `--no-cache-dir` (uv: `--no-cache`), answering hadolint DL3042.

What it does: in a shell-form RUN read exactly (`model.shell`), each pip command that installs
(`pip install`, `python -m pip install`, `uv pip install|sync`, `uv sync`) and neither disables
its cache nor names a cache directory gets the option right after its sub-command word.

When it must not fire: the script has a part the reader cannot follow, a word of the command up
to its sub-command is unknown (one after it is read as an argument: it cannot change what an
option placed before it does), a command reads pip's cache directory, pip's reading of the command is inexact (an unknown option, PIP_CONFIG_FILE, a variable
of unknown value), the command names `--cache-dir` or the script sets a PIP_/UV_ cache variable,
an ENV/ARG of the file sets a PIP_/UV_ cache or config variable, the RUN has a cache mount (the
cache is then deliberate and outside the image), the SHELL in force is not sh nor bash with
status options only (`model.run.RunExecution.reads_as_sh`).

Why it is equivalent: the option only stops pip (uv) from reading and writing its HTTP and wheel
cache, which lives under the user's home (~/.cache/pip, ~/.cache/uv). The packages resolved and
installed are the same; the image only lacks the cache files nothing at runtime reads.
"""

from __future__ import annotations

import re

from dockfix.model.argv import Unknown
from dockfix.model.mounts import MountType, run_mounts
from dockfix.model.packages import PipAction, PipCommand, PipFront, read_pip
from dockfix.model.run import RunForm, run_execution
from dockfix.model.shell import Command, read_script
from dockfix.model.words import scope_before
from dockfix.syntax import Document, Instruction
from dockfix.transforms import _run
from dockfix.transforms import _run_words as rw
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_INSTALLING = {PipFront.PIP: (PipAction.INSTALL,), PipFront.PYTHON_MODULE: (PipAction.INSTALL,),
               PipFront.UV_PIP: (PipAction.INSTALL, PipAction.SYNC), PipFront.UV_SYNC: (PipAction.SYNC,)}
_CACHE_VARIABLES = ("PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_CONFIG_FILE", "UV_CACHE_DIR", "UV_NO_CACHE",
                    "UV_CONFIG_FILE")
# pip's strtobool: PIP_NO_CACHE_DIR set to any of these turns the cache off (cmdoptions.py
# `_handle_no_cache_dir`: "always set it to False if the option is provided in some (valid) form").
_PIP_BOOLS = frozenset({"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"})
# Where pip and uv keep their cache under a home directory; a command naming it reads the cache.
_CACHE_PATH = re.compile(r"\.cache/(pip|uv)\b")
# A word standing for one the script does not know (an argument after the sub-command): pip
# reads it as an argument; what it really is cannot change what the option placed before it does.
_ANY_ARGUMENT = "dockfix-unknown-argument"


def _option(front: PipFront) -> str:
    return "--no-cache" if front in (PipFront.UV_PIP, PipFront.UV_SYNC) else "--no-cache-dir"


def _cache_mount(ins: Instruction) -> bool:
    return any(m.type is MountType.CACHE for m in run_mounts(ins.flag_values("mount"), None))


def _configured(doc: Document) -> bool:
    """An ENV or ARG of the file names a cache or configuration variable of pip or uv."""
    return any(i.keyword in ("ENV", "ARG") and any(v in i.original for v in _CACHE_VARIABLES)
               for i in doc.instructions)


def _off_by_env(doc: Document, ins: Instruction) -> str | None:
    """`PIP_NO_CACHE_DIR=value` when the file's ENV sets it, to a value pip accepts, before this
    RUN in its stage (pip then has no cache whatever the value); None otherwise."""
    binding = scope_before(doc, ins).lookup("PIP_NO_CACHE_DIR")
    value = binding.value.text if binding is not None and not binding.maybe_unset else None
    return f"PIP_NO_CACHE_DIR={value}" if value is not None and value.lower() in _PIP_BOOLS else None


def _off_by_file_env(cmd: Command, ins: Instruction, doc: Document, pip: PipCommand) -> str | None:
    """Why a pip command whose cache is off is left as it is, when the file's ENV turns it off
    (the note the configured check gives); None when the command or its script does."""
    off = _off_by_env(doc, ins) if pip.front in (PipFront.PIP, PipFront.PYTHON_MODULE) else None
    if off is None:
        return None
    file_env = _run.file_env(doc, ins)
    own = {k: v for k, v in rw.command_env(cmd).items() if file_env.get(k) != v}
    if read_pip([w.value for w in cmd.argv], None, own).no_cache is True:
        return None
    return f"{pip.spelling()} {pip.subcommand}: pip's cache is already off: ENV {off} (pip turns it off for any value it accepts)"


def _cache_reader(doc: Document) -> tuple[int, str] | None:
    """The last instruction that names pip's or uv's cache directory other than to remove it
    (a `cp ~/.cache/pip/wheels/…` after the install, a COPY of it), by index, and what names
    it: without the cache it would read nothing. A RUN's `--mount=type=cache,target=…` is no
    reader (the mount hides the image's directory). None when nothing reads it."""
    found = None
    for ins in doc.instructions:
        if not _CACHE_PATH.search(ins.original):
            continue
        execution = run_execution(ins) if ins.keyword == "RUN" else None
        if execution is None or execution.form is not RunForm.SHELL or execution.script is None:
            found = (ins.index, f"`{ins.keyword}`, line {ins.start_line}")
            continue
        reader = _reader_in_script(execution.script)
        if reader is not None:
            found = (ins.index, f"`{reader}`, line {ins.start_line}")
    return found


def _reader_in_script(script: str) -> str | None:
    """The first command of the script that names the cache other than as `rm`'s argument
    ("RUN" when the words there are not read as a command); None when only `rm` names it."""
    commands = read_script(script, workdir=None).commands
    for m in _CACHE_PATH.finditer(script):
        around = [c for c in commands if c.start <= m.start() < c.end]
        others = [c.name or "RUN" for c in around if c.name != "rm"]
        if not around or others:
            return others[0] if others else "RUN"
    return None


def _refusal(pip: PipCommand) -> str | None:
    """Why the option cannot be added to this installing command, None when it can."""
    if not pip.exact:
        return f"{pip.spelling()} is not read exactly ({pip.unknowns[0]})"
    if isinstance(pip.no_cache, Unknown):
        return "whether the cache is disabled is unknown"
    if pip.value("cache_dir") is not None:
        return "the command names its cache directory"
    return None


def _subcommand_index(cmd: Command, pip: PipCommand) -> int | None:
    """The argv index of the sub-command word (the last word before it is the front)."""
    for i, w in enumerate(cmd.argv[1:], start=1):
        if w.value == pip.subcommand:
            return i
    return None


def _same_but_no_cache(values: list[str | None], at: int, pip: PipCommand, env) -> bool:
    """The model's reading of the edited command: the same command, with the cache off."""
    values = list(values)
    values.insert(at + 1, _option(pip.front))
    new = read_pip(values, None, env)
    return (new is not None and new.exact and new.action is pip.action and new.front is pip.front
            and new.arguments == pip.arguments and new.no_cache is True
            and len(new.options) == len(pip.options) + 1)


def _stand_ins(cmd: Command) -> tuple[list[str | None], int | None]:
    """The command's words with each unknown one after the sub-command read as a plain
    argument, and the sub-command's index; (words, None) when a word up to the sub-command is
    unknown (then the option's place is not known)."""
    values = [w.value for w in cmd.argv]
    pip = read_pip(values, None, rw.command_env(cmd))
    at = _subcommand_index(cmd, pip) if pip is not None else None
    if at is None or any(v is None for v in values[:at + 1]):
        return values, None
    return [_ANY_ARGUMENT if v is None else v for v in values], at


class PipNoCacheDir(DockerfileTransform):
    name = "pip-no-cache-dir"
    summary = "Add --no-cache-dir to pip install (--no-cache to uv): no pip cache in the image."
    safety = Safety.SAFE
    answers = "DL3042"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        configured, reader = _configured(doc), _cache_reader(doc)
        return rw.fix_runs(ctx, path, doc, "pip",
                           lambda cmd, ins, script: self._edit(cmd, ins, doc, configured, reader))

    def _edit(self, cmd: Command, ins: Instruction, doc: Document, configured: bool,
              reader: tuple[int, str] | None) -> rw.WordEdit | str | None:
        pip = read_pip([w.value for w in cmd.argv], None, rw.command_env(cmd))
        if pip is None or pip.action not in _INSTALLING[pip.front]:
            return None
        if pip.no_cache is True:  # the file's ENV can turn it off only where it names the variable
            return _off_by_file_env(cmd, ins, doc, pip) if configured else None
        values, at = _stand_ins(cmd)
        if at is not None and values != [w.value for w in cmd.argv]:
            pip = read_pip(values, None, rw.command_env(cmd))  # unknown arguments read as arguments
        why = self._why_not(cmd, pip, ins, doc, configured, reader, at)
        if why is None and (not rw.ends_a_word(cmd, at)
                            or not _same_but_no_cache(values, at, pip, rw.command_env(cmd))):
            why = "the option's place in the command could not be proved"
        if why is not None:
            return f"{pip.spelling()} {pip.subcommand}: {why}"
        return rw.WordEdit(cmd.argv[at].end, cmd.argv[at].end, " " + _option(pip.front))

    @staticmethod
    def _why_not(cmd: Command, pip: PipCommand, ins: Instruction, doc: Document, configured: bool,
                 reader: tuple[int, str] | None, at: int | None) -> str | None:
        if _cache_mount(ins):
            return "the RUN mounts a cache: the cache is deliberate and outside the image"
        if configured:
            off = _off_by_env(doc, ins) if pip.front in (PipFront.PIP, PipFront.PYTHON_MODULE) else None
            if off is not None:
                return f"pip's cache is already off: ENV {off} (pip turns it off for any value it accepts)"
            return "an ENV/ARG of the file sets a cache or configuration variable of pip/uv"
        if reader is not None and reader[0] >= ins.index:  # a later install cannot fill what it read
            return f"a command reads the pip or uv cache directory ({reader[1]}): without the cache it reads nothing"
        if at is None or not all(a.value.value is not None for a in cmd.assignments):
            return "a word of the command is unknown"
        named = [k for k in _CACHE_VARIABLES if k in rw.command_env(cmd)]
        if named:
            return f"the script sets {named[0]}: its cache is configured"
        return _refusal(pip)
