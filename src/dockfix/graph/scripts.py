"""Build commands in shell scripts, Makefile recipes and CI steps, with the directory each
runs in and the variables it can see.

A small POSIX shell reader, enough to find build commands exactly: comments (a `#` that
starts a word), `\\`-newline continuations, quoting, heredoc bodies (skipped), `&&` `||`
`;` `|` `&`, subshells, `if`/`for`/`while`/`case`, functions. A variable is known only when
the script assigns it a literal (or a value made of known parts) at the top level; a `cd`
is followed when its target is known, including the script's own folder
(`cd "$(dirname "$0")/.."`, `SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)`,
`cd "${0%/*}"`). Everything else is unknown (None), never guessed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dockfix.model.contexts import BuildArgs, build_verb, parse_build

# Markers an expanded word may start with: the script's folder, the working directory at
# that point, the repository root (`git rev-parse --show-toplevel`).
SCRIPT_DIR, CWD, ROOT = "\x00S", "\x00C", "\x00R"
UNKNOWN_VAR = "${__dockfix_unknown__}"  # stands for text that make or Actions substitute unknowably


class Tok(Enum):
    WORD = "word"
    OP = "operator"
    REDIR = "redirection"


@dataclass(frozen=True)
class Token:
    kind: Tok
    text: str
    line: int


@dataclass(frozen=True)
class BuildSite:
    """One build command: its line, the directory it runs in (None = unknown, with why),
    the script's folder, and its options."""

    line: int
    cwd: str | None
    cwd_why: str
    script_dir: str | None
    build: BuildArgs


_OPS = ("&&", "||", ";;", ";", "|", "&", "(", ")")
_REDIRS = ("<<-", "<<", ">>", "<&", ">&", "<>", ">|", "&>>", "&>", "<", ">")


def _scan_subst(text: str, i: int, close: str) -> int:
    """The index after the `close` that ends a `$(`/`${`/backtick body starting at i."""
    depth = 1
    opener = {")": "(", "}": "{"}.get(close)
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and close != "`":
            j = text.find("'", i + 1)
            i = len(text) if j < 0 else j + 1
            continue
        if c == '"' and close != "`":
            i = _scan_dquote(text, i + 1)
            continue
        if c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        elif opener and c == opener:
            depth += 1
        i += 1
    return i


def _skip_expansion(text: str, i: int) -> int | None:
    """Past a `$(…)`, `${…}` or backquoted expansion starting at `i`; None when none starts there."""
    if text.startswith("$(", i):
        return _scan_subst(text, i + 2, ")")
    if text.startswith("${", i):
        return _scan_subst(text, i + 2, "}")
    if text.startswith("`", i):
        return _scan_subst(text, i + 1, "`")
    return None


def _scan_dquote(text: str, i: int) -> int:
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        else:
            past = _skip_expansion(text, i)
            i = i + 1 if past is None else past
    return i


def _scan_word(text: str, i: int) -> int:
    while i < len(text):
        c = text[i]
        if c in " \t\n;&|()<>":
            return i
        if c == "\\":
            i += 2
        elif c == "'":
            j = text.find("'", i + 1)
            i = len(text) if j < 0 else j + 1
        elif c == '"':
            i = _scan_dquote(text, i + 1)
        else:
            past = _skip_expansion(text, i)
            i = i + 1 if past is None else past
    return i


def lex(text: str) -> list[Token]:
    """Words (raw, quotes kept), operators and redirections; comments, continuations and
    heredoc bodies are dropped. Newlines are `;`-like operators."""
    out: list[Token] = []
    heredocs: list[tuple[str, bool]] = []
    i, line = 0, 1
    while i < len(text):
        c = text[i]
        if c in " \t\r":
            i += 1
        elif text.startswith("\\\n", i):
            i, line = i + 2, line + 1
        elif c == "\n":
            out.append(Token(Tok.OP, "\n", line))
            i, line = i + 1, line + 1
            if heredocs:
                i, line = _skip_heredocs(text, i, line, heredocs)
                heredocs = []
        elif c == "#":
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
        else:
            i, line = _token(text, i, line, out, heredocs)
    return out


def _token(text: str, i: int, line: int, out: list[Token], heredocs: list[tuple[str, bool]]) -> tuple[int, int]:
    for op in _REDIRS:
        if text.startswith(op, i):
            out.append(Token(Tok.REDIR, op, line))
            return i + len(op), line
    for op in _OPS:
        if text.startswith(op, i):
            out.append(Token(Tok.OP, op, line))
            return i + len(op), line
    j = max(_scan_word(text, i), i + 1)
    word = text[i:j]
    if word.isdigit() and j < len(text) and text[j] in "<>":
        return j, line  # an IO number: part of the redirection that follows
    if out and out[-1].kind is Tok.REDIR and out[-1].text in ("<<", "<<-"):
        heredocs.append((word.replace("'", "").replace('"', "").replace("\\", ""), out[-1].text == "<<-"))
    out.append(Token(Tok.WORD, word, line))
    return j, line + text.count("\n", i, j)


