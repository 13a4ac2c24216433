"""What the prover keeps of each build step besides its effects on config, files and packages.

A RUN is read by the model's shell reader (`model.shell`); the commands whose effect the
model compares elsewhere (apt/apk installs: `packages`; pip: the PipInstall records) are
left out, and what remains, the *residue* (every other command, with the directory it runs
in and whether it always runs; every part of the script the reader cannot follow), is what
the prover compares by identity: a command it does not read is proved unchanged only when it
is the same command, run the same way, in the same order. Accounts a command creates are
kept on their own (`USER` and `--chown` must name one the image has).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dockfix.model.packages import PackageAction, PackageManager, is_pip, read_system_packages
from dockfix.memo import Memo
from dockfix.model.program_env import env_read, program_names
from dockfix.model.run import RunForm, run_execution
from dockfix.model.shell import read_script
from dockfix.model.shell_tree import RedirOp
from dockfix.prover.reads import NOTHING_INSTALLED, Installs, files_present, files_read, installed_after
from dockfix.syntax import Instruction

_PLAIN = re.compile(r" *[A-Za-z0-9_./:=,@+%-]+(?: +[A-Za-z0-9_./:=,@+%-]+)* *")
# Commands whose effect the model reads and compares on its own (packages, pip records).
_PACKAGE_PROGRAMS = frozenset({"apt-get", "apt", "apk"})
# Commands that only add an account (passwd/group entries and a home directory).
ACCOUNT_PROGRAMS = frozenset({"useradd", "adduser", "groupadd", "addgroup"})


@dataclass(frozen=True)
class Step:
    """One RUN/COPY/ADD as the prover compares it (location kept for messages only)."""

    keyword: str
    flags: tuple[str, ...]
    user: str  # the USER it runs as, as written ("" = the base's)
    residue: tuple[str, ...]  # RUN: the commands not read elsewhere, with where and how they run; COPY: sources
    accounts: tuple[str, ...]  # RUN: the user and group names (and uids) it creates
    path: str
    line: int
    root_only: bool = False  # RUN: a package manager's install/update or an account tool: fails unless root
    uids: tuple[tuple[str, str], ...] = ()  # RUN: (uid, login name) of each user it creates with -u
    # RUN: for each residue item, the (image path, origin) of the files COPY/ADD landed before
    # it runs that the command may read, and what was installed before it (`prover.reads`).
    files: tuple[frozenset[tuple[str, str]], ...] = ()
    installed: tuple[Installs, ...] = ()


def run_step(ins: Instruction, shell: tuple[str, ...], workdir: str | None, env: dict[str, str], user: str,
             path: str, unknown_env: tuple[str, ...] = (), files: Mapping | None = None,
             installed: Installs = NOTHING_INSTALLED, venvs: frozenset[str] = frozenset()) -> Step:
    """A RUN's step record: its flags, and its residue as read by the shell reader. Each
    residue command carries the variables it may read (`model.program_env`; `unknown_env`:
    names set with a value the model cannot read) and the files present it may read (`files`:
    image path -> entry, what COPY/ADD landed so far), so an ENV, ARG or COPY moved across it
    shows; `installed` is what package managers installed before the RUN (`reads.installed_after`);
    `venvs`: the venvs whose activate script it may source (`model.venv.venvs_at`)."""
    execution = run_execution(ins, shell)
    flags = tuple(sorted(ins.flags))
    if execution.form is not RunForm.SHELL or not execution.posix_shell or execution.script is None:
        seen = env_read_by((None,), tuple(env.items()), unknown_env)
        return Step("RUN", flags, user, (f"unread: {execution.form.value} {execution.argv!r}{_env_text(seen)}",),
                    (), path, ins.start_line, files=(files_present(files or {}),), installed=(installed,))
    plain = _plain_package_command(execution.script)
    if plain is not None:  # one literal command (no quoting, expansion or operator): no shell reading needed
        return Step("RUN", flags, user, (), (), path, ins.start_line, plain)
    script = read_script(execution.script, workdir=workdir, env=env, venvs=venvs)
    # A SHELL other than sh runs the same text another way (bash's $RANDOM, brace expansion):
    # it is part of each command's record.
    under = "" if tuple(shell) == _SH else f", under {' '.join(shell)}"
    reading = _Reading(unknown_env, files or {}, installed, under)
    for c in script.commands:
        reading.add(execution.script, c)
    for o in script.opaque:
        reading.unread(f"unread: {o.reason.value}: {execution.script[o.start:o.end]}")
    for control in script.controls:
        reading.control(control)
    return Step("RUN", flags, user, tuple(reading.residue), tuple(reading.accounts), path, ins.start_line,
                reading.root_only, tuple(reading.uids), tuple(reading.files), tuple(reading.installed_before))


def _plain_package_command(script: str) -> bool | None:
    """For a script that is one literal package or pip command: whether it needs root; None
    for any other script (read by the shell reader)."""
    if _PLAIN.fullmatch(script) is None:
        return None
    words = script.split()
    name = words[0][words[0].rfind("/") + 1:]  # posixpath.basename, inlined
    if "=" in words[0] or not (name in _PACKAGE_PROGRAMS or is_pip(words)):
        return None
    return name in _PACKAGE_PROGRAMS and bool(_ROOT_ACTIONS.intersection(words[1:]))


@dataclass
class _Reading:
    """What the commands of one RUN add up to, command by command."""

    unknown_env: tuple[str, ...] = ()  # variables set with a value the model cannot read
    landed: Mapping = field(default_factory=dict)  # image path -> entry: what COPY/ADD landed so far
    installed: Installs = NOTHING_INSTALLED  # what package managers installed so far
    under: str = ""  # ", under <SHELL>" when the RUN's shell is not /bin/sh -c
    residue: list[str] = field(default_factory=list)
    files: list[frozenset[tuple[str, str]]] = field(default_factory=list)  # per residue item
    installed_before: list[Installs] = field(default_factory=list)  # per residue item
    _present: frozenset[tuple[str, str]] | None = None
    accounts: list[str] = field(default_factory=list)
    uids: list[tuple[str, str]] = field(default_factory=list)
    root_only: bool = False

    def add(self, script: str, c) -> None:
        args = c.args
        name = args[0][args[0].rfind("/") + 1:] if args and args[0] is not None else None  # posixpath.basename
        if name in ACCOUNT_PROGRAMS:
            self.accounts.extend(_account_names(args))
            if name in ("useradd", "adduser"):
                self.uids.extend(_uid_of(args))
        self.root_only = self.root_only or name in ACCOUNT_PROGRAMS or (
            name in _PACKAGE_PROGRAMS and bool(_ROOT_ACTIONS.intersection(args[1:])))
        if not _read_elsewhere(name, c):
            how = ", any user" if name in _NO_FILE_EFFECT and not c.redirections and not c.subshell else ""
            env = _env_text(env_read_by(args, c.env, self.unknown_env))
            self.residue.append(f"{_command_text(script, c)} [in {c.cwd or '?'}, {c.condition.name.lower()}"
                                f"{self.under}{env}{how}]")
            targets = tuple(r.target.value for r in c.redirections if not _is_fd_target(r))
            self.files.append(files_read(args, c.cwd, targets, self.present()))
            self.installed_before.append(self.installed)
        self.installed = installed_after(args, c.cwd, self.installed)

    def unread(self, item: str) -> None:
        """A part of the script the reader cannot follow: it may read any file present."""
        self.residue.append(item)
        self.files.append(self.present())
        self.installed_before.append(self.installed)

    def control(self, words: str) -> None:
        """What a loop runs with or a `case` chooses: compared as expanded; a word whose value
        is not known (a glob, a variable) may read any file present."""
        self.residue.append(f"{words} [control{self.under}]")
        self.files.append(self.present() if "<?>" in words else frozenset())
        self.installed_before.append(self.installed)

    def present(self) -> frozenset[tuple[str, str]]:
        if self._present is None:
            self._present = files_present(self.landed)
        return self._present


_SH = ("/bin/sh", "-c")
_NO_FILE_NAMED = frozenset({RedirOp.DUP_IN, RedirOp.DUP_OUT, RedirOp.HEREDOC, RedirOp.HEREDOC_STRIP})


def _is_fd_target(r) -> bool:
    """`2>&1`, `<&3`, a heredoc: no file is named."""
    return r.op in _NO_FILE_NAMED


def _env_text(names: tuple[str, ...]) -> str:
    return f", env {' '.join(names)}" if names else ""


def env_read_by(args: tuple[str | None, ...], env: tuple[tuple[str, str | None], ...],
                unknown: tuple[str, ...] = (), leave: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The variables a command may read (`model.program_env.env_read`), PATH without its
    user-site entries (README: PATH follows a relocated user site, for ENV and for what a
    command reads alike)."""
    key = (program_names(args), env, unknown, leave)  # `env_read` depends on the program's table only
    found = _READ_BY.get(key)
    if found is None:
        found = _READ_BY.put(key, tuple(f"PATH={path_without_user_sites(item[5:])}" if item.startswith("PATH=")
                                        else item for item in env_read(args, env, unknown, leave)))
    return found


