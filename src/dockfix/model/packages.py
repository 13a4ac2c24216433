"""The one reader of package-manager commands: pip in every spelling, uv, and (re-exported from
`system_packages`) apt-get/apt, apk, dnf/yum/microdnf.

`read_pip(argv, cwd, env)` reads one simple command's argv, whose words may be unknown (None),
as pip reads it: pip's main parser finds the sub-command after the general options, then the
command's parser reads every option (pip's own option table, `pip_options`), long options
abbreviated as optparse allows, `--opt=value` and `-rfile` glued forms, interspersed
positionals; PIP_* environment variables become options as pip's ConfigOptionParser makes them.
Whatever cannot be read exactly is in `PipCommand.unknowns`; the prover treats a command with
unknowns as unproven.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockfix.model.argv import (UNKNOWN, Grammar, OptionSource, Options, ParsedOption, Unknown, Value, Word,
                                effective_all, read_options)
from dockfix.memo import Memo
from dockfix.model.pip_options import COMMANDS, GENERAL, Arity, OptionSpec
from dockfix.model.requirements import (ReqFile, ReqFileEntry, Requirement, RequirementKind, parse_requirement,
                                        parse_requirements_text)
from dockfix.model.system_packages import (PackageAction, PackageManager, SystemPackageCommand, cleans_apt_lists,
                                           read_system_packages)

__all__ = ["UNKNOWN", "PackageAction", "PackageManager", "PipAction", "PipCommand", "PipFront", "ReqFile",
           "ReqFileEntry", "Requirement", "RequirementKind", "SystemPackageCommand", "Unknown", "cleans_apt_lists",
           "is_pip", "parse_requirement", "parse_requirements_text", "read_pip", "read_system_packages"]

_PIP_PROGRAM = re.compile(r"pip(\d+(?:\.\d+)?)?")
_PYTHON_PROGRAM = re.compile(r"(?:python|pypy)(\d+(?:\.\d+)?)?")
# CPython's own options (`python --help`): those that take a value, and the flags.
_PYTHON_VALUE = frozenset("cmWX")
_PYTHON_FLAGS = frozenset("bBdEhiIOPqsSuvVx?R")


class PipFront(enum.Enum):
    """How pip was started."""

    PIP = "pip"  # a pip script: pip, pip3, pip3.11, /usr/local/bin/pip
    PYTHON_MODULE = "python -m pip"  # python[3[.11]] -m pip, /opt/venv/bin/python -m pip
    UV_PIP = "uv pip"
    UV_SYNC = "uv sync"  # installs the project's lock file


class PipAction(enum.Enum):
    INSTALL = "install"
    UNINSTALL = "uninstall"
    DOWNLOAD = "download"
    WHEEL = "wheel"
    LOCK = "lock"
    SYNC = "sync"  # uv pip sync (the requirement files exactly), uv sync (the project lock)
    OTHER = "other"  # freeze, list, show, compile, …: installs nothing
    NONE = "none"  # no sub-command (`pip --version`)
    UNKNOWN = "unknown"  # the sub-command word is unknown, or not a command of pip


_ACTIONS = {"install": PipAction.INSTALL, "uninstall": PipAction.UNINSTALL, "download": PipAction.DOWNLOAD,
            "wheel": PipAction.WHEEL, "lock": PipAction.LOCK, "sync": PipAction.SYNC}
# pip's callbacks that build a list keep an environment value whole (pip calls them once).
_CALLBACK_DESTS = frozenset({"format_control", "release_control", "config_settings", "dependency_groups",
                             "refresh_package"})
_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})


@dataclass(frozen=True)
class PipCommand:
    front: PipFront
    launcher: str  # argv[0] as written: "pip3", "/opt/venv/bin/python"
    interpreter: str | None  # the python spelling of `-m pip` ("python3.11"), None for a pip script
    version: str  # digits of the launcher's name: "3.11" (python3.11, pip3.11), "3", "" (python, pip)
    python_flags: tuple[str, ...]  # the interpreter's own options before -m: ("-I",), ("-W", "ignore")
    action: PipAction
    subcommand: Word  # as written
    arguments: tuple[Word, ...]  # the positionals: requirement specifiers, or package names to remove
    options: tuple[ParsedOption, ...]  # environment options first, then argv's, in order
    unknown_options: tuple[Word, ...]
    unknowns: tuple[str, ...]  # why this reading is not exact; empty when it is
    cwd: str | None

    @property
    def exact(self) -> bool:
        return not self.unknowns

    @functools.cached_property
    def _effective(self) -> dict[str, Value | tuple[Value, ...]]:
        return effective_all(self.options)

    def value(self, dest: str) -> Value | tuple[Value, ...] | None:
        """The effective value of one of pip's dests (environment, then argv)."""
        return self._effective.get(dest)

    def _list(self, dest: str) -> tuple[Value, ...]:
        v = self.value(dest)
        return v if isinstance(v, tuple) else ()

    @property
    def requirements(self) -> tuple[Word, ...]:
        """Requirement specifiers named on the command line (install, download, wheel, lock)."""
        return self.arguments if self.action not in (PipAction.UNINSTALL, PipAction.OTHER) else ()

    @property
    def requirement_files(self) -> tuple[Value, ...]:
        return self._list("requirements")

    @property
    def constraint_files(self) -> tuple[Value, ...]:
        return self._list("constraints")

    @property
    def editables(self) -> tuple[Value, ...]:
        return self._list("editables")

    @property
    def index_url(self) -> Value | None:
        return self.value("index_url")  # type: ignore[return-value]

    @property
    def extra_index_urls(self) -> tuple[Value, ...]:
        return self._list("extra_index_urls")

    @property
    def find_links(self) -> tuple[Value, ...]:
        return self._list("find_links")

    @property
    def user_site(self) -> bool | Unknown | None:
        """--user / --no-user / PIP_USER; None: not said (pip then decides by what it can write)."""
        return self.value("use_user_site")  # type: ignore[return-value]

    @property
    def target(self) -> Value | None:
        return self.value("target_dir")  # type: ignore[return-value]

    @property
    def prefix(self) -> Value | None:
        return self.value("prefix_path")  # type: ignore[return-value]

    @property
    def root(self) -> Value | None:
        return self.value("root_path")  # type: ignore[return-value]

    @property
    def no_cache(self) -> bool | Unknown:
        """pip: --no-cache-dir or PIP_NO_CACHE_DIR (cache_dir False); uv: -n/--no-cache or UV_NO_CACHE."""
        if self.front in (PipFront.UV_PIP, PipFront.UV_SYNC):
            v = self.value("no_cache")
            return v if isinstance(v, Unknown) else bool(v)
        v = self.value("cache_dir")
        return v if isinstance(v, Unknown) else v is False

    @property
    def uninstall(self) -> bool:
        return self.action is PipAction.UNINSTALL

    @property
    def installs(self) -> bool:
        return self.action in (PipAction.INSTALL, PipAction.SYNC) and self.value("dry_run") is not True

    def spelling(self) -> str:
        """How pip was started, for a report: "python3.11 -m pip", "pip3", "uv pip"."""
        if self.front is PipFront.PYTHON_MODULE:
            return f"{self.interpreter} -m pip"
        return self.front.value if self.front in (PipFront.UV_PIP, PipFront.UV_SYNC) else self.launcher


