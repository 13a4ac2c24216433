"""pip-no-cache-dir: `pip install` gets `--no-cache-dir` (uv: `--no-cache`), answering hadolint DL3042.

What it does: in a shell-form RUN read exactly (`model.shell`), each pip command that installs
(`pip install`, `python -m pip install`, `uv pip install|sync`, `uv sync`) and neither disables
its cache nor names a cache directory gets the option right after its sub-command word.

When it must not fire: the script has a part the reader cannot follow, a word of the command is
unknown, pip's reading of the command is inexact (an unknown option, PIP_CONFIG_FILE, a variable
of unknown value), the command names `--cache-dir` or the script sets a PIP_/UV_ cache variable,
an ENV/ARG of the file sets a PIP_/UV_ cache or config variable, the RUN has a cache mount (the
cache is then deliberate and outside the image), a SHELL instruction is in the file.

Why it is equivalent: the option only stops pip (uv) from reading and writing its HTTP and wheel
cache, which lives under the user's home (~/.cache/pip, ~/.cache/uv). The packages resolved and
installed are the same; the image only lacks the cache files nothing at runtime reads.
"""

from __future__ import annotations

from dockfix.model.argv import Unknown
from dockfix.model.packages import PipAction, PipCommand, PipFront, read_pip
from dockfix.model.shell import Command
from dockfix.syntax import Document, Instruction
from dockfix.transforms import _run_words as rw
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_INSTALLING = {PipFront.PIP: (PipAction.INSTALL,), PipFront.PYTHON_MODULE: (PipAction.INSTALL,),
               PipFront.UV_PIP: (PipAction.INSTALL, PipAction.SYNC), PipFront.UV_SYNC: (PipAction.SYNC,)}
_CACHE_VARIABLES = ("PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "PIP_CONFIG_FILE", "UV_CACHE_DIR", "UV_NO_CACHE",
                    "UV_CONFIG_FILE")


def _option(front: PipFront) -> str:
    return "--no-cache" if front in (PipFront.UV_PIP, PipFront.UV_SYNC) else "--no-cache-dir"


def _cache_mount(ins: Instruction) -> bool:
    return any("type=cache" in m for m in ins.flag_values("mount"))


def _configured(doc: Document) -> bool:
    """An ENV or ARG of the file names a cache or configuration variable of pip or uv."""
    return any(i.keyword in ("ENV", "ARG") and any(v in i.original for v in _CACHE_VARIABLES)
               for i in doc.instructions)


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


def _same_but_no_cache(cmd: Command, at: int, pip: PipCommand) -> bool:
    """The model's reading of the edited command: the same command, with the cache off."""
    values = [w.value for w in cmd.argv]
    values.insert(at + 1, _option(pip.front))
    new = read_pip(values, None, rw.command_env(cmd))
    return (new is not None and new.exact and new.action is pip.action and new.front is pip.front
            and new.arguments == pip.arguments and new.no_cache is True
            and len(new.options) == len(pip.options) + 1)


class PipNoCacheDir(DockerfileTransform):
    name = "pip-no-cache-dir"
    summary = "Add --no-cache-dir to pip install (--no-cache to uv): no pip cache in the image."
    safety = Safety.SAFE
    answers = "DL3042"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        configured = _configured(doc)
        return rw.fix_runs(ctx, path, doc, "pip", lambda cmd, ins, script: self._edit(cmd, ins, configured))

    def _edit(self, cmd: Command, ins: Instruction, configured: bool) -> rw.WordEdit | str | None:
        pip = read_pip([w.value for w in cmd.argv], None, rw.command_env(cmd))
        if pip is None or pip.action not in _INSTALLING[pip.front] or pip.no_cache is True:
            return None
        why = self._why_not(cmd, pip, ins, configured)
        at = _subcommand_index(cmd, pip) if why is None else None
        if why is None and (at is None or not _same_but_no_cache(cmd, at, pip)):
            why = "the option's place in the command could not be proved"
        if why is not None:
            return f"{pip.spelling()} {pip.subcommand}: {why}"
        return rw.WordEdit(cmd.argv[at].end, cmd.argv[at].end, " " + _option(pip.front))

    @staticmethod
    def _why_not(cmd: Command, pip: PipCommand, ins: Instruction, configured: bool) -> str | None:
        if _cache_mount(ins):
            return "the RUN mounts a cache: the cache is deliberate and outside the image"
        if configured:
            return "an ENV/ARG of the file sets a cache or configuration variable of pip/uv"
        if not rw.words_known(cmd):
            return "a word of the command is unknown"
        named = [k for k in _CACHE_VARIABLES if k in rw.command_env(cmd)]
        if named:
            return f"the script sets {named[0]}: its cache is configured"
        return _refusal(pip)