def _skip_heredocs(text: str, i: int, line: int, heredocs: list[tuple[str, bool]]) -> tuple[int, int]:
    for delim, tabs in heredocs:
        while i < len(text):
            j = text.find("\n", i)
            end = len(text) if j < 0 else j
            body = text[i:end]
            i, line = end + 1, line + 1
            if (body.lstrip("\t") if tabs else body) == delim:
                break
    return i, line


# -- expansion
_D = r"(?:dirname \$0|dirname \$\((?:realpath|readlink -[fe]|greadlink -f) \$0\)|(?:realpath|readlink -[fe]) \$\(dirname \$0\))"
_DIR_ONLY = re.compile(rf"^{_D}$")
_CD_PWD = re.compile(rf"^cd \$\({_D}\)(/[^ ;&]*)? ?(?:&&|;) ?pwd(?: -P)?$")


def _normal(body: str) -> str:
    s = body.replace('"', "").replace("'", "")
    s = re.sub(r"\$\{BASH_SOURCE(?:\[0\])?\}|\$BASH_SOURCE|\$\{0\}", "$0", s)
    s = re.sub(r"(?:&>|2>|>)\s*/dev/null|2>&1|(?<=\s)--(?=\s)", " ", s)
    return " ".join(s.split()).replace("$( ", "$(").replace(" )", ")")


def _subst(body: str) -> str | None:
    """A command substitution's value when it names a known directory."""
    s = _normal(body)
    if _DIR_ONLY.match(s):
        return SCRIPT_DIR
    m = _CD_PWD.match(s)
    if m:
        return SCRIPT_DIR + (m.group(1) or "")
    if s in ("pwd", "pwd -P"):
        return CWD
    if s == "git rev-parse --show-toplevel":
        return ROOT
    return None


_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+?])(.*))?$", re.S)


def _param(body: str, env: dict[str, str | None]) -> str | None:
    if body in ("0%/*", "BASH_SOURCE%/*", "BASH_SOURCE[0]%/*"):
        return SCRIPT_DIR
    if body == "PWD":
        return CWD
    m = _PARAM.match(body)
    if m is None:
        return None
    name, op, word = m.groups()
    value = env.get(name)
    if value is None:
        return None  # not assigned by the script: the environment decides
    if op in (":-", ":=", ":?"):
        return value if value else expand(word or "", env)
    if op in (":+",):
        return expand(word or "", env) if value else ""
    if op == "+":
        return expand(word or "", env)
    return value


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")


def _dollar(raw: str, i: int, env: dict[str, str | None]) -> tuple[str | None, int]:
    """Expand the `$...` at raw[i]: (value or None, index after it)."""
    if raw.startswith("$((", i):
        return None, _scan_subst(raw, i + 3, ")")
    if raw.startswith("$(", i):
        j = _scan_subst(raw, i + 2, ")")
        return _subst(raw[i + 2:j - 1]), j
    if raw.startswith("${", i):
        j = _scan_subst(raw, i + 2, "}")
        return _param(raw[i + 2:j - 1], env), j
    m = _NAME.match(raw, i + 1)
    if m is None:
        return "$", i + 1
    name = m.group()
    if name == "PWD":
        return CWD, m.end()
    return (env.get(name) if name[0].isalpha() or name[0] == "_" else None), m.end()


def _backtick(raw: str, i: int) -> tuple[str | None, int]:
    j = _scan_subst(raw, i + 1, "`")
    return _subst(raw[i + 1:j - 1]), j


def _quoted(raw: str, i: int, quoted: bool) -> tuple[str, int]:
    """A single-quoted string or a backslash escape at raw[i]: its text, the index after."""
    if raw[i] == "'":
        j = raw.find("'", i + 1)
        j = len(raw) if j < 0 else j
        return raw[i + 1:j], j + 1
    nxt = raw[i + 1:i + 2]
    return (nxt if not quoted or nxt in ('$', '"', "\\", "`") else "\\" + nxt), i + 2


def expand(raw: str, env: dict[str, str | None]) -> str | None:
    """A word after quote removal and expansion, or None when any part is unknown."""
    out: list[str] = []
    i, quoted = 0, False
    while i < len(raw):
        c = raw[i]
        if (c == "'" and not quoted) or c == "\\":
            text, i = _quoted(raw, i, quoted)
            out.append(text)
        elif c == '"':
            quoted, i = not quoted, i + 1
        elif c in "$`":
            val, i = _dollar(raw, i, env) if c == "$" else _backtick(raw, i)
            if val is None:
                return None
            out.append(val)
        elif not quoted and (c in "*?" or (c == "~" and i == 0)):
            return None  # a glob or a home directory: not one known path
        else:
            out.append(c)
            i += 1
    return "".join(out)


