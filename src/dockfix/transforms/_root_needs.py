"""Which RUNs need root, and which must run as the runtime user (root-swap and non-root ask).

Every RUN is read by the model: `model.run.run_execution` says what BuildKit executes (exec
form, a `#!` heredoc, the stage's SHELL), `model.shell.read_script` reads the script (each
command's argv values, working directory, environment, redirections), `model.packages.read_pip`
reads pip. This module only decides, per command, from the table below. What cannot be read
(a SHELL that is not sh-like, code the shell reader marks opaque, an unknown command name or
path) needs root: a false "root" costs a `USER root` line, a false "user" breaks the build.
It imports no transform.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from dockfix.memo import Memo
from dockfix.model.packages import PipAction, PipFront, PipCommand, read_pip
from dockfix.model.run import DEFAULT_SHELL, RunForm, run_execution
from dockfix.model.shell import Command, RedirOp, Script, read_script
from dockfix.model.shell_syntax import OpaqueReason
from dockfix.syntax import Instruction
from dockfix.transforms._writes import written_paths

# Commands that need root whatever their arguments.
ROOT_COMMANDS = frozenset({
    "apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper", "tdnf",
    "add-apt-repository", "apt-key", "update-ca-certificates", "ldconfig",
    "useradd", "groupadd", "userdel", "groupdel", "usermod", "groupmod",
    "adduser", "addgroup", "deluser", "delgroup", "passwd", "chpasswd",
    "dpkg-reconfigure", "debconf-set-selections", "locale-gen", "update-locale",
    "update-alternatives", "setcap", "chown", "chgrp",
})
# dpkg / rpm: only their installing and removing modes write.
_DPKG_WRITE = re.compile(r"^-(?:[a-zA-Z]*[irPV]|-install|-remove|-purge|-unpack|-configure|-set-selections)")
_RPM_WRITE = re.compile(r"^-(?:[a-zA-Z]*[iUFe]|-install|-upgrade|-freshen|-erase|-import|-rebuilddb)")
# Wrappers that run the rest of the words as a command.
_WRAPPERS = frozenset({"sudo", "exec", "nice", "nohup", "time", "command", "builtin", "env", "xargs",
                       "timeout", "stdbuf", "ionice", "chroot", "su-exec", "gosu", "tini", "!"})
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev", "/proc", "/run/secrets")
# A word the shell reader could not resolve: never an option, never a resolvable path.
UNKNOWN_WORD = "\0unknown"
# `~/x` unquoted: the shell replaces `~` with $HOME (the model leaves the word unknown).
_TILDE = re.compile(r"~(/[A-Za-z0-9_.\-/]*)?")
_WRITE_OPS = frozenset({RedirOp.OUT, RedirOp.APPEND, RedirOp.CLOBBER, RedirOp.READ_WRITE})


@dataclass
class Needs:
    """Why a RUN needs root, and why it must run as the user (both empty: either will do);
    `other`: its commands whose effect depends on the user they run as and that are not the
    user's (root-swap keeps those as root, where they ran before non-root)."""

    root: list[str] = field(default_factory=list)
    user: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


# Builtins that touch no file without a redirection: who runs them changes nothing (the
# prover's rule "Builtins that touch no file" names the same ones).
_NO_FILE_EFFECT = frozenset({"echo", "printf", "true", "false", ":", "set"})


