"""Virtual environments made earlier in a stage, whose `bin/activate` a RUN may source.

`venvs_at(doc, ins)` walks the instructions before `ins` in its stage and the stages of the
same file it is built on (`FROM <stage>`), and gives the venv directories whose activate script
is the one its tool wrote, for `model.shell.read_script(..., venvs=...)`, which then reads
`. DIR/bin/activate` with that script's effect (`model.activate`) instead of as opaque.

A venv is known when a RUN read exactly (`model.run`, `model.shell`: no opaque part) made it
with a command whose every word up to the directory is known and whose options are all in the
tables below (`read_creation`):
- `python[3[.X]] -m venv [options] DIR...` (CPython's venv; any path to the interpreter),
- `python[3[.X]] -m virtualenv ...` and `virtualenv [options] DIR`,
- `uv venv [options] [DIR]`, whose DIR defaults to `.venv` in the working directory (uv puts
  it elsewhere only under UV_PROJECT_ENVIRONMENT in a project root, taken as unset unless the
  file or the script sets it; `--relocatable`, UV_VENV_RELOCATABLE, `--directory`, `--project`
  are not read),
and the command runs whenever the RUN succeeds (`Condition.ALWAYS`, its failure the RUN's).
A RUN may also source a venv it makes itself, after the command that makes it (`_at_run`).

It stops being known, from that instruction on, when (the trust boundary: files a RUN writes
are not modelled in general, so this is what is assumed):
- a COPY/ADD lands at, in, or above the directory (`COPY . .` may bring a `.venv`), or its
  destination is not known;
- a RUN is not read exactly (exec form, a SHELL that is not sh-like, a `#!` heredoc, any
  opaque part), or a command of it has an unknown name;
- a command names the directory, a path in it or a directory above it in a word (`rm -rf
  .venv`, `cp x .venv/bin/activate`, `--target=/opt/venv/bin`) or an output redirection,
  unless it is one of `_NO_WRITES`; or a program that moves or removes files by name
  (`_BY_NAME`: rm, mv, cp, tar …) has a word whose value is unknown, or any word when its
  directory is unknown;
- a command makes a venv in a way not read exactly (`uv venv $DIR`, an unknown option).
Any other program (pip, apt-get, make, git, a setup.py, a compiler) is taken to leave a venv's
`bin/activate` as its tool wrote it. A `--mount` at or above the directory hides it from that
RUN only. A venv made in a stage of another Dockerfile is not followed.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from dockfix.model.run import RunForm, run_execution
from dockfix.model.shell import Command, Condition, RedirOp, read_script
from dockfix.model.stage_state import known_env, parent_stage, state_before
from dockfix.model.words import Scope, expand_word

__all__ = ["Creation", "NO_VENVS", "VenvTool", "Venvs", "read_creation", "venvs_at"]


class VenvTool(Enum):
    VENV = "python -m venv"
    VIRTUALENV = "virtualenv"
    UV = "uv venv"


@dataclass(frozen=True)
class Creation:
    """A command that makes virtual environments: the directories (absolute), or None when
    it makes one this reader cannot place (an unknown word or option)."""

    tool: VenvTool
    dirs: tuple[str, ...] | None


@dataclass(frozen=True)
class Venvs:
    workdir: str | None  # the RUN's working directory as the walk knows it (None: unknown)
    dirs: frozenset[str]  # venv directories whose bin/activate is its tool's


NO_VENVS = Venvs(None, frozenset())

_PYTHON = re.compile(r"python(?:3(?:\.\d+)?)?")
# Options that take no value / one value (the full spellings only: argparse's abbreviations
# and anything else are not read).
_VENV_FLAGS = frozenset({"--system-site-packages", "--symlinks", "--copies", "--clear", "--upgrade",
                         "--without-pip", "--upgrade-deps", "--without-scm-ignore-files"})
_VENV_VALUES = frozenset({"--prompt"})
_VIRTUALENV_FLAGS = frozenset({"--system-site-packages", "--clear", "--no-seed", "--without-pip", "--no-pip",
                               "--no-setuptools", "--no-wheel", "--copies", "--always-copy", "--symlinks",
                               "--no-download", "--never-download", "-q", "--quiet", "-v", "--verbose",
                               "--no-periodic-update"})
_VIRTUALENV_VALUES = frozenset({"-p", "--python", "--prompt"})
_UV_FLAGS = frozenset({"--seed", "--system-site-packages", "-c", "--clear", "--allow-existing", "--no-project",
                       "-q", "--quiet", "-v", "--verbose", "--offline", "-n", "--no-cache", "--no-index",
                       "--managed-python", "--no-managed-python", "--no-python-downloads", "--no-config",
                       "--native-tls", "--system-certs", "--no-progress", "--force"})
_UV_VALUES = frozenset({"-p", "--python", "--prompt", "--link-mode", "-i", "--index-url", "--extra-index-url",
                        "--index", "--default-index", "-f", "--find-links", "--index-strategy", "--cache-dir",
                        "--exclude-newer", "--keyring-provider", "--color", "--allow-insecure-host"})
_TABLES = {VenvTool.VENV: (_VENV_FLAGS, _VENV_VALUES), VenvTool.VIRTUALENV: (_VIRTUALENV_FLAGS, _VIRTUALENV_VALUES),
           VenvTool.UV: (_UV_FLAGS, _UV_VALUES)}
# uv's variables that move `uv venv`'s directory or change its activate script.
_UV_PLACES = ("UV_PROJECT_ENVIRONMENT", "UV_VENV_RELOCATABLE", "UV_WORKING_DIR", "UV_PROJECT")

# Programs that write no file (a word naming the venv is only read).
# Programs that write no file's content (a word naming the venv is read, or only its mode,
# owner or times change, or a directory is made where none was).
_NO_WRITES = frozenset({"cd", ":", "true", "false", "echo", "printf", "test", "[", "pwd", "ls", "cat", "export",
                        "unset", "set", "which", "command", "type", "id", "whoami", "uname", "sleep", "env",
                        "head", "tail", "grep", "stat", "file", "du", "df", "readlink", "realpath", ".",
                        "mkdir", "touch", "chmod", "chown", "chgrp"})
# Programs that move, copy, remove or write files by the names they are given.
_BY_NAME = frozenset({"rm", "mv", "cp", "ln", "rsync", "install", "tar", "unzip", "sed", "find", "xargs", "rmdir",
                      "truncate", "dd", "tee", "shred", "patch", "curl", "wget"})
_WRITES = frozenset({RedirOp.OUT, RedirOp.APPEND, RedirOp.CLOBBER, RedirOp.READ_WRITE})


def read_creation(args: tuple[str | None, ...], cwd: str | None, env: Mapping[str, str | None]) -> Creation | None:
    """The venvs the command `args` (its words' values) makes, run in `cwd` with the exported
    variables `env`; None when it is not a venv tool's create command."""
    tool, rest = _tool(args)
    if tool is None:
        return None
    return Creation(tool, _placed(tool, _operands(rest, *_TABLES[tool]), cwd, env))


def _placed(tool: VenvTool, dirs: list[str] | None, cwd: str | None,
            env: Mapping[str, str | None]) -> tuple[str, ...] | None:
    """The absolute directories of the positional words `dirs`; None when not known exactly."""
    if dirs is None:
        return None
    if tool is VenvTool.UV:
        if any(env.get(v, "") != "" for v in _UV_PLACES):
            return None
        dirs = dirs or [".venv"]
    if not dirs or (len(dirs) != 1 and tool is not VenvTool.VENV):
        return None
    if cwd is None and any(not d.startswith("/") for d in dirs):
        return None
    return tuple(posixpath.normpath(posixpath.join(cwd or "/", d)) for d in dirs)


def _tool(args: tuple[str | None, ...]) -> tuple[VenvTool | None, tuple[str | None, ...]]:
    name = posixpath.basename(args[0]) if args and args[0] is not None else None
    if name is not None and _PYTHON.fullmatch(name) and args[1:2] == ("-m",) and len(args) > 2:
        tool = {"venv": VenvTool.VENV, "virtualenv": VenvTool.VIRTUALENV}.get(args[2])  # type: ignore[arg-type]
        return tool, args[3:]
    if name == "virtualenv":
        return VenvTool.VIRTUALENV, args[1:]
    if name == "uv" and args[1:2] == ("venv",):
        return VenvTool.UV, args[2:]
    return None, ()


def _operands(words: tuple[str | None, ...], flags: frozenset[str], takes_value: frozenset[str]) -> list[str] | None:
    """The positional words, every option being in the tables; None when a word is unknown
    (it may be several fields, or none) or an option is not in them."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word is None:
            return None
        name = word.split("=", 1)[0]
        if word.startswith("-") and word != "-":
            if name in takes_value and "=" not in word:
                if i + 1 >= len(words) or words[i + 1] is None:
                    return None
                i += 1
            elif not (word in flags or (name in takes_value and name.startswith("--"))):
                return None
        else:
            out.append(word)
        i += 1
    return out


def mentions_venv_tool(args: tuple[str | None, ...]) -> bool:
    """A word names a venv tool (`uv -q venv`, `python -I -m venv`): a creation that
    `read_creation` may not have read."""
    return any(a in ("venv", "virtualenv") or (a is not None and posixpath.basename(a) == "virtualenv") for a in args)


# ---------------------------------------------------------------------------------------------
# The walk over a stage
# ---------------------------------------------------------------------------------------------

def venvs_at(doc, ins) -> Venvs:
    """The venvs whose activate script `ins` (a RUN of `doc`) may source, and its working
    directory as the walk knows it. Only a RUN whose text names an `activate` is walked for."""
    if ins.keyword != "RUN" or ins.stage < 0 or "activate" not in ins.original:
        return NO_VENVS
    per_doc = _WALKS.setdefault(doc, {})
    found = per_doc.get(ins.index)
    if found is None:
        _walk_chain(doc, doc.stages[ins.stage], per_doc)
        found = per_doc.get(ins.index, NO_VENVS)
    return found


# Per document: instruction index -> the venvs before it (one walk per stage chain).
_WALKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class _Walk:
    """The venvs at a point of the walk, with the stage's state there (`model.stage_state`):
    its working directory (None: not known), SHELL and scope (the stage's own, ARG defaults
    as values)."""

    workdir: str | None
    shell: tuple[str, ...] | None
    dirs: frozenset[str]


def _walk_chain(doc, stage, per_doc: dict) -> frozenset[str]:
    """Walk `stage` (and first the stage of this file it is built on), recording each RUN's
    venvs in `per_doc`; returns the venvs at the stage's end (kept under ("end", index))."""
    end = per_doc.get(("end", stage.index))
    if end is not None:
        return end
    parent = parent_stage(doc, stage)
    dirs = _walk_chain(doc, parent, per_doc) if parent is not None else frozenset()
    for index in stage.instructions[1:]:
        ins = doc.instructions[index]
        state = state_before(doc, ins)
        walk, scope = _Walk(state.workdir.known, state.shell, dirs), state.stage_scope
        if ins.keyword == "RUN":
            at = _at_run(walk, ins, scope, doc.escape)
            per_doc[index] = Venvs(walk.workdir, at)
            dirs = _after_run(walk, ins, scope, doc.escape, at)
        elif ins.keyword in ("COPY", "ADD"):
            dest = expand_word(ins.value[-1], scope, doc.escape).text if ins.value else None
            dirs = _untouched(dirs, _resolve(walk.workdir, dest) if dest else None)
    per_doc[("end", stage.index)] = dirs
    return dirs


def _resolve(cwd: str | None, path: str | None) -> str | None:
    if path is None or (cwd is None and not path.startswith("/")):
        return None
    return posixpath.normpath(posixpath.join(cwd or "/", path))


def _overlaps(path: str, venv: str) -> bool:
    """`path` is the venv directory, in it, or above it."""
    return (path == venv or path.startswith(venv + "/") or venv.startswith(path.rstrip("/") + "/")
            or path == "/")


def _untouched(dirs: frozenset[str], path: str | None) -> frozenset[str]:
    """`dirs` less those `path` overlaps (all of them when `path` is not known)."""
    if not dirs:
        return dirs
    if path is None:
        return frozenset()
    return frozenset(d for d in dirs if not _overlaps(path, d))


def _unmounted(dirs: frozenset[str], ins, scope: Scope, escape: str, workdir: str | None) -> frozenset[str]:
    """`dirs` less those a `--mount` of the RUN covers (or all, when a target is not known)."""
    for mount in ins.flag_values("mount") if dirs else ():
        fields = dict(f.partition("=")[::2] for f in mount.split(","))
        target = fields.get("target", fields.get("dst", fields.get("destination")))
        value = expand_word(target, scope, escape).text if target else None
        dirs = _untouched(dirs, _resolve(workdir, value))
    return dirs


def _script(walk: _Walk, ins) -> str | None:
    """The text a POSIX shell reads for the RUN; None when none does."""
    if walk.shell is None:
        return None
    execution = run_execution(ins, walk.shell)
    if execution.form is not RunForm.SHELL or not execution.posix_shell:
        return None
    return execution.script


def _at_run(walk: _Walk, ins, scope: Scope, escape: str) -> frozenset[str]:
    """The venvs the RUN may source: those before it that no `--mount` covers, and those it
    makes itself before it sources them (`python -m venv /v && . /v/bin/activate`): each
    activation of its own venv must come after a creation that always ran, in source order,
    with nothing between that touched it (`_after_command`)."""
    here = _unmounted(walk.dirs, ins, scope, escape, walk.workdir)
    text = _script(walk, ins)
    if text is None:
        return here
    env = known_env(scope)
    first = read_script(text, workdir=walk.workdir, env=env, venvs=here)
    own = frozenset(d for c in first.commands for d in _created(c)) - here
    if not own:
        return here
    second = read_script(text, workdir=walk.workdir, env=env, venvs=here | own)
    if second.opaque:
        return here
    state, kept = here, set(own)
    for command in second.commands:
        if _activated(command) in own and _activated(command) not in state:
            kept.discard(_activated(command))
        state = _after_command(state, command)
    return here | kept


def _created(command: Command) -> tuple[str, ...]:
    creation = read_creation(command.args, command.cwd, dict(command.env)) if command.argv else None
    return creation.dirs or () if creation is not None else ()


def _activated(command: Command) -> str | None:
    """The venv directory `. DIR/bin/activate` names (as model.shell resolves it), else None."""
    args = command.args
    if len(args) != 2 or args[0] != "." or args[1] is None or "/" not in args[1]:
        return None
    path = _resolve(command.cwd, args[1])
    return path[:-len("/bin/activate")] if path is not None and path.endswith("/bin/activate") else None


def _after_run(walk: _Walk, ins, scope: Scope, escape: str, at: frozenset[str]) -> frozenset[str]:
    """The venvs after the RUN (read with `at`, the venvs it may source): nothing known when
    it is not read exactly; those it made under a `--mount` are not in the image."""
    text = _script(walk, ins)
    if text is None:
        return frozenset()
    script = read_script(text, workdir=walk.workdir, env=known_env(scope), venvs=at)
    if script.opaque:
        return frozenset()
    kept = walk.dirs
    for command in script.commands:
        kept = _after_command(kept, command)
    new = kept - walk.dirs
    return (kept & walk.dirs) | _unmounted(new, ins, scope, escape, walk.workdir)


def _after_command(dirs: frozenset[str], command: Command) -> frozenset[str]:
    args = command.args
    if not args:
        return dirs
    creation = read_creation(args, command.cwd, dict(command.env))
    if creation is not None:
        if creation.dirs is None:
            return frozenset()
        made = creation.dirs if command.condition is Condition.ALWAYS and command.checked else ()
        return frozenset(d for d in dirs if d not in creation.dirs) | frozenset(made)
    if args[0] is None or mentions_venv_tool(args):
        return frozenset()
    for target in _writes(command):
        dirs = _untouched(dirs, target)
    name = posixpath.basename(args[0])
    if name in _NO_WRITES:
        return dirs
    if name in _BY_NAME:
        dirs = _by_name(dirs, command)
    for path in _named_paths(args[1:], command.cwd):
        dirs = _untouched(dirs, path)
    return dirs


def _by_name(dirs: frozenset[str], command: Command) -> frozenset[str]:
    """A program that writes the files it is given: an unknown word may name anything (a
    plain glob, paths below its directory), a relative one in an unknown directory too."""
    if command.cwd is None:
        return frozenset()
    for word in command.argv[1:]:
        if word.value is None:
            dirs = _untouched(dirs, _glob_directory(word.text, command.cwd))
    return dirs


_GLOB = re.compile(r"[*?\[]")
_NOT_PLAIN_GLOB = re.compile(r"[$`\\'\"~{\s]")


def _glob_directory(text: str, cwd: str) -> str | None:
    """The directory every expansion of a plain glob word lies below (`/var/lib/apt/lists/*`:
    `/var/lib/apt/lists`); None when the word is not a plain glob (an expansion, quotes) or a
    component from the first pattern on starts with `.` (dash's `.*` matches `..`)."""
    first = _GLOB.search(text)
    if first is None or _NOT_PLAIN_GLOB.search(text):
        return None
    cut = text.rfind("/", 0, first.start()) + 1
    if ("/" + text[cut:]).find("/.") >= 0:
        return None
    return _resolve(cwd, text[:cut] or ".")


def _writes(command: Command) -> Iterable[str | None]:
    for r in command.redirections:
        if r.op in _WRITES:
            yield _resolve(command.cwd, r.target.value)


def _named_paths(words: tuple[str | None, ...], cwd: str | None) -> Iterable[str]:
    """The paths the known words may name: each word, and what follows `=` in an option."""
    for word in words:
        if word is None:
            continue
        for text in (word, word.partition("=")[2]):
            if text and (text.startswith("/") or cwd is not None):
                path = _resolve(cwd, text)
                if path is not None:
                    yield path