# Every command of a large RUN asks for the same environment again.
_READ_BY: Memo = Memo(4096)


def path_without_user_sites(path: str) -> str:
    return ":".join(p for p in path.split(":") if not p.rstrip("/").endswith("/.local/bin"))


def _command_text(script: str, command) -> str:
    """The command as written and, when expansion changes it, as the shell runs it (an ARG's
    value is part of what runs; a word the reader cannot expand shows as `<?>`)."""
    raw = script[command.start:command.end]
    words = [w.value if w.value is not None else "<?>" for w in command.argv]
    expanded = " ".join(words)
    return raw if expanded == " ".join(w.text for w in command.argv) else f"{raw} => {expanded}"


def _read_elsewhere(name: str | None, command) -> bool:
    """The command's effect is compared by another rule: packages, pip, the apt cache cleanup."""
    if name in _PACKAGE_PROGRAMS:
        return True
    if command.args and is_pip(list(command.args)):
        return True
    if name in _CACHE_CLEANERS:
        return _clean_only(command.args)
    return name == "rm" and _package_cache_cleanup(command.argv)


_CACHE_CLEANERS = frozenset({"dnf", "yum", "microdnf"})
_CLEAN_TARGETS = frozenset({"all", "packages", "metadata", "dbcache", "expire-cache"})
_QUIET_OPTIONS = frozenset({"yes", "quiet", "verbose"})