@dataclass
class Where:
    """The places a RUN may write without root, and how to resolve its paths."""

    cwd: str | None  # the WORKDIR the RUN starts in (None: unknown)
    owned: tuple[str, ...] = ()  # directories the runtime user owns (its home, the app dir)
    home: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def run_scripts(ins: Instruction, where: Where | None = None,
                shell: tuple[str, ...] = DEFAULT_SHELL) -> list[Script] | None:
    """The shell scripts the RUN executes, read by the model (an exec form `sh -c X` is its
    script X); None when something other than a POSIX shell reads it."""
    where = where or Where(cwd=None)
    ex = run_execution(ins, shell)
    if ex.form is RunForm.EXEC:
        return _exec_scripts(list(ex.argv), where)
    if ex.form is RunForm.SCRIPT_FILE:
        first = (ex.script or "").split("\n", 1)[0][2:].split()
        if first[:1] and posixpath.basename(first[0]) == "env":
            first = first[1:]  # `#!/usr/bin/env bash`
        if not first or posixpath.basename(first[0]) not in _SHELLS:
            return None
        return [_read(ex.script or "", where.cwd, where)]
    if not ex.posix_shell:
        return None
    return [_read(ex.script or "", where.cwd, where)]


def _exec_scripts(argv: list[str], where: Where) -> list[Script]:
    if argv and posixpath.basename(argv[0]) in _SHELLS and "-c" in argv[1:-1]:
        return [_read(argv[argv.index("-c") + 1], where.cwd, where)]
    # A plain argv: read as a script of that one command, each word quoted.
    return [_read(" ".join("'" + a.replace("'", "'\\''") + "'" for a in argv), where.cwd, where)]


def _read(script: str, cwd: str | None, where: Where, env: dict[str, str] | None = None) -> Script:
    known = dict(where.env if env is None else env)
    if where.home is not None:
        known.setdefault("HOME", where.home)
    return read_script(script, workdir=cwd, env=known)


def command_names(ins: Instruction, shell: tuple[str, ...] = DEFAULT_SHELL) -> frozenset[str]:
    """The base names of the commands a RUN runs (those the reader can name)."""
    scripts = run_scripts(ins, None, shell) or []
    return frozenset(posixpath.basename(c.name) for s in scripts for c in s.commands if c.name)


# analyse_run by (the instruction, what `where` says, shell): non-root reads every RUN of the
# images built on a base, and root-swap reads them again. An Instruction compares by identity,
# and a parsed document is never changed.
_ANALYSED: Memo = Memo(50_000)


def analyse_run(ins: Instruction, where: Where, shell: tuple[str, ...] = DEFAULT_SHELL) -> Needs:
    key = (ins, where.cwd, tuple(where.owned), where.home, tuple(sorted(where.env.items())), tuple(shell))
    found = _ANALYSED.get(key)
    if found is None:
        found = _ANALYSED.put(key, _analyse_run(ins, where, shell))
    return Needs(list(found.root), list(found.user), list(found.other))


def _analyse_run(ins: Instruction, where: Where, shell: tuple[str, ...]) -> Needs:
    needs = Needs()
    scripts = run_scripts(ins, where, shell)
    if scripts is None:
        needs.root.append("a RUN no POSIX shell reads (exec form of an unknown program, or another SHELL)")
        return needs
    for script in scripts:
        _analyse_script(script, where, needs, depth=0)
    return needs


def _analyse_script(script: Script, where: Where, needs: Needs, depth: int) -> None:
    venv = where.env.get("VIRTUAL_ENV")
    activations = {c.start for c in script.commands if _activated(c) is not None}
    for o in script.opaque:
        if not (o.reason is OpaqueReason.DYNAMIC and o.start in activations):
            needs.root.append(f"{o.reason.value}: {o.detail or script.text[o.start:o.end]}")
            needs.other.append(script.text[o.start:o.end])
    for c in script.commands:
        activated = _activated(c)
        if activated is not None:
            venv = activated
            continue
        _analyse_command(c, where, needs, depth, venv)


def _activated(c: Command) -> str | None:
    """`. /opt/venv/bin/activate` (or `source`): the venv it activates, resolved."""
    if c.name not in (".", "source") or len(c.argv) < 2 or c.argv[1].value is None:
        return None
    act = c.argv[1].value
    if not act.endswith("/bin/activate"):
        return None
    prefix = act[: -len("/bin/activate")]
    if not prefix.startswith("/"):
        if c.cwd is None:
            return None
        prefix = posixpath.join(c.cwd, prefix)
    return posixpath.normpath(prefix)


