"""Text helpers shared by every transform.

Five groups, each usable on its own:

* **A small, honest shell splitter** (`split_commands`). It reads a shell-form RUN's
  command line (BuildKit's value: continuations folded, comment lines dropped) as a chain
  of *simple commands* joined by `&&`, and gives up (returns None) on anything else:
  `;`, `||`, pipes, `&`, redirections, subshells and `{ }` groups, command substitution,
  shell comments, newlines, reserved words (`if`, `for`, `!`, …). Quotes and backslashes
  are honoured; each word keeps its text as written (`raw`) and its unquoted value, and
  says whether the shell would still expand it (`$x`, `~`, globs).
* **The file's own style** (`file_style`): continuation indent, `&&` at the start of a
  continuation line or at the end before the escape token, the escape token.
* **Instruction text** (`run_head`, `shell_body`, `comment_block`, `join_commands`): the
  pieces a merge needs, as written, and one RUN assembled in the file's style.
* **Tidy edits on an `Editor`** (`delete_instruction`, `delete_lines`, `replace_lines`,
  `merge_runs`): deletions that do not leave a double blank line (nor a blank line at the
  start or end of the file), keep a missing final newline missing, never eat a BOM, and
  know about each other when several are made on one editor.
* **What the build state is at an instruction** (`lineage`, `stage_workdir`, `shell_at`,
  `posix_shell`, `mount_types`, `flags_key`): the instructions of the stage and of its
  in-repo bases that ran before it, and what they mean for a RUN.

New text is written with "\\n"; the editor converts it to the line ending of the place it
goes, so CRLF files stay CRLF.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor

if TYPE_CHECKING:
    from dockfix.transforms.base import Context

# --------------------------------------------------------------------------------------
# The shell splitter
# --------------------------------------------------------------------------------------

# Words the shell treats as syntax when they start a command.
RESERVED = frozenset({"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "case",
                      "esac", "while", "until", "for", "in", "function", "select", "time",
                      "[[", "]]", "coproc"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_BLANKS = " \t"


@dataclass(frozen=True)
class Word:
    raw: str  # as written, quotes and backslashes included
    value: str  # after quote removal (expansions left as written)
    expands: bool  # the shell would still expand it: `$x`, `${x}`, a leading `~`, a glob

    @property
    def literal(self) -> bool:
        return not self.expands


@dataclass(frozen=True)
class Command:
    """One simple command of an `&&` chain."""

    text: str  # as written, surrounding blanks stripped
    words: tuple[Word, ...]

    @property
    def assignments(self) -> tuple[Word, ...]:
        """Leading `NAME=value` words (environment for this command only)."""
        out = []
        for w in self.words:
            if not _ASSIGNMENT.match(w.raw):
                break
            out.append(w)
        return tuple(out)

    @property
    def argv(self) -> tuple[Word, ...]:
        return self.words[len(self.assignments):]

    @property
    def values(self) -> list[str]:
        return [w.value for w in self.argv]


class _Unsupported(Exception):
    pass


def split_commands(script: str) -> list[Command] | None:
    """`a && b && c` as simple commands; None when the script uses any other shell syntax
    or cannot be read (unbalanced quotes, a trailing backslash)."""
    try:
        return _Splitter(script).run()
    except _Unsupported:
        return None


def split_and_chain(command: str) -> list[str] | None:
    """The `&&`-separated commands as written (stripped); None as for `split_commands`."""
    cmds = split_commands(command)
    return None if cmds is None else [c.text for c in cmds]


def words(command: str) -> list[str] | None:
    """The unquoted words of one simple command; None when it is not one."""
    cmds = split_commands(command)
    if cmds is None or len(cmds) != 1:
        return None
    return [w.value for w in cmds[0].words]


class _Splitter:
    def __init__(self, s: str):
        self.s = s
        self.i = 0

    def run(self) -> list[Command]:
        s = self.s
        commands: list[Command] = []
        words_: list[Word] = []
        start = 0
        while True:
            self._blanks()
            if self.i >= len(s):
                break
            ch = s[self.i]
            if s.startswith("&&", self.i):
                commands.append(self._command(start, self.i, words_))
                self.i += 2
                start, words_ = self.i, []
                continue
            if ch in ";|&<>()\n\r`":
                raise _Unsupported(ch)
            if ch == "#":
                raise _Unsupported("comment")
            words_.append(self._word())
        commands.append(self._command(start, len(s), words_))
        return commands

    def _command(self, start: int, end: int, words_: list[Word]) -> Command:
        if not words_:
            raise _Unsupported("empty command")
        first = next((w for w in words_ if not _ASSIGNMENT.match(w.raw)), None)
        if first is not None and first.raw in RESERVED:
            raise _Unsupported("reserved word")
        return Command(self.s[start:end].strip(_BLANKS), tuple(words_))

    def _blanks(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in _BLANKS:
            self.i += 1

    def _word(self) -> Word:
        s = self.s
        start = self.i
        value: list[str] = []
        expands = False
        if s[self.i] == "~":
            expands = True
        while self.i < len(s):
            ch = s[self.i]
            if ch in _BLANKS or ch in ";|&<>()\n\r`":
                break
            if ch == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise _Unsupported("unbalanced quote")
                value.append(s[self.i + 1:end])
                self.i = end + 1
            elif ch == '"':
                expands |= self._double_quoted(value)
            elif ch == "\\":
                if self.i + 1 >= len(s) or s[self.i + 1] in "\n\r":
                    raise _Unsupported("trailing backslash")
                value.append(s[self.i + 1])
                self.i += 2
            elif ch == "$":
                value.append(self._dollar())
                expands = True
            else:
                if ch in "*?[":
                    expands = True
                value.append(ch)
                self.i += 1
        return Word(s[start:self.i], "".join(value), expands)

    def _double_quoted(self, value: list[str]) -> bool:
        s = self.s
        self.i += 1
        expands = False
        while True:
            if self.i >= len(s):
                raise _Unsupported("unbalanced quote")
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                return expands
            if ch == "`":
                raise _Unsupported("command substitution")
            if ch == "\\" and self.i + 1 < len(s) and s[self.i + 1] in '$`"\\':
                value.append(s[self.i + 1])
                self.i += 2
                continue
            if ch == "$":
                value.append(self._dollar())
                expands = True
                continue
            value.append(ch)
            self.i += 1

    def _dollar(self) -> str:
        """A parameter expansion, kept as written; command and arithmetic substitution and
        bash's `$'…'` are not supported."""
        s = self.s
        start = self.i
        self.i += 1
        if self.i >= len(s):
            return "$"  # a lone `$` is literal
        ch = s[self.i]
        if ch in "('\"":
            raise _Unsupported("substitution")
        if ch == "{":
            end = s.find("}", self.i)
            if end < 0:
                raise _Unsupported("unbalanced brace")
            inner = s[self.i + 1:end]
            if any(c in inner for c in "$`'\"\\{"):
                raise _Unsupported("nested expansion")
            self.i = end + 1
            return s[start:self.i]
        m = _NAME.match(s, self.i)
        if m:
            self.i = m.end()
        elif ch.isdigit() or ch in "@*#?-$!":
            self.i += 1
        return s[start:self.i]


