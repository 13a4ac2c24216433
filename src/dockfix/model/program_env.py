"""What a known program reads from its environment: the table share-layers' rule rests on.

A variable may be moved below a RUN only when no program of the RUN reads it. Every program
reads the variables of `EVERYONE` (the C library's locale, the dynamic loader, the shell's own,
proxies, PATH, HOME, TMPDIR, ...); each program in `PROGRAMS` also reads its own names. A
program not in the table may read anything: `may_read` answers True for it.

What the table covers is the program's documented environment in its ordinary use. It does
not cover code the program runs on behalf of a package (an apt maintainer script, a Python
sdist's build script); the usual inputs of those (compilers' `CC`/`CFLAGS`…, debconf) are
listed as read by the program that runs them. transforms/share-layers/README.md states this.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockfix.memo import Memo


@dataclass(frozen=True)
class Names:
    """Exact names and name prefixes (both case-sensitive)."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def match(self, name: str) -> bool:
        return name in self.exact or name.startswith(self.prefixes)


def _names(*items: str) -> Names:
    exact = frozenset(i for i in items if not i.endswith("*"))
    prefixes = tuple(i[:-1] for i in items if i.endswith("*"))
    return Names(exact, prefixes)


# Read by every process: libc locale and time zone, the loader, the shell that runs the RUN,
# proxies (curl, apt, pip, wget all honour them), the user's directories, terminal.
EVERYONE = _names(
    "PATH", "HOME", "TMPDIR", "TMP", "TEMP", "SHELL", "USER", "LOGNAME", "PWD", "OLDPWD", "CDPATH",
    "IFS", "ENV", "PS1", "PS2", "PS4", "OPTIND", "POSIXLY_CORRECT", "BASH_ENV", "BASHOPTS", "SHELLOPTS",
    "LANG", "LANGUAGE", "LC_*", "TZ", "TZDIR", "NLSPATH", "LOCPATH", "GCONV_PATH", "TERM", "TERMINFO",
    "COLUMNS", "LINES", "NO_COLOR", "LD_*", "GLIBC_TUNABLES", "MALLOC_*", "XDG_*",
    "http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY", "NO_PROXY",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
    # builds run by package managers (C extensions, maintainer scripts compiling things)
    "CC", "CXX", "CPP", "LD", "AR", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "LIBS",
    "MAKEFLAGS", "MAKELEVEL", "PKG_CONFIG*", "SOURCE_DATE_EPOCH",
)

_APT = _names("APT*", "DEBIAN_*", "DPKG_*", "DEBCONF_*", "DEBFULLNAME", "DEBEMAIL", "UCF_*",
              "RUNLEVEL", "INITRD", "PYTHON*")  # maintainer scripts of Python packages run python
_PYTHON = _names("PYTHON*", "VIRTUAL_ENV", "CONDA_*", "_PYTHON_*")
_PIP = _names("PIP_*", "PYTHON*", "VIRTUAL_ENV", "CONDA_*", "_PYTHON_*", "SETUPTOOLS_*", "DISTUTILS_*",
              "NETRC", "KEYRING_*", "WHEEL_*", "MAX_JOBS", "NPY_*", "CUDA*", "CUDNN*")
_COREUTILS = _names("POSIXLY_CORRECT", "TIME_STYLE", "QUOTING_STYLE", "BLOCKSIZE", "BLOCK_SIZE",
                    "DF_BLOCK_SIZE", "DU_BLOCK_SIZE", "LS_BLOCK_SIZE", "LS_COLORS", "SIMPLE_BACKUP_SUFFIX",
                    "VERSION_CONTROL", "TABSIZE")
_NOTHING_MORE = Names()