def _analyse_command(c: Command, where: Where, needs: Needs, depth: int, venv: str | None) -> None:
    env = {k: v for k, v in c.env if v is not None}
    if venv is not None:
        env["VIRTUAL_ENV"] = venv
    _redirections(c, where, needs)
    words = [w.value if w.value is not None else _path_of(None, w.text, where) for w in c.argv]
    words = _unwrap(words)
    if not words:
        return
    if words[0] == UNKNOWN_WORD:
        needs.root.append(f"runs a command it cannot name ({c.argv[0].text})")
        needs.other.append(c.argv[0].text)
        return
    cmd = posixpath.basename(words[0])
    if cmd in _SHELLS and depth < 3 and _shell_reads(c, words, where, env, needs, depth):
        return
    users = len(needs.user)
    _command(cmd, words, c.cwd, where, env, needs)
    if len(needs.user) == users and (cmd not in _NO_FILE_EFFECT or c.redirections):
        needs.other.append(cmd)


def _redirections(c: Command, where: Where, needs: Needs) -> None:
    for r in c.redirections:
        if r.op in _WRITE_OPS or (r.op is RedirOp.DUP_OUT and not _fd_word(r.target.value)):
            path = _path_of(r.target.value, r.target.text, where)
            _write(path, c.cwd, where, needs, f"writes {r.target.text}")


def _shell_reads(c: Command, words: list[str], where: Where, env: dict[str, str], needs: Needs,
                 depth: int) -> bool:
    """`sh -c SCRIPT`, or `bash <<EOF` (the heredoc on stdin is the script): read it too.
    False when the shell runs something else (a script file)."""
    if "-c" in words[1:-1]:
        inner = words[words.index("-c") + 1]
    elif all(w.startswith("-") for w in words[1:]):
        docs = [r.heredoc for r in c.redirections
                if r.op in (RedirOp.HEREDOC, RedirOp.HEREDOC_STRIP) and r.fd in (None, 0)]
        # No heredoc: the script comes from a pipe (`curl … | sh`) it cannot read.
        inner = docs[-1].value if docs and docs[-1] is not None and docs[-1].value is not None else UNKNOWN_WORD
    else:
        return False
    # The prover does not read a script a nested shell runs: who runs it must not change.
    needs.other.append(words[0])
    if inner == UNKNOWN_WORD:
        needs.root.append(f"{words[0]} runs a script it cannot read")
    else:
        _analyse_script(_read(inner, c.cwd, where, env), Where(c.cwd, where.owned, where.home, env),
                        needs, depth + 1)
    return True


def _fd_word(value: str | None) -> bool:
    return value is not None and (value.isdigit() or value == "-")


def _path_of(value: str | None, text: str, where: Where) -> str:
    if value is not None:
        return value
    if where.home is not None and _TILDE.fullmatch(text):
        return where.home + text[1:]
    return UNKNOWN_WORD


def _unwrap(words: list[str]) -> list[str]:
    """Drop wrappers (`sudo`, `env X=1`, `timeout 5`) in front of the command they run."""
    while words and posixpath.basename(words[0]) in _WRAPPERS:
        w = posixpath.basename(words[0])
        words = words[1:]
        while words and (words[0].startswith("-") or _ASSIGN.match(words[0])
                         or (w == "timeout" and words[0][:1].isdigit())):
            words = words[1:]
    return words