def _clean_only(args: tuple[str | None, ...]) -> bool:
    """`dnf clean all` (yum, microdnf; packages, metadata, dbcache, expire-cache): removes only
    the manager's download cache under /var/cache (README: the package cache cleanup rule)."""
    reading = read_system_packages(args)
    return (reading is not None and reading.exact and reading.action is PackageAction.CLEAN
            and reading.manager in (PackageManager.DNF, PackageManager.YUM, PackageManager.MICRODNF)
            and len(reading.arguments) >= 1 and set(reading.arguments) <= _CLEAN_TARGETS
            and all(o.dest in _QUIET_OPTIONS for o in reading.options))


def _uid_of(args: tuple[str | None, ...]) -> list[tuple[str, str]]:
    """(uid, login) of `useradd -u N name` / `adduser -u N name`: the login is the last
    positional (Debian's `adduser user group` form adds to a group: no -u there)."""
    uid = None
    positionals: list[str | None] = []
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("-u", "--uid") and i + 1 < len(args):
            uid = args[i + 1]
            i += 2
            continue
        if a is not None and a in _VALUED:
            i += 2
            continue
        if a is None or not a.startswith("-"):
            positionals.append(a)
        i += 1
    if uid is None or len(positionals) != 1 or positionals[0] is None:
        return []
    return [(uid, positionals[0])]


# Shell builtins that touch no file without a redirection: who runs them does not matter.
_NO_FILE_EFFECT = frozenset({"echo", "printf", "true", "false", ":", "set"})
ANY_USER = ", any user]"
_ROOT_ACTIONS = frozenset({"install", "update", "upgrade", "remove", "purge", "add", "del", "dist-upgrade"})
_PACKAGE_CACHES = ("/var/lib/apt/lists/", "/var/cache/apt/", "/var/cache/apk/", "/var/cache/dnf/",
                   "/var/cache/yum/", "/var/cache/libdnf5/")


def _package_cache_cleanup(argv) -> bool:
    """`rm -rf /var/lib/apt/lists/*` and the like: removes only the package index and cache
    the package manager downloaded (README: the apt cleanup rule), by absolute paths (a glob
    is read as written: it cannot leave those directories)."""
    operands = []
    for w in argv[1:]:
        text = w.value if w.value is not None else (None if any(c in w.text for c in "$`\\'\"") else w.text)
        if text is None or not text.startswith("-"):
            operands.append(text)
    return bool(operands) and all(t is not None and t.startswith(_PACKAGE_CACHES) and ".." not in t
                                  for t in operands)


_VALUED = frozenset({"-u", "--uid", "-g", "--gid", "-G", "--groups", "-s", "--shell", "-h", "--home", "-d",
                     "--home-dir", "-c", "--comment", "--gecos", "-k", "--skel", "-K", "--key", "-e",
                     "--expiredate", "-f", "--inactive", "-p", "--password", "--ingroup"})


def _account_names(args: tuple[str | None, ...]) -> list[str]:
    """The names (and numeric ids) an account command creates: its positionals, the -u/-g
    values. An unknown word is kept as "?" (an account the model cannot name)."""
    out: list[str] = []
    i = 1
    while i < len(args):
        a = args[i]
        if a is None:
            out.append("?")
        elif a in _VALUED and i + 1 < len(args):
            if a in ("-u", "--uid", "-g", "--gid"):
                out.append(args[i + 1] or "?")
            i += 1
        elif not a.startswith("-"):
            out.append(a)
        i += 1
    return out


def copy_step(ins: Instruction, user: str, path: str) -> Step:
    """A COPY/ADD's record: its flags, and its sources as written (kept in `residue`; what they
    land is compared as files)."""
    sources = tuple(ins.value[:-1]) if not ins.heredocs else ()
    return Step(ins.keyword, tuple(sorted(ins.flags)), user, sources, (), path, ins.start_line)
