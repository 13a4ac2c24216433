"""Code handed to an interpreter on its command line: `python -c CODE`, `python -m MODULE`,
`R -e EXPR`, `Rscript -e EXPR`.

- `read_python_argv(argv)`: what a CPython command line runs (code, a module, a script, stdin),
  by CPython's own option grammar (`model.packages` holds its tables).
- `python_code_starts_process(code)`: None when the code (read with stdlib `ast`) names nothing
  that starts a process or runs code chosen at run time; else why it may. The names are those
  of the standard library that start processes (subprocess, os.system/fork/exec*/spawn*/
  posix_spawn, multiprocessing, pty, asyncio's subprocess functions, ProcessPoolExecutor) and
  those that reach a name without writing it (exec, eval, getattr, __import__, importlib,
  pickle …). A library the code imports is not read: it is trusted to do what it is for, as pip
  is trusted with a package's build code. Checked against strace on real runs
  (tests/model/test_inline_code.py).
- `read_r_expression(expr)`: the functions an R expression calls when it is only calls whose
  arguments are literals (`install.packages(c('a', 'b'), repos='https://…')`); else None.
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dockfix.model.packages import _PYTHON_FLAGS, _PYTHON_PROGRAM, _PYTHON_VALUE  # CPython's option table

Word = str | None


class PythonMode(enum.Enum):
    CODE = "-c"
    MODULE = "-m"
    SCRIPT = "script"
    STDIN = "stdin"  # no code, module or script: the interpreter reads its standard input


@dataclass(frozen=True)
class PythonRun:
    mode: PythonMode
    target: str | None  # the code, the module or the script path (None for stdin)
    args: tuple[Word, ...]  # what follows it (sys.argv[1:])


def is_python(word: Word) -> bool:
    """`python`, `python3`, `python3.12`, `pypy3` (a path's last part)."""
    return word is not None and _PYTHON_PROGRAM.fullmatch(word[word.rfind("/") + 1:]) is not None


def read_python_argv(argv: Sequence[Word]) -> PythonRun | None:
    """What `python [options] (-c CODE | -m MODULE | SCRIPT | -) [args]` runs; None when the
    program is not python, a word before the target is unknown, or an option is not one CPython
    documents as a plain flag (`-i` too: it reads stdin after the code)."""
    if not argv or not is_python(argv[0]):
        return None
    i = 1
    while i < len(argv):
        w = argv[i]
        if w is None:
            return None
        if w == "-" or not w.startswith("-"):
            return PythonRun(PythonMode.STDIN if w == "-" else PythonMode.SCRIPT, None if w == "-" else w,
                             tuple(argv[i + 1:]))
        if w.startswith("--"):
            return None  # --version, --help …: no code this reading follows
        step = _option(w, argv[i + 1] if i + 1 < len(argv) else None)
        if step is None:
            return None
        taken, mode, value = step
        if mode is not None:
            return None if value is None else PythonRun(mode, value, tuple(argv[i + taken:]))
        i += taken
    return PythonRun(PythonMode.STDIN, None, ())


def _option(word: str, following: Word) -> tuple[int, PythonMode | None, str | None] | None:
    """One word of grouped options: (words taken, -c/-m when it ends the options, its value)."""
    for j in range(1, len(word)):
        ch = word[j]
        if ch in _PYTHON_VALUE:
            glued = word[j + 1:]
            value, taken = (glued, 1) if glued else (following, 2)
            if ch in "cm":
                return taken, PythonMode(f"-{ch}"), value
            return (taken, None, None) if value is not None else None
        if ch not in _PYTHON_FLAGS or ch == "i":
            return None
    return 1, None, None


# Standard-library modules that start processes, load native code, or run code chosen at run
# time; any name under them counts (`concurrent.futures` is refused whole: ProcessPoolExecutor).
_PROCESS_MODULES = frozenset({
    "subprocess", "multiprocessing", "pty", "pexpect", "sh", "plumbum", "daemon", "ctypes", "cffi", "runpy",
    "importlib", "code", "codeop", "pdb", "popen2", "commands", "concurrent", "_posixsubprocess", "posix", "nt",
    "pickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "webbrowser", "platform", "pydoc",
})
# Names that start a process (os, asyncio, subprocess's helpers) or reach any name without
# writing it; refused wherever they appear (an attribute of anything, a bare name).
_PROCESS_NAMES = frozenset({
    "system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "startfile", "Popen",
    "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
    "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
    "create_subprocess_exec", "create_subprocess_shell", "subprocess_exec", "subprocess_shell",
    "ProcessPoolExecutor", "getoutput", "getstatusoutput", "check_output", "check_call",
    "exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals", "locals", "vars",
    "__builtins__", "builtins", "__dict__", "__getattribute__", "__loader__", "__spec__", "breakpoint",
    "import_module", "attrgetter", "methodcaller", "load_module", "exec_module", "input",
})


def python_code_starts_process(code: str) -> str | None:
    """None when `code` parses and names nothing that starts a process (or reaches a name
    unwritten); else why it may start one."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return "the code does not parse as Python 3"
    for node in ast.walk(tree):
        why = _node_starts_process(node)
        if why is not None:
            return why
    return None


def _node_starts_process(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        return next((f"it imports {a.name}" for a in node.names if a.name.split(".")[0] in _PROCESS_MODULES), None)
    if isinstance(node, ast.ImportFrom):
        return _import_from(node)
    if isinstance(node, ast.Attribute) and node.attr in _PROCESS_NAMES:
        return f"it uses .{node.attr}"
    if isinstance(node, ast.Name) and node.id in _PROCESS_NAMES:
        return f"it uses {node.id}"
    return None


def _import_from(node: ast.ImportFrom) -> str | None:
    module = node.module or ""
    if node.level == 0 and module.split(".")[0] in _PROCESS_MODULES:
        return f"it imports from {module}"
    for alias in node.names:
        if alias.name == "*":
            return f"it imports every name of {module or 'a relative module'}"
        if alias.name in _PROCESS_NAMES:
            return f"it imports {alias.name}"
    return None


# R --------------------------------------------------------------------------------------------

_R_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<sep>;)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?L?)
  | (?P<name>[A-Za-z.][A-Za-z0-9._]*(?:::[A-Za-z.][A-Za-z0-9._]*)?)
  | (?P<punct>[(),=])
""", re.X | re.S)
_R_CONSTANTS = frozenset({"TRUE", "FALSE", "NULL", "NA", "T", "F", "Inf"})