def _basename(word: Word) -> str | None:
    return None if word is None else word[word.rfind("/") + 1:]  # posixpath.basename, inlined


def is_pip(argv: Sequence[Word]) -> bool:
    """Whether the command starts pip or uv's pip (cheap: only the launcher is read)."""
    return _front(argv) is not None


def _front(argv: Sequence[Word]) -> tuple[PipFront, int, str, tuple[str, ...], tuple[str, ...]] | None:
    """(front, index of the first pip argument, version digits, python flags, unknown reasons)."""
    prog = _basename(argv[0]) if argv else None
    if prog is None:
        return None
    kind = _PROGRAMS.get(prog)
    if kind is None:
        kind = _PROGRAMS.put(prog, _program(prog))
    front, version = kind
    if front is PipFront.PIP:
        return PipFront.PIP, 1, version, (), ()
    if front is PipFront.PYTHON_MODULE:
        found = _python_module(argv)
        if found is None:
            return None
        start, flags, unknowns = found
        return PipFront.PYTHON_MODULE, start, version, flags, unknowns
    if front is PipFront.UV_PIP and len(argv) > 1:
        return _uv_front(argv)
    return None


def _program(prog: str) -> tuple[PipFront | None, str]:
    """What a program's name says: pip itself, a Python interpreter, uv, or none of them (with
    the version digits of the name)."""
    m = _PIP_PROGRAM.fullmatch(prog)
    if m:
        return PipFront.PIP, m.group(1) or ""
    m = _PYTHON_PROGRAM.fullmatch(prog)
    if m:
        return PipFront.PYTHON_MODULE, m.group(1) or ""
    return (PipFront.UV_PIP if prog == "uv" else None), ""


# By program name (`_program`): every command of a RUN asks whether it starts pip, several times.
_PROGRAMS: Memo = Memo(4096)