def resolve(value: str | None, cwd: str | None, script_dir: str | None) -> str | None:
    """A path an expanded word names, repository-relative; None when it is unknown or
    outside the repository."""
    if value is None:
        return None
    base: str | None
    for marker, base in ((SCRIPT_DIR, script_dir), (CWD, cwd), (ROOT, "")):
        if value.startswith(marker):
            value = value[len(marker):]
            if value and not value.startswith("/"):
                return None
            value = value.lstrip("/")
            break
    else:
        base = cwd
        if value.startswith("/"):
            return None
    if base is None or "\x00" in value:
        return None
    p = posixpath.normpath(posixpath.join(base, value)) if base else posixpath.normpath(value or ".")
    if p == ".." or p.startswith("../"):
        return None
    return "" if p == "." else p


@dataclass(frozen=True)
class Call:
    """A script this text runs (`../common/run.sh`), the directory it is run in, the line."""

    script: str
    cwd: str
    line: int


# -- walking a script
class _Frame(Enum):
    GROUP = "if/for/while/case/{ }"  # runs in this shell, maybe not at all
    SUBSHELL = "( )"  # changes do not outlive it
    FUNCTION = "function body"  # runs when called, in a state not known here


_OPENERS = {"if": _Frame.GROUP, "while": _Frame.GROUP, "until": _Frame.GROUP, "{": _Frame.GROUP}
_CLOSERS = frozenset({"fi", "done", "esac", "}"})
_NEUTRAL = frozenset({"then", "else", "elif", "do", "!"})
_ASSIGNERS = frozenset({"export", "readonly", "declare", "typeset", "local"})