def _r_tokens(expr: str) -> list[tuple[str, str]] | None:
    tokens, pos = [], 0
    while pos < len(expr):
        m = _R_TOKEN.match(expr, pos)
        if m is None:
            return None
        if m.lastgroup != "space":
            tokens.append((m.lastgroup, m.group()))
        pos = m.end()
    return tokens


def read_r_expression(expr: str) -> tuple[str, ...] | None:
    """The functions an R expression calls, in order, when it is `f(args); g(args) …` (`;` or
    newlines between calls) and every argument is a literal (string, number, TRUE/FALSE/NULL),
    a name, a `c(…)` of those, or `name = ` one of those; else None."""
    tokens = _r_tokens(expr)
    if tokens is None:
        return None
    calls: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i][0] == "sep":
            i += 1
            continue
        end = _r_call(tokens, i, top=True)
        if end is None:
            return None
        calls.append(tokens[i][1])
        i = end
    return tuple(calls) if calls else None


def _r_call(tokens: list[tuple[str, str]], i: int, top: bool) -> int | None:
    """The index after `name(args)` starting at i (only `c(…)` when nested); None when it is not one."""
    if i + 1 >= len(tokens) or tokens[i][0] != "name" or tokens[i + 1] != ("punct", "("):
        return None
    if not top and tokens[i][1] != "c":
        return None
    i += 2
    if i < len(tokens) and tokens[i] == ("punct", ")"):
        return i + 1
    while i is not None and i < len(tokens):
        i = _r_value(tokens, _r_argument_name_end(tokens, i, top), top)
        if i is None or i >= len(tokens) or tokens[i] not in (("punct", ")"), ("punct", ",")):
            return None
        if tokens[i] == ("punct", ")"):
            return i + 1
        i += 1
    return None


def _r_argument_name_end(tokens: list[tuple[str, str]], i: int, top: bool) -> int:
    """Past `name =` of a named argument (a call's own, not c()'s), else i."""
    named = top and tokens[i][0] == "name" and tokens[i + 1:i + 2] == [("punct", "=")]
    return i + 2 if named else i


def _r_value(tokens: list[tuple[str, str]], i: int, top: bool) -> int | None:
    if i >= len(tokens):
        return None
    kind, text = tokens[i]
    if kind in ("string", "number") or (kind == "name" and (text in _R_CONSTANTS or tokens[i + 1:i + 2] != [
            ("punct", "(")])):
        return i + 1  # a literal, or a name (`library(x)`: a symbol; elsewhere a lookup, which runs nothing)
    return _r_call(tokens, i, top=False) if top else None