# --------------------------------------------------------------------------------------
# The file's style
# --------------------------------------------------------------------------------------

DEFAULT_INDENT = "    "


@dataclass(frozen=True)
class Style:
    indent: str  # continuation-line indent (the most common one)
    leading_and: bool  # `    && cmd` (True) or `cmd && \` (False)
    escape: str  # the escape token: "\\" or "`"
    and_indent: str = ""  # indent of the lines that start with `&&`, when the file has some

    @property
    def command_indent(self) -> str:
        """Indent for a continuation line that starts a command."""
        return self.and_indent if self.leading_and and self.and_indent else self.indent


def _logical_lines(doc: Document, ins: Instruction) -> range:
    """The instruction's own physical lines (a heredoc body is not one)."""
    if ins.heredocs:
        return range(ins.start_line, ins.start_line)
    return range(ins.start_line, ins.end_line + 1)


def _line_str(doc: Document, n: int) -> str:
    return doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n")


def file_style(doc: Document) -> Style:
    """The continuation style the file already uses. RUN instructions decide; the other
    instructions only when no RUN continues over lines. Defaults: 4 spaces, leading `&&`."""
    esc = doc.escape
    for keywords in (("RUN",), None):
        indents: Counter[str] = Counter()
        and_indents: Counter[str] = Counter()
        leading = trailing = 0
        for ins in doc.instructions:
            if keywords is not None and ins.keyword not in keywords:
                continue
            lines = list(_logical_lines(doc, ins))
            for n in lines[1:]:
                raw = _line_str(doc, n)
                body = raw.lstrip(" \t")
                if not body or body.startswith("#"):
                    continue
                indent = raw[: len(raw) - len(body)]
                indents[indent] += 1
                if body.startswith("&&"):
                    leading += 1
                    and_indents[indent] += 1
            for n in lines[:-1]:
                raw = _line_str(doc, n).rstrip(" \t")
                if raw.endswith(esc) and raw[:-1].rstrip(" \t").endswith("&&"):
                    trailing += 1
        if indents:
            indent = indents.most_common(1)[0][0] or DEFAULT_INDENT
            and_indent = and_indents.most_common(1)[0][0] if and_indents else ""
            return Style(indent, leading >= trailing, esc, and_indent)
    return Style(DEFAULT_INDENT, True, esc, "")