def _python_module(argv: Sequence[Word]) -> tuple[int, tuple[str, ...], tuple[str, ...]] | None:
    """Where pip's arguments start when the interpreter runs `-m pip` (CPython's option
    grammar: flags may be grouped, `-m`/`-c`/`-W`/`-X` take the rest of the word or the next)."""
    flags: list[str] = []
    i = 1
    while i < len(argv):
        w = argv[i]
        if w is None:
            return i + 1, tuple(flags), (f"interpreter word {i} is unknown: it may run another module",)
        if not w.startswith("-") or w in ("-", "--") or w.startswith("--"):
            return None  # a script, stdin, or a long option (--version, --help…): not pip
        step = _python_option(w, argv[i + 1] if i + 1 < len(argv) else "", flags)
        if step is None:
            return None
        taken, module = step
        i += taken
        if module is None:
            return i, tuple(flags), ("the module python runs is unknown: it may be pip",)
        if module:
            return (i, tuple(flags), ()) if module == "pip" else None
    return None


def _python_option(word: str, following: Word, flags: list[str]) -> tuple[int, str | None] | None:
    """One word of CPython's options: (words taken, the -m module: "" when none, None when
    unknown); None when the interpreter does not run a module (-c, an unknown option)."""
    for j in range(1, len(word)):
        ch = word[j]
        if ch in _PYTHON_VALUE:
            glued = word[j + 1:]
            value, taken = (glued, 1) if glued else (following, 2)
            if ch == "c":
                return None
            if ch == "m":
                return taken, value
            flags += [f"-{ch}", value or ""]
            return taken, ""
        if ch not in _PYTHON_FLAGS:
            return None
        flags.append(f"-{ch}")
    return 1, ""


def _uv_front(argv: Sequence[Word]) -> tuple[PipFront, int, str, tuple[str, ...], tuple[str, ...]] | None:
    from dockfix.model import uv_options  # uv's option tables, built only when a uv command is read

    found = read_options(argv[1:], uv_options.GLOBAL, Grammar.CLAP, interspersed=False)
    if not found.positionals:
        return None
    at = len(argv) - len(found.positionals)
    sub = argv[at]
    if sub == "pip":
        return PipFront.UV_PIP, at + 1, "", (), ()
    if sub == "sync":
        return PipFront.UV_SYNC, at, "", (), ()
    return None


# Readings by (argv, the PIP_/UV_ variables): the before and after models replay the same RUNs,
# and a transform reads them first. The directory is only recorded (`PipCommand.cwd`).
_READ: Memo = Memo(1 << 16)  # every pip command of a 40,000-RUN file
_READ_AT: Memo = Memo(1 << 16)  # (key, cwd) -> the reading of _READ[key] in cwd


def read_pip(argv: Sequence[Word], cwd: str | None = None, env: Mapping[str, str | None] | None = None
             ) -> PipCommand | None:
    """pip's reading of one simple command, or None when the command does not start pip."""
    env = env or {}
    key = (tuple(argv), tuple(sorted(kv for kv in env.items() if kv[0].startswith(("PIP_", "UV_")))))
    found = _READ.get(key, _READ)
    if found is _READ:
        found = _READ.put(key, _read_pip(argv, cwd, env))
    if found is None or found.cwd == cwd:
        return found
    # The reading in another directory, kept too: the prover asks the same command in the
    # same directory for both images (and a fresh copy would read its options again).
    at = _READ_AT.get((key, cwd))
    if at is None:
        at = _READ_AT.put((key, cwd), _in_directory(found, cwd))
    return at


def _in_directory(found: PipCommand, cwd: str | None) -> PipCommand:
    """`dataclasses.replace(found, cwd=cwd)`, keeping what `found` already worked out from its
    options (`_effective`: no directory changes it), without a second pass over them.
    tests/model/test_packages.py compares it with `dataclasses.replace`."""
    at = object.__new__(PipCommand)
    at.__dict__.update(found.__dict__)  # every field and the cached `_effective`
    at.__dict__["cwd"] = cwd
    return at


def _read_pip(argv: Sequence[Word], cwd: str | None, env: Mapping[str, str | None]) -> PipCommand | None:
    front = _front(argv)
    if front is None:
        return None
    kind, start, version, flags, unknowns = front
    launcher = argv[0] or ""
    interpreter = launcher if kind is PipFront.PYTHON_MODULE else None
    args = list(argv[start:])
    if kind in (PipFront.UV_PIP, PipFront.UV_SYNC):
        action, sub, parsed, env_options, env_unknowns = _read_uv(kind, args, env)
    else:
        action, sub, parsed, env_options, env_unknowns = _read_pip_args(args, env)
    return PipCommand(kind, launcher, interpreter, version, flags, action, sub, parsed.positionals,
                      (*env_options, *parsed.options), parsed.unknown_options,
                      (*unknowns, *env_unknowns, *parsed.unknowns), cwd)