def _command(cmd: str, words: list[str], cwd: str | None, where: Where,
             env: dict[str, str], needs: Needs) -> None:
    args = words[1:]
    why = _root_by_name(cmd, args)
    if why is not None:
        needs.root.append(why)
        return
    pip = read_pip([None if w == UNKNOWN_WORD else w for w in words], cwd, env)
    if pip is not None:
        _pip(pip, cwd, where, env, needs)
        return
    if re.fullmatch(r"python[\d.]*", cmd) and args[:2] == ["-m", "ensurepip"]:
        if "--user" in args:
            needs.user.append("ensurepip --user")
        else:
            needs.root.append("ensurepip")
        return
    for p in written_paths(cmd, args):
        _write(p, cwd, where, needs, f"{cmd} {p}")


def _root_by_name(cmd: str, args: list[str]) -> str | None:
    """Why the command needs root by what it is (a package manager, a user tool, …)."""
    if cmd in ROOT_COMMANDS:
        return cmd
    if cmd == "dpkg" and any(_DPKG_WRITE.match(a) for a in args):
        return "dpkg"
    if cmd == "rpm" and any(_RPM_WRITE.match(a) for a in args):
        return "rpm"
    return _global_install(cmd, args)


def _global_install(cmd: str, args: list[str]) -> str | None:
    """npm/pnpm -g, yarn global, gem without --user-install: into the system's prefix."""
    if cmd in ("npm", "pnpm") and args[:1] in (["install"], ["i"], ["add"]) and (
            "-g" in args or "--global" in args):
        return f"{cmd} install -g"
    if cmd == "yarn" and args[:2] == ["global", "add"]:
        return "yarn global add"
    if cmd == "gem" and args[:1] == ["install"] and "--user-install" not in args:
        return "gem install"
    return None


def _pip(pip: PipCommand, cwd: str | None, where: Where, env: dict[str, str], needs: Needs) -> None:
    if pip.front in (PipFront.UV_PIP, PipFront.UV_SYNC):
        if pip.action is PipAction.INSTALL and pip.value("system") is not None and pip.value("system") is not False:
            needs.root.append("uv pip install --system")
        return
    sub = pip.action.value
    if pip.action not in (PipAction.INSTALL, PipAction.UNINSTALL):
        return
    if pip.user_site is True:
        if pip.action is PipAction.INSTALL:
            needs.user.append("pip install --user")
        return
    for dest, opt in (("target_dir", "--target"), ("prefix_path", "--prefix"), ("root_path", "--root")):
        val = pip.value(dest)
        if val is not None:
            path = val if isinstance(val, str) else UNKNOWN_WORD
            _write(path, cwd, where, needs, f"pip {sub} {opt} {val}")
            return
    venv = _venv_of(pip.launcher, env)
    if venv is not None:
        _write(venv, cwd, where, needs, f"pip {sub} into the venv {venv}")
        return
    needs.root.append(f"system-wide pip {sub}")


def _venv_of(launcher: str, env: dict[str, str]) -> str | None:
    if launcher.startswith("/") and posixpath.basename(posixpath.dirname(launcher)) == "bin":
        prefix = posixpath.dirname(posixpath.dirname(launcher))
        return prefix if prefix not in ("/usr", "/usr/local", "/") else None
    return env.get("VIRTUAL_ENV") or None


def _resolve(path: str, cwd: str | None) -> str | None:
    """An absolute, normalised path, or None when it cannot be known."""
    if UNKNOWN_WORD in path:
        return None
    if not path.startswith("/"):
        if cwd is None:
            return None
        path = posixpath.join(cwd, path)
    return posixpath.normpath(path)


def under(path: str, directory: str) -> bool:
    d = directory.rstrip("/") or "/"
    return d == "/" or path == d or path.startswith(d + "/")


def _write(path: str, cwd: str | None, where: Where, needs: Needs, reason: str) -> None:
    if path in ("-", "/dev/null"):
        return
    full = _resolve(path, cwd)
    if full is None:
        needs.root.append(f"{reason.replace(UNKNOWN_WORD, '?')} (a path it cannot resolve)")
        return
    if any(under(full, d) for d in TEMP_DIRS) or any(under(full, d) for d in where.owned):
        return
    needs.root.append(reason)