# --------------------------------------------------------------------------------------
# Instruction text
# --------------------------------------------------------------------------------------


def run_head(doc: Document, ins: Instruction) -> tuple[str, str]:
    """(head, body) of a shell-form instruction as written: the head is the keyword, its
    flags and the blanks after them (e.g. `RUN --mount=type=cache,target=/x `); the body is
    the command as written, continuation lines, indentation and comment lines kept, line
    endings as "\\n", without the final line ending or trailing blanks."""
    raw = doc.text(ins).decode("utf-8", "surrogateescape").replace("\r\n", "\n").rstrip("\n")
    cont = re.compile(rf"[ \t]*{re.escape(doc.escape)}[ \t]*\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*")
    i = len(raw) - len(raw.lstrip(" \t"))
    m = re.compile(r"\S+").match(raw, i)
    i = m.end() if m else i
    for _ in ins.flags:
        i = _skip_blanks(raw, i, cont)
        i = _skip_flag(raw, i)
    i = _skip_blanks(raw, i, cont)
    return raw[:i], raw[i:].rstrip(" \t")


def _skip_blanks(raw: str, i: int, cont: re.Pattern[str]) -> int:
    while i < len(raw):
        m = cont.match(raw, i)
        if m and m.end() > i:
            i = m.end()
        elif raw[i] in " \t":
            i += 1
        else:
            break
    return i