class _Walker:
    """Follows one shell text in order, keeping the working directory and the variables
    it can know; collects build commands."""

    def __init__(self, script_dir: str | None, cwd: str | None, cwd_why: str, env: dict[str, str | None],
                 line_of: Callable[[int], int]):
        self.script_dir = script_dir
        self.cwd, self.cwd_why = cwd, cwd_why
        self.env = dict(env)
        self.line_of = line_of
        self.frames: list[tuple[_Frame, str | None, str, dict[str, str | None]]] = []
        self.fn_pending = False
        self.sites: list[BuildSite] = []
        self.calls: list[Call] = []

    def run(self, text: str) -> list[BuildSite]:
        words: list[Token] = []
        prev_op = ";"
        tokens = lex(text)
        k = 0
        while k < len(tokens):
            tok = tokens[k]
            k += 1
            if tok.kind is Tok.WORD:
                words.append(tok)
            elif tok.kind is Tok.REDIR:
                k += 1 if k < len(tokens) and tokens[k].kind is Tok.WORD else 0  # its target
            elif tok.text == "(" and words:  # name ( ) { ...: a function definition
                words = []
                self.fn_pending = True
                k += 1 if k < len(tokens) and tokens[k].text == ")" else 0
            else:
                nxt = tok.text
                self._command(words, prev_op, nxt)
                words, prev_op = [], nxt
                self._operator(nxt)
        self._command(words, prev_op, ";")
        return self.sites

    def _operator(self, op: str) -> None:
        if op == "(":
            self._push(_Frame.SUBSHELL)
        elif op == ")" and self.frames and self.frames[-1][0] is _Frame.SUBSHELL:
            self._pop()

    def _push(self, frame: _Frame) -> None:
        if self.fn_pending and frame is _Frame.GROUP:
            frame, self.fn_pending = _Frame.FUNCTION, False
        self.frames.append((frame, self.cwd, self.cwd_why, dict(self.env)))
        if frame is _Frame.FUNCTION:
            self.cwd, self.cwd_why = None, "a function body runs where it is called"
            self.env = {}

    def _pop(self) -> None:
        if not self.frames:
            return
        frame, cwd, why, env = self.frames.pop()
        if frame is _Frame.GROUP:  # assignments inside are already unknown (see _assign)
            if self.cwd != cwd:
                self.cwd, self.cwd_why = None, f"a cd inside {frame.value} may or may not have run"
        else:
            self.cwd, self.cwd_why, self.env = cwd, why, env

    def _reserved(self, toks: list[Token]) -> list[Token]:
        """Follow and drop the reserved words that open or close compound commands."""
        while toks and (toks[0].text in _OPENERS or toks[0].text in _CLOSERS or toks[0].text in _NEUTRAL):
            w = toks.pop(0).text
            if w in _OPENERS:
                self._push(_OPENERS[w])
            elif w in _CLOSERS:
                self._pop()
        return toks

    def _command(self, toks: list[Token], prev_op: str, next_op: str) -> None:
        toks = self._reserved(list(toks))
        raw = [t.text for t in toks]
        if not raw:
            return
        if raw[0] in ("for", "select", "case"):
            self._push(_Frame.GROUP)
            if raw[0] != "case" and len(raw) > 1:
                self.env[raw[1]] = None
            return
        if raw[0] == "function":
            self.fn_pending = True
            if raw[-1] == "{":
                self._push(_Frame.GROUP)
            return
        n = 0
        while n < len(raw) and _assignment(raw[n]):
            n += 1
        if n == len(raw):
            self._assign(raw, prev_op)
            return
        self._simple(raw[n:], toks[n].line, prev_op, next_op)

    def _assign(self, words: list[str], prev_op: str) -> None:
        conditional = bool(self.frames) or prev_op in ("&&", "||", "|")
        for w in words:
            name, _, value = w.partition("=")
            plus = name.endswith("+")
            name = name.rstrip("+")
            known = None if conditional or plus else expand(value, self.env)
            self.env[name] = known

    def _simple(self, raw: list[str], line: int, prev_op: str, next_op: str) -> None:
        argv = [expand(w, self.env) for w in raw]
        name = argv[0]
        if name in ("cd", "pushd"):
            self._cd(raw, argv, prev_op, next_op)
        elif name == "popd":
            self.cwd, self.cwd_why = None, "popd"
        elif name in _ASSIGNERS:
            self._assign([w for w in raw[1:] if _assignment(w)], prev_op)
        elif name in ("read", "getopts", "mapfile", "readarray", "unset"):
            self.env.update({w: None for w in raw[1:] if not w.startswith("-")})
        elif name in (".", "source", "eval") or name is None and raw[0].startswith("$"):
            self.env = {k: None for k in self.env}
            self.cwd, self.cwd_why = None, f"line {self.line_of(line)} runs {raw[0]} (it may change directory)"
        else:
            self._call(argv, line)
            self._build(argv, line)

    def _call(self, argv: list[str | None], line: int) -> None:
        """`sh x.sh`, `bash ./x.sh`, `../common/run.sh`: a script run in a known directory."""
        target = argv[1] if argv[0] in ("sh", "bash") and len(argv) > 1 else argv[0]
        if target is None or self.cwd is None or "/" not in target and argv[0] not in ("sh", "bash"):
            return
        path = resolve(target, self.cwd, self.script_dir)
        if path:
            self.calls.append(Call(path, self.cwd, self.line_of(line)))

    def _cd(self, raw: list[str], argv: list[str | None], prev_op: str, next_op: str) -> None:
        args = [a for a in argv[1:] if a not in ("-P", "-L", "--")]
        if prev_op == "|" or next_op == "|":
            return  # a pipeline's cd runs in a subshell
        if prev_op in ("&&", "||"):
            self.cwd, self.cwd_why = None, f"a conditional `{' '.join(raw)}`"
            return
        target = resolve(args[0], self.cwd, self.script_dir) if len(args) == 1 else None
        if target is None:
            self.cwd_why = f"`{' '.join(raw)}` goes to a directory that cannot be read"
        self.cwd = target

    def _build(self, argv: list[str | None], line: int) -> None:
        found = build_verb(argv)
        if found is None:
            return
        engine, start = found
        env = {k: v for k, v in self.env.items() if v is not None}
        self.sites.append(BuildSite(self.line_of(line), self.cwd, self.cwd_why, self.script_dir,
                                    parse_build(engine, argv[start:], env)))


def _assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.rstrip("+").isidentifier()


def shell_builds(text: str, script_dir: str | None, cwd: str | None, cwd_why: str = "",
                 env: dict[str, str | None] | None = None,
                 line_of: Callable[[int], int] = lambda n: n) -> list[BuildSite]:
    """The build commands of one shell text run in `cwd` (None = unknown, `cwd_why` says
    why); `script_dir` is the folder `$0` names (None: a CI step's temporary script)."""
    if not any(w in text for w in ("docker", "podman", "buildah")):
        return []
    return _Walker(script_dir, cwd, cwd_why, env or {}, line_of).run(text)


def shell_calls(text: str, script_dir: str | None, cwd: str | None,
                line_of: Callable[[int], int] = lambda n: n) -> list[Call]:
    """The scripts one shell text runs in a known directory."""
    walker = _Walker(script_dir, cwd, "", {}, line_of)
    walker.run(text)
    return walker.calls