def _read_pip_args(args: list[Word], env: Mapping[str, str | None]
                   ) -> tuple[PipAction, Word, Options, tuple[ParsedOption, ...], tuple[str, ...]]:
    """pip's main parser (general options, not interspersed) finds the sub-command; the
    command's parser then reads every other word (pip's parse_command)."""
    general = read_options(args, GENERAL, interspersed=False)
    if not general.positionals:
        return PipAction.NONE, None, general, (), ()
    at = len(args) - len(general.positionals)
    sub = args[at]
    table = COMMANDS.get(sub) if sub is not None else None
    if table is None:
        why = "the sub-command is unknown" if sub is None else f"{sub!r} is not a pip command: pip fails"
        rest = read_options(args[:at] + args[at + 1:], GENERAL)
        return PipAction.UNKNOWN, sub, rest, (), (why,)
    parsed = read_options(args[:at] + args[at + 1:], table)
    env_options, env_unknowns = _pip_env(env, table)
    return _ACTIONS.get(sub, PipAction.OTHER), sub, parsed, env_options, env_unknowns


def _pip_env(env: Mapping[str, str | None], table: Mapping[str, OptionSpec]
             ) -> tuple[tuple[ParsedOption, ...], tuple[str, ...]]:
    """PIP_* variables as pip's ConfigOptionParser reads them: PIP_NO_CACHE_DIR is
    `--no-cache-dir`; only long names, no abbreviation; an empty value is no setting."""
    out: list[ParsedOption] = []
    unknowns: list[str] = []
    for key in sorted(env):
        if not key.startswith("PIP_"):
            continue
        value = env[key]
        if key == "PIP_CONFIG_FILE":
            unknowns.append("PIP_CONFIG_FILE names a configuration file this model does not read")
            continue
        spec = table.get("--" + key[4:].lower().replace("_", "-"))
        if spec is None or value == "":
            continue
        out.extend(_env_option(spec, key, value, unknowns))
    return tuple(out), tuple(unknowns)


def _env_option(spec: OptionSpec, key: str, value: str | None, unknowns: list[str]) -> list[ParsedOption]:
    def option(v: Value) -> ParsedOption:
        return ParsedOption(spec.name, spec.dest, spec.arity, v, key, OptionSource.ENV)

    if value is None:
        unknowns.append(f"{key} has an unknown value")
        return [option(UNKNOWN)]
    if spec.arity is Arity.APPEND and spec.dest not in _CALLBACK_DESTS:
        return [option(v) for v in value.split()]
    if spec.arity.takes_value:
        return [option(value)]
    flag = _strtobool(value)
    if flag is None:
        unknowns.append(f"{key}={value!r} is not a boolean: pip fails")
        return [option(UNKNOWN)]
    if spec.arity is Arity.COUNT:
        return [option(int(value) if value.isdigit() else int(flag))]
    if spec.arity is Arity.FALSE:  # PIP_NO_USER=1 sets use_user_site to True: pip stores strtobool's result
        return [ParsedOption(spec.name, spec.dest, Arity.TRUE, flag, key, OptionSource.ENV)]
    return [option(flag)]


def _strtobool(value: str) -> bool | None:
    v = value.lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def _read_uv(kind: PipFront, args: list[Word], env: Mapping[str, str | None]
             ) -> tuple[PipAction, Word, Options, tuple[ParsedOption, ...], tuple[str, ...]]:
    from dockfix.model import uv_options  # as in _uv_front

    unknowns: tuple[str, ...] = ()
    if kind is PipFront.UV_SYNC:
        table, action, sub = uv_options.SYNC, PipAction.SYNC, args[0]
        args = args[1:]
    else:
        head = read_options(args, uv_options.GLOBAL, Grammar.CLAP, interspersed=False)
        if not head.positionals:
            return PipAction.NONE, None, head, (), ()
        at = len(args) - len(head.positionals)
        sub = args[at]
        args = args[:at] + args[at + 1:]
        table = uv_options.COMMANDS.get(sub or "", uv_options.PIP_INSTALL)
        action = PipAction.UNKNOWN if sub is None else _ACTIONS.get(sub, PipAction.OTHER)
        if sub is None:
            unknowns = ("the uv pip sub-command is unknown",)
    parsed = read_options(args, table, Grammar.CLAP)
    env_options, env_unknowns = _uv_env(env, table)
    return action, sub, parsed, env_options, (*env_unknowns, *unknowns)


def _uv_env(env: Mapping[str, str | None], table: Mapping[str, OptionSpec]
            ) -> tuple[tuple[ParsedOption, ...], tuple[str, ...]]:
    from dockfix.model import uv_options  # as in _uv_front

    out: list[ParsedOption] = []
    unknowns: list[str] = []
    for key in sorted(env):
        if not key.startswith("UV_"):
            continue
        name = uv_options.ENV.get(key)
        if name is None:
            unknowns.append(f"{key} is a uv setting this model does not read")
            continue
        spec = table.get(name)  # None: an option of another uv command, which this one ignores
        if spec is not None and env[key] != "":
            out.extend(_env_option(spec, key, env[key], unknowns))
    return tuple(out), tuple(unknowns)
