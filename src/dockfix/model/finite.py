"""Commands known to finish leaving nothing behind for a later command of the same shell.

`leaves_behind(argv)` is None when the command is known to change no shell state and to leave
no process running once it returns; else why not, as a sentence. What is known is a table of
programs by class (file tools, package and build tools, compilers, linters, the official php
image's helpers, interpreters running code this reading follows); the reason for each class is
written once, in transforms/merge-runs/README.md ("Which commands are known"). Programs known
to start a server that outlives them (Gradle's and Kotlin's daemons, dotnet's build servers)
say so. Anything else is unknown. Checked against real runs in a PID namespace
(tests/model/test_finite.py): what the table accepts leaves no process behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from dockfix.model.packages import is_pip
from dockfix.model.system_packages import read_system_packages

Word = str | None

# Builtins that change no shell state, and programs that only read and write files or accounts.
_FILE_TOOLS = frozenset({
    "echo", "printf", "true", "false", "test", "[", ":",
    "mkdir", "rm", "rmdir", "cp", "mv", "ln", "chmod", "chown", "chgrp", "touch", "sed", "tar", "unzip", "gzip",
    "gunzip", "curl", "wget", "install", "ls", "cat", "tee", "sha256sum", "md5sum", "git", "grep", "diff",
    "useradd", "groupadd", "adduser", "addgroup", "usermod",
    "update-ca-certificates", "ldconfig", "locale-gen", "update-alternatives", "apt-key", "dpkg", "strip",
    "patch", "fc-cache",
})
# Package managers and build tools that run the project's build code and wait for it.
_BUILD_TOOLS = frozenset({
    "pip", "pip3", "npm", "yarn", "corepack", "go", "cargo", "gem", "bundle", "composer", "make", "cmake",
    "conda",
    # the official php image's helper scripts (docker-library/php), and PECL
    "docker-php-ext-configure", "docker-php-ext-enable", "docker-php-ext-install", "docker-php-source", "pecl",
})
_COMPILERS = frozenset({"gcc", "g++", "cc", "c++", "clang", "clang++", "javac", "jar", "protoc", "rustc"})
_LINTERS = frozenset({"flake8", "black", "isort"})
_KNOWN = _FILE_TOOLS | _BUILD_TOOLS | _COMPILERS | _LINTERS
# Tools known by their sub-command (the word right after the program): those that finish.
_SUBCOMMANDS = {
    "uv": frozenset({"pip", "sync", "lock", "venv", "add", "remove", "export", "tree", "python", "cache",
                     "build", "version"}),
    "pipx": frozenset({"install", "uninstall", "upgrade", "upgrade-all", "inject", "ensurepath", "list",
                       "reinstall", "reinstall-all"}),
    "rustup": frozenset({"default", "show", "toolchain", "target", "component", "update", "install", "set",
                         "override", "--version"}),
    "mix": frozenset({"deps.get", "deps.compile", "compile", "local.hex", "local.rebar", "deps.clean"}),
    "nix": frozenset({"build", "profile", "copy", "store", "flake", "eval", "path-info", "hash", "registry",
                      "--version"}),
}
# Shell builtins that change the shell's state: a later command of the same shell sees it.
_STATE_BUILTINS = frozenset({
    "cd", "export", "set", "unset", "umask", "ulimit", "alias", "unalias", "readonly", "shift", "trap", "exec",
    "exit", "return", "source", ".", "eval", "read", "getopts", "hash", "wait", "local", "declare", "typeset",
    "pushd", "popd", "shopt", "enable", "builtin", "command", "break", "continue",
})
_GRADLE = ("starts the Gradle daemon, which outlives it (and, even with --no-daemon, a Kotlin build's compile "
           "daemon)")
_MAVEN = "may start the Kotlin compile daemon, which outlives it (the default of Kotlin builds in Maven)"
_DOTNET = "starts build servers that outlive it (MSBuild nodes, VBCSCompiler, Razor) unless --disable-build-servers"
_DAEMONS = {"gradle": _GRADLE, "gradlew": _GRADLE, "mvn": _MAVEN, "mvnw": _MAVEN}
_DOTNET_BUILDS = frozenset({"build", "publish", "restore", "test", "pack", "msbuild", "clean"})
_DOTNET_INFO = frozenset({"--version", "--info", "--list-sdks", "--list-runtimes"})

# python -m MODULE [first argument]: modules that do one finite job.
_PYTHON_MODULES = frozenset({"venv", "ensurepip", "compileall", "py_compile", "nltk.downloader"})
_PYTHON_MODULE_COMMANDS = frozenset({("spacy", "download")})
# pip's bootstrap script (bootstrap.pypa.io/get-pip.py), as saved by name: it runs pip in-process.
_GET_PIP = re.compile(r"get-pip(?:-[\w.-]+)?\.py")
# R functions that install packages (they run R CMD INSTALL and wait for it) or load one.
_R_INSTALLS = frozenset({"install.packages", "library", "require", "requireNamespace", "options",
                         "BiocManager::install", "remotes::install_github", "remotes::install_version",
                         "remotes::install_cran", "devtools::install_github"})
_R_FLAGS = frozenset({"--vanilla", "--no-save", "--no-restore", "--no-restore-data", "--no-site-file",
                      "--no-init-file", "--no-environ", "--quiet", "-q", "--silent", "--slave", "--no-echo", "-s"})


def _unknown(name: str) -> str:
    return f"`{name}` is not a program known to change no shell state and leave no process behind"


def leaves_behind(argv: Sequence[Word]) -> str | None:
    """None when the command is known to change no shell state and to leave no process running
    once it returns; else why not."""
    if not argv:
        return "it only assigns variables, which a later command would see"
    name = argv[0]
    if name is None:
        return "its command name is unknown"
    base = name[name.rfind("/") + 1:]
    if base in _STATE_BUILTINS and "/" not in name:
        return f"`{name}` changes the shell's state (a builtin), which a later command would see"
    if base in _KNOWN or is_pip(argv) or read_system_packages(argv) is not None:
        return None
    check = _BY_PROGRAM.get(base)
    if check is not None:
        return check(argv, name)
    if base in _DAEMONS:
        return f"`{name}` {_DAEMONS[base]}"
    # The inline-code readers (Python's ast, R) are imported only when a command gets this far.
    from dockfix.model.inline_code import is_python

    return _python(argv, name) if is_python(name) else _unknown(name)


def _subcommand(argv: Sequence[Word], name: str) -> str | None:
    """A tool known by its sub-command, the word right after the program."""
    known = _SUBCOMMANDS[name[name.rfind("/") + 1:]]
    return None if len(argv) > 1 and argv[1] in known else _unknown(f"{name} {_shown(argv[1:2])}")


def _shown(words: Sequence[Word]) -> str:
    return " ".join("…" if w is None else w for w in words).strip()


def _find(argv: Sequence[Word], name: str) -> str | None:
    """find: a file tool, unless it runs a program (-exec, -execdir) not known to finish, or
    asks (-ok reads the terminal). A word not known could be any of these."""
    i = 1
    while i < len(argv):
        w = argv[i]
        if w is None:
            return f"`{name}`: a word is unknown (it could be -exec)"
        if w in ("-ok", "-okdir"):
            return f"`{name} {w}` reads its answers from the terminal"
        if w in ("-exec", "-execdir"):
            end = next((j for j in range(i + 1, len(argv)) if argv[j] in (";", "+")), len(argv))
            why = leaves_behind(argv[i + 1:end])
            if why is not None:
                return f"`{name} {w}` runs a command that may leave something behind: {why}"
            i = end
        i += 1
    return None


def _sqlite3(argv: Sequence[Word], name: str) -> str | None:
    """sqlite3 prints its version; with a database or SQL it may run `.shell`/`.system`."""
    return None if list(argv[1:]) in (["--version"], ["-version"]) else _unknown(f"{name} {_shown(argv[1:2])}")


def _dotnet(argv: Sequence[Word], name: str) -> str | None:
    sub = argv[1] if len(argv) > 1 else None
    if sub in _DOTNET_INFO:
        return None
    if sub in _DOTNET_BUILDS:
        return None if "--disable-build-servers" in argv else f"`{name} {sub}` {_DOTNET}"
    return _unknown(f"{name} {_shown(argv[1:2])}")


def _python(argv: Sequence[Word], name: str) -> str | None:
    from dockfix.model.inline_code import PythonMode, python_code_starts_process, read_python_argv  # as in leaves_behind

    run = read_python_argv(argv)
    if run is None or run.target is None:
        return _unknown(name)
    if run.mode is PythonMode.CODE:
        why = python_code_starts_process(run.target)
        return None if why is None else f"`{name} -c` may start a process: {why}"
    if run.mode is PythonMode.MODULE:
        first = run.args[0] if run.args else None
        if run.target in _PYTHON_MODULES or (run.target, first) in _PYTHON_MODULE_COMMANDS:
            return None
        return _unknown(f"{name} -m {run.target}")
    script = run.target[run.target.rfind("/") + 1:]
    return None if _GET_PIP.fullmatch(script) else _unknown(f"{name} {run.target}")


def _r(argv: Sequence[Word], name: str) -> str | None:
    """`R CMD INSTALL …`; `R`/`Rscript` with `-e` expressions that only install or load packages."""
    if list(argv[1:3]) == ["CMD", "INSTALL"]:
        return None
    expressions = _r_expressions(argv)
    if isinstance(expressions, str):
        return _unknown(f"{name} {expressions}")
    from dockfix.model.inline_code import read_r_expression  # as in leaves_behind

    calls = [read_r_expression(e) for e in expressions]
    if not calls or any(c is None or not set(c) <= _R_INSTALLS for c in calls):
        return f"`{name} -e` runs R code other than package installs"
    return None


def _r_expressions(argv: Sequence[Word]) -> list[str] | str:
    """The `-e` expressions of an R command line of known flags; else the first other word."""
    expressions: list[str] = []
    i = 1
    while i < len(argv):
        w = argv[i]
        if w == "-e" and i + 1 < len(argv) and argv[i + 1] is not None:
            expressions.append(argv[i + 1])  # type: ignore[arg-type]
            i += 2
        elif w in _R_FLAGS:
            i += 1
        else:
            return _shown(argv[i:i + 1])
    return expressions


# A child shell's builtins that start no process: whatever state they change ends with it.
_CONFINED_BUILTINS = frozenset({"cd", "export", "set", "unset", "umask", "readonly", "shift", "local", "read",
                                "getopts", "hash", "exit", "return", "break", "continue", "alias", "unalias"})
_SH_C = re.compile(r"-[eux]*c")


def _sh(argv: Sequence[Word], name: str) -> str | None:
    """`sh -c 'script'`: a child shell, whose state ends with it; it leaves nothing behind when
    the script, read by model.shell, runs no background job and every command of it is known
    to leave nothing behind (or is a builtin that starts no process)."""
    from dockfix.model.shell import read_script  # model.shell is the reader; this table is its caller's

    if len(argv) < 3 or argv[1] is None or not _SH_C.fullmatch(argv[1]) or argv[2] is None:
        return _unknown(f"{name} {_shown(argv[1:2])}")
    script = read_script(argv[2], workdir=None)
    if script.opaque or any(c.background for c in script.commands) or (
            script.tree.body.items and script.tree.body.items[-1].background):
        return f"`{name} -c` runs a script that is not read exactly or starts a background job"
    for c in script.commands:
        if not (c.name in _CONFINED_BUILTINS or leaves_behind(c.args) is None):
            return f"`{name} -c` runs `{_shown(c.args[:1])}`: {leaves_behind(c.args)}"
    return None


_BY_PROGRAM: dict[str, Callable[[Sequence[Word], str], str | None]] = {
    "find": _find, "sqlite3": _sqlite3, "dotnet": _dotnet, "R": _r, "Rscript": _r,
    "sh": _sh, "dash": _sh,
    **{tool: _subcommand for tool in _SUBCOMMANDS},
}