PROGRAMS: dict[str, Names] = {
    **dict.fromkeys(("apt-get", "apt", "apt-cache", "apt-mark", "dpkg", "dpkg-reconfigure",
                     "debconf-set-selections"), _APT),
    **dict.fromkeys(("pip", "pip3", "pip3.8", "pip3.9", "pip3.10", "pip3.11", "pip3.12", "pip3.13"), _PIP),
    **dict.fromkeys(("rm", "mkdir", "cp", "mv", "ln", "chmod", "chown", "chgrp", "touch", "cat", "ls",
                     "install", "rmdir", "test", "[", "true", "false", "echo", "printf", "sleep",
                     "head", "tail", "sort", "tr", "wc", "cut", "tee", "basename", "dirname", "id",
                     "whoami", "mktemp"), _COREUTILS),
    # not here: find (-exec), xargs, sed (its `e` command), tar (-I, TAR_OPTIONS): they run
    # other programs or take options from the environment
    # shell builtins with arguments (no arguments: `set`/`export` list every variable)
    **dict.fromkeys(("cd", ":", "exit", "unset", "shift", "umask", "wait"), _NOTHING_MORE),
    **dict.fromkeys(("useradd", "groupadd", "adduser", "addgroup", "usermod"), _names("PASSWD_*", "SHELL")),
}

# Python interpreters: known only as `python -m pip …` (anything else runs a program of the
# user's, which may read anything).
_PYTHONS = frozenset({"python", "python3", "python3.8", "python3.9", "python3.10", "python3.11",
                      "python3.12", "python3.13"})
# Builtins known only when given arguments.
_NEEDS_ARGUMENTS = frozenset({"set", "export"})


def program_names(args: tuple[str | None, ...]) -> Names | None:
    """What the command `args` (its words' values) reads beyond EVERYONE; None: unknown,
    it may read anything."""
    if not args or args[0] is None:
        return None
    name = posixpath.basename(args[0])
    if name in _PYTHONS:
        return _python(args)
    if name in _NEEDS_ARGUMENTS:
        return _NOTHING_MORE if len(args) > 1 and None not in args else None
    return PROGRAMS.get(name)


def _python(args: tuple[str | None, ...]) -> Names | None:
    if len(args) > 2 and args[1] == "-m" and args[2] == "pip":
        return _PIP
    if len(args) == 2 and args[1] in ("--version", "-V"):
        return _PYTHON
    return None


def may_read(args: tuple[str | None, ...], name: str) -> bool:
    """Whether the command `args` may read the environment variable `name`."""
    return EVERYONE.match(name) or _reads(program_names(args), name)


def _reads(own: Names | None, name: str) -> bool:
    """A program with this table (None: not in the table) may read `name` besides EVERYONE's."""
    return own is None or own.match(name)


def env_read(args: tuple[str | None, ...], env: tuple[tuple[str, str | None], ...],
             unknown: tuple[str, ...] = (), leave: tuple[str, ...] = ()) -> tuple[str, ...]:
    """`NAME=value` of every variable in `env` (and `NAME=<unknown>` for each name in
    `unknown`: set, value not known) that the command `args` may read, by name, leaving out
    names that start with one of `leave` (read elsewhere, such as pip's PIP_* options)."""
    own = program_names(args)
    key = (own, env, unknown, leave)  # what the answer depends on: the program's table, not its words
    found = _READ.get(key)
    if found is None:
        found = _READ.put(key, _env_read(own, env, unknown, leave))
    return found


def _env_read(own: Names | None, env: tuple[tuple[str, str | None], ...], unknown: tuple[str, ...],
              leave: tuple[str, ...]) -> tuple[str, ...]:
    seen = dict(env)
    skip = leave or ("\0",)

    def reads(name: str) -> bool:  # `may_read`, the program's table already looked up
        return not name.startswith(skip) and (EVERYONE.match(name) or _reads(own, name))

    out = [f"{k}={'<unknown>' if v is None else v}" for k, v in seen.items() if reads(k)]
    out.extend(f"{k}=<unknown>" for k in unknown if k not in seen and reads(k))
    return tuple(sorted(out))


# By the program's table and the environment: every command of a large RUN asks it again.
_READ: Memo = Memo(4096)