def _skip_flag(raw: str, i: int) -> int:
    quote = ""
    while i < len(raw):
        ch = raw[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in " \t\n":
            break
        i += 1
    return i


def shell_body(doc: Document, ins: Instruction) -> str:
    """The command as written (see `run_head`)."""
    return run_head(doc, ins)[1]


def comment_block(doc: Document, ins: Instruction) -> str:
    """The comment lines directly above `ins`, as written, each ending in "\\n"."""
    first = doc.leading_comment_start(ins)
    return "".join(_line_str(doc, n) + "\n" for n in range(first, ins.start_line))


def is_one_line(ins: Instruction) -> bool:
    return ins.start_line == ins.end_line


ONE_LINE_MAX = 100


def join_commands(head: str, bodies: list[str], style: Style, one_line_max: int = ONE_LINE_MAX) -> str:
    """One instruction from several command bodies, in the file's style.

    One line (`head + " && ".join(bodies)`) when the head and every body are one line (each
    merged instruction was) and the result is at most `one_line_max` characters; otherwise
    one body after the other on continuation lines: `body \\` / `<indent>&& body` (leading
    style) or `body && \\` / `<indent>body` (trailing style). A body written over several
    lines keeps its lines."""
    flat = head + " && ".join(bodies)
    if "\n" not in flat and len(flat) <= one_line_max:
        return flat
    esc = style.escape
    if style.leading_and:
        joiner = f" {esc}\n{style.command_indent}&& "
    else:
        joiner = f" && {esc}\n{style.indent}"
    return head + joiner.join(bodies)


# --------------------------------------------------------------------------------------
# Tidy edits
# --------------------------------------------------------------------------------------

# Lines each editor has deleted through these helpers, so later deletions on the same
# editor see the file as it will be.
_DELETED: "weakref.WeakKeyDictionary[Editor, set[int]]" = weakref.WeakKeyDictionary()


def _blank(doc: Document, line: int) -> bool:
    raw = doc.line_bytes(line)
    if line == 1 and doc.bom:
        raw = raw[3:]
    return raw.strip(b" \t\r\n\f\v") == b""


def _line_start(doc: Document, line: int) -> int:
    start = doc.line_starts[line - 1]
    if line == 1 and doc.bom:
        start += 3  # the BOM is not part of the line's text
    return start


def _line_end(doc: Document, line: int) -> int:
    return doc.line_span(line)[1]


def deleted_lines(ed: Editor) -> frozenset[int]:
    """Lines already deleted on this editor through these helpers."""
    return frozenset(_DELETED.get(ed, ()))


def delete_lines(ed: Editor, first: int, last: int) -> None:
    """Delete physical lines first..last, then tidy up: when the lines kept on both sides
    (skipping lines already deleted) are both blank, the one below goes too; a blank line
    left first in the file, or last, goes; a file that ended without a newline still does.
    Call it once per range; later calls see the earlier ones."""
    doc = ed.doc
    n = doc.line_count
    gone = _DELETED.setdefault(ed, set())
    new = set(range(first, last + 1)) - gone
    if not new:
        return
    dead = gone | new

    def kept_before(line: int) -> int:
        while line >= 1 and line in dead:
            line -= 1
        return line

    def kept_after(line: int) -> int:
        while line <= n and line in dead:
            line += 1
        return line

    prev, nxt = kept_before(first - 1), kept_after(last + 1)
    if nxt <= n and _blank(doc, nxt) and (prev < 1 or _blank(doc, prev)):
        new.add(nxt)
    elif nxt > n and prev >= 1 and _blank(doc, prev):
        new.add(prev)
    dead = gone | new
    gone.update(new)
    for a, b in _runs(sorted(new)):
        ed.replace_span(_line_start(doc, a), _line_end(doc, b), b"")
    if n in new and not doc.eol_of_line(n):
        # The file ended without a newline: so must its new last line.
        keep = kept_before(n)
        if keep >= 1:
            eol = doc.eol_of_line(keep)
            ed.replace_span(_line_end(doc, keep) - len(eol), _line_end(doc, keep), b"")


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x in lines:
        if out and out[-1][1] == x - 1:
            out[-1] = (out[-1][0], x)
        else:
            out.append((x, x))
    return out


def delete_instruction(ed: Editor, ins: Instruction, with_comments: bool = True) -> None:
    """Delete the instruction (with the comment block directly above it) without leaving a
    double blank line."""
    first = ed.doc.leading_comment_start(ins) if with_comments else ins.start_line
    delete_lines(ed, first, ins.end_line)


def replace_lines(ed: Editor, first: int, last: Instruction | int, text: str) -> None:
    """Replace physical lines first..last (an instruction's last line, or a line number)
    by `text` (lines separated by "\\n"). The last line's ending is kept as it was, so a
    file without a final newline stays so; new line endings follow the replaced lines'."""
    doc = ed.doc
    end_line = last.end_line if isinstance(last, Instruction) else last
    eol = doc.eol_of_line(end_line)
    inner = doc.eol_of_line(end_line) or (doc.eol_of_line(first) if first < end_line else b"") or doc.newline
    body = ed.encode(text.rstrip("\n"), inner)
    ed.replace_span(_line_start(doc, first), _line_end(doc, end_line), body + eol)


def loose_comments(doc: Document, first: int, last: int, members: list[Instruction]) -> list[str]:
    """Comment lines in first..last outside the members' own lines, as written."""
    own = {n for ins in members for n in range(ins.start_line, ins.end_line + 1)}
    return [_line_str(doc, n) for n in range(first, last + 1)
            if n not in own and not _blank(doc, n)]


def merge_runs(ed: Editor, moved: list[Instruction], members: list[Instruction], text: str) -> None:
    """Replace `members` (instructions with only comments and blank lines between them) by
    one instruction `text`, written where the first member's comment block starts; the
    instructions in `moved` (earlier ones, merged into it) are deleted. Every comment that
    goes with them moves above the merged instruction: each moved instruction's comment
    block, then the comments of the members' region, in order. Blank lines between the
    members go."""
    doc = ed.doc
    first = doc.leading_comment_start(members[0])
    comments = [c for ins in moved for c in comment_block(doc, ins).splitlines()]
    comments += loose_comments(doc, first, members[-1].end_line, members)
    replace_lines(ed, first, members[-1], "".join(c + "\n" for c in comments) + text)
    for ins in moved:
        delete_instruction(ed, ins)


# --------------------------------------------------------------------------------------
# Build state at an instruction
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lineage:
    """The instructions that shaped the state an instruction runs in, oldest first, as
    (document, instruction) pairs: those of its in-repo bases (earlier stages, images built
    in the repo), then its own stage's up to it (FROM lines excluded; `own` of them).
    `external` is the image the chain starts from when that is not built in the repo (its
    configuration is unknown to us), or None."""

    steps: tuple[tuple[Document, Instruction], ...]
    own: int
    external: str | None

    def last(self, keyword: str) -> Instruction | None:
        for _, ins in reversed(self.steps):
            if ins.keyword == keyword:
                return ins
        return None

    def env_names(self) -> set[str]:
        """Variable names the commands may see: ENV anywhere in the chain, ARG in the own
        stage (an ARG does not outlive its stage)."""
        names: set[str] = set()
        for k, (_, ins) in enumerate(self.steps):
            if ins.keyword == "ENV":
                names.update(ins.value[0::2])
            elif ins.keyword == "ARG" and k >= len(self.steps) - self.own:
                names.update(w.split("=", 1)[0] for w in ins.value)
        return names


def lineage(ctx: "Context | None", path: str, doc: Document, ins: Instruction) -> Lineage:
    own = [(doc, i) for i in doc.stage_instructions(doc.stages[ins.stage])[1:] if i.index < ins.index]
    chain: list[list[tuple[Document, Instruction]]] = [own]
    external = None
    d, cur_path, stage, seen = doc, path, ins.stage, set()
    while (cur_path, stage) not in seen:
        seen.add((cur_path, stage))
        kind, nd, npath, nstage, ref = _base(ctx, cur_path, d, stage)
        if kind == "external" or nd is None or nstage is None:
            external = ref or "?"
            break
        d, cur_path, stage = nd, npath, nstage
        chain.append([(d, i) for i in d.stage_instructions(d.stages[stage])[1:]])
    steps = tuple(x for part in reversed(chain) for x in part)
    return Lineage(steps, len(own), external)


def _base(ctx, path: str, doc: Document, stage: int):
    """(kind, document, path, stage, ref) of a stage's base."""
    st = doc.stages[stage]
    if ctx is not None:
        try:
            b = ctx.graph().base_of(path, stage)
        except Exception:  # the graph is best effort here; fall back to the file alone
            b = None
        if b is not None:
            if b.kind == "stage":
                return "stage", doc, path, b.stage, b.ref
            if b.kind == "internal" and b.image is not None:
                g = ctx.graph()
                s = g.image_stage(b.image)
                node = g.dockerfiles.get(b.image.dockerfile)
                if s is None or node is None or node.document is None:
                    return "internal", None, None, None, b.ref
                return "internal", node.document, b.image.dockerfile, s, b.ref
            return "external", None, None, None, b.ref
    names = {s.name: s.index for s in doc.stages if s.name}
    base = st.base.lower()
    if base in names and names[base] < stage:
        return "stage", doc, path, names[base], base
    return "external", None, None, None, st.base


def stage_workdir(steps) -> str | None:
    """The working directory after the steps, when every WORKDIR on the way is literal and
    the chain sets an absolute one; None when unknown."""
    wd: str | None = None
    for _, ins in steps:
        if ins.keyword != "WORKDIR" or not ins.value:
            continue
        v = ins.value[0]
        if "$" in v or "\\" in v:
            wd = None  # depends on a variable: unknown here
            continue
        if v.startswith("/"):
            wd = posixpath.normpath(v)
        elif wd is not None:
            wd = posixpath.normpath(posixpath.join(wd, v))
    return wd


_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh"})


def posix_shell(shell: tuple[str, ...] | None) -> bool:
    """Is the SHELL in force (None: the default `/bin/sh -c`) a POSIX shell run with `-c`,
    so that `a && b` means what it means in sh?"""
    if shell is None:
        return True
    if len(shell) < 2 or posixpath.basename(shell[0]) not in _SHELLS:
        return False
    if not re.fullmatch(r"-[a-zA-Z]*c", shell[-1]):
        return False
    return all(a.startswith(("-", "+")) or re.fullmatch(r"[-+][a-zA-Z]*o", shell[i - 1])
               for i, a in enumerate(shell[1:-1], start=1))


def shell_at(ctx: "Context | None", path: str, doc: Document, ins: Instruction) -> tuple[str, ...] | None:
    """The SHELL in force at `ins` (None: the default), through in-repo bases."""
    last = lineage(ctx, path, doc, ins).last("SHELL")
    return tuple(last.value) if last is not None else None


def mount_types(ins: Instruction) -> list[str]:
    out = []
    for spec in ins.flag_values("mount"):
        kind = "bind"
        for part in spec.split(","):
            k, _, v = part.partition("=")
            if k.strip().lower() == "type":
                kind = v.strip().lower()
        out.append(kind)
    return out


def flags_key(ins: Instruction) -> tuple[str, ...]:
    """RUN flags as a comparable key: the same flags, in any order."""
    return tuple(sorted(ins.flags))
