"""The lossless Dockerfile document: BuildKit's reading of a file, on exact byte spans.

`parse(data)` follows BuildKit's `parser.Parse` line for line (scanner on `\\n`,
directives in the leading block, comments and empty lines inside continuations,
heredoc bodies), and records for every instruction the physical lines and bytes it
came from. The document never rewrites bytes: `doc.data` is the input, so
`render(parse(b)) == b` holds by construction, and edits (see `edit.py`) splice new
bytes into these spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from dockfix.errors import DockerfileSyntaxError
from dockfix.memo import Memo
from dockfix.syntax import lexer
from dockfix.syntax.values import DISPATCH, HEREDOC_INSTRUCTIONS, KNOWN_INSTRUCTIONS, ValueError_

BOM = b"\xef\xbb\xbf"
# parser.go reHeredoc (current BuildKit allows spaces after `<<-`).
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")
# directives.go: `# name = value` in the leading comment block.
_DIRECTIVE = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$")
VALID_DIRECTIVES = ("syntax", "escape", "check")


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str  # raw body lines, line endings included, tabs not yet chomped
    chomp: bool  # <<-
    expand: bool  # unquoted name: the body is subject to expansion
    fd: int  # 3<<EOF

    def to_json(self) -> dict:
        return {"name": self.name, "content": self.content, "chomp": self.chomp,
                "expand": self.expand, "fd": self.fd}


@dataclass(frozen=True)
class Directive:
    name: str
    value: str
    line: int


@dataclass(eq=False)
class Instruction:
    keyword: str  # upper case: "RUN"
    cmd: str  # as written: "run"
    flags: tuple[str, ...]
    value: tuple[str, ...]  # BuildKit's node values
    json: bool  # exec (JSON) form
    args: str  # the logical rest of line after the flags
    original: str  # the logical line, continuations folded
    heredocs: tuple[Heredoc, ...]
    start_line: int  # 1-based, as BuildKit
    end_line: int
    start: int  # byte span [start, end): whole physical lines, end-of-line included
    end: int
    sub: "Instruction | None" = None  # ONBUILD's instruction
    index: int = 0  # position in Document.instructions
    stage: int = -1  # index into Document.stages; -1 before the first FROM

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (last wins, as BuildKit's flag parser), or None.
        A bare `--name` gives ""."""
        found = None
        prefix = f"--{name}"
        for f in self.flags:
            if f == prefix:
                found = ""
            elif f.startswith(prefix + "="):
                found = f[len(prefix) + 1:]
        return found

    def flag_values(self, name: str) -> list[str]:
        prefix = f"--{name}="
        return [f[len(prefix):] for f in self.flags if f.startswith(prefix)]

    def to_json(self) -> dict:
        out = {
            "instruction": self.keyword,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "flags": list(self.flags),
            "value": list(self.value),
            "json": self.json,
            "heredocs": [h.to_json() for h in self.heredocs],
            "original": self.original,
        }
        if self.sub is not None:
            out["sub_instruction"] = self.sub.keyword
        return out


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None  # `AS name`, lower-cased as BuildKit compares it
    base: str  # the FROM image reference as written (may hold ${ARG})
    platform: str | None
    from_index: int  # index of the FROM instruction
    instructions: tuple[int, ...]  # indices of the stage's instructions, FROM included


@dataclass(eq=False)
class Document:
    data: bytes
    path: str | None
    escape: str
    directives: tuple[Directive, ...]
    instructions: list[Instruction]
    line_starts: list[int] = field(repr=False)  # byte offset of each physical line

    # -- bytes
    def render(self) -> bytes:
        return self.data

    def text(self, ins: Instruction) -> bytes:
        return self.data[ins.start:ins.end]

    @property
    def bom(self) -> bool:
        return self.data.startswith(BOM)

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_span(self, line: int) -> tuple[int, int]:
        """Byte span of physical line `line` (1-based), end-of-line included."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.data)
        return start, end

    def line_bytes(self, line: int) -> bytes:
        s, e = self.line_span(line)
        return self.data[s:e]

    def eol_of_line(self, line: int) -> bytes:
        raw = self.line_bytes(line)
        if raw.endswith(b"\r\n"):
            return b"\r\n"
        if raw.endswith(b"\n"):
            return b"\n"
        return b""

    @cached_property
    def newline(self) -> bytes:
        """The file's line-ending style: CRLF when most lines use it, else LF."""
        crlf = self.data.count(b"\r\n")
        lf = self.data.count(b"\n") - crlf
        return b"\r\n" if crlf > lf else b"\n"

    @property
    def final_newline(self) -> bool:
        return self.data.endswith(b"\n") or not self.data

    def leading_comment_start(self, ins: Instruction) -> int:
        """First line of the comment block directly above `ins` (no blank line between),
        or ins.start_line when there is none. Parser directives are not comments."""
        floor = max([d.line for d in self.directives]
                    + [self.instructions[ins.index - 1].end_line if ins.index else 0])
        line = ins.start_line
        while line - 1 > floor:
            raw = self.line_bytes(line - 1).decode("utf-8", "surrogateescape")
            if not lexer.lstrip_space(raw).startswith("#"):
                break
            line -= 1
        return line

    # -- structure
    @cached_property
    def stages(self) -> list[Stage]:
        stages: list[Stage] = []
        current: list[int] = []
        head: Instruction | None = None
        for ins in self.instructions:
            if ins.keyword == "FROM":
                if head is not None:
                    stages.append(_stage(len(stages), head, current))
                head, current = ins, []
            if head is not None:
                ins.stage = len(stages)
                current.append(ins.index)
        if head is not None:
            stages.append(_stage(len(stages), head, current))
        return stages

    def stage_instructions(self, stage: Stage) -> list[Instruction]:
        return [self.instructions[i] for i in stage.instructions]

    def global_args(self) -> list[Instruction]:
        """ARGs before the first FROM: the only ones FROM lines can use."""
        out = []
        for ins in self.instructions:
            if ins.keyword == "FROM":
                break
            if ins.keyword == "ARG":
                out.append(ins)
        return out


def _stage(index: int, head: Instruction, members: list[int]) -> Stage:
    v = head.value
    name = v[2].lower() if len(v) >= 3 and v[1].lower() == "as" else None
    return Stage(index=index, name=name, base=v[0] if v else "", platform=head.flag("platform"),
                 from_index=head.index, instructions=tuple(members))


class _DirectiveParser:
    """directives.go: `# key=value` lines, only before anything else, each key once."""

    def __init__(self) -> None:
        self.done = False
        self.seen: dict[str, Directive] = {}

    def feed(self, token: str, line: int) -> Directive | None:
        if self.done:
            return None
        if not token.startswith("#"):
            self.done = True
            return None
        m = _DIRECTIVE.match(lexer.lstrip_space(token[1:]))
        if not m or m.group(1).lower() not in VALID_DIRECTIVES:
            self.done = True
            return None
        key = m.group(1).lower()
        if key in self.seen:
            raise DockerfileSyntaxError(f"only one {key} parser directive can be used", line=line)
        d = Directive(key, m.group(2), line)
        self.seen[key] = d
        return d


def parse(data: bytes, path: str | None = None) -> Document:
    """Parse a Dockerfile the way BuildKit does, keeping every byte.

    Raises DockerfileSyntaxError (with path and line) where BuildKit's parser fails.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse() takes bytes")
    data = bytes(data)
    key = (data, path)
    doc = _PARSED.get(key)
    if doc is not None:
        return doc
    try:
        return _PARSED.put(key, _parse(data, path))
    except DockerfileSyntaxError as err:
        raise err.located(path or "<input>") from None


# By (bytes, path): a transform parses its edit to check it, the engine parses it again for
# the next transform's graph, and the prover once more. A Document is never mutated after
# parsing, so one object serves them all.
_PARSED = Memo(50_000)


def _parse(data: bytes, path: str | None) -> Document:
    return _Parser(data).document(path)


def _line_starts(data: bytes, pieces: list[str]) -> list[int]:
    """The byte offset of each line."""
    starts: list[int] = []
    off = 0
    ascii_only = data.isascii()
    for p in pieces:
        starts.append(off)
        off += (len(p) if ascii_only else len(p.encode("utf-8", "surrogateescape"))) + 1
    return starts


class _Parser:
    """BuildKit's parser loop over one file: directives, logical lines (continuations,
    comments inside them, empty continuation lines), instructions and their heredocs."""

    def __init__(self, data: bytes):
        self.data = data
        self.text = data.decode("utf-8", "surrogateescape")
        pieces = self.text.split("\n")
        # The scanner yields each line with its "\n"; a final empty piece is no line.
        if pieces[-1] == "":
            pieces.pop()
        self.pieces, self.n = pieces, len(pieces)
        self.line_starts = _line_starts(data, pieces)
        self.directives = _DirectiveParser()
        self.found_directives: list[Directive] = []
        self.escape = "\\"
        self.i = 0  # the next line to read

    def document(self, path: str | None) -> Document:
        instructions: list[Instruction] = []
        while self.i < self.n:
            start_line, line = self._logical_line()
            if line is None:
                continue
            try:
                ins = _instruction_of(line, self.escape)
            except ValueError_ as err:
                raise DockerfileSyntaxError(str(err), line=start_line) from None
            ins.heredocs = self._heredocs(ins, line, start_line)
            ins.start_line, ins.end_line = start_line, self.i
            ins.start = self.line_starts[start_line - 1]
            ins.end = self.line_starts[self.i] if self.i < self.n else len(self.data)
            ins.index = len(instructions)
            instructions.append(ins)
        if not instructions:
            raise DockerfileSyntaxError("file with no instructions", line=max(self.n, 1))
        doc = Document(data=self.data, path=path, escape=self.escape, directives=tuple(self.found_directives),
                       instructions=instructions, line_starts=self.line_starts)
        doc.stages  # assigns Instruction.stage
        return doc

    def _process(self, token: str, line_no: int, strip_left: bool) -> str:
        """A physical line as the scanner hands it on: a directive is read (and kept), a
        comment becomes empty."""
        token = token.rstrip("\r\n")
        if strip_left:
            token = lexer.lstrip_space(token)
        d = self.directives.feed(token, line_no)
        if d is not None:
            self.found_directives.append(d)
            if d.name == "escape":
                if d.value not in ("\\", "`"):
                    raise DockerfileSyntaxError(
                        f"invalid escape token '{d.value}' does not match ` or \\", line=line_no)
                self.escape = d.value
        return "" if lexer.lstrip_space(token).startswith("#") else token

    def _logical_line(self) -> tuple[int, str | None]:
        """(its first line, the logical line) from the next line on; None for a line that
        holds no instruction (empty, a comment, a directive)."""
        pieces, n, lstrip, trim = self.pieces, self.n, lexer.lstrip_space, lexer.trim_continuation
        raw = pieces[self.i]
        if self.i == 0 and raw.startswith("\ufeff"):
            raw = raw[1:]
        token = self._process(raw, self.i + 1, True)
        self.i += 1
        start_line = self.i
        body, end_of_line = trim(token, self.escape)
        if end_of_line and body == "":
            return start_line, None
        parts = [body]
        while not end_of_line and self.i < n:
            raw = pieces[self.i]
            token = self._process(raw, self.i + 1, False)
            self.i += 1
            if lstrip(raw).startswith("#"):
                continue  # a comment inside a continuation
            if lstrip(token) == "":
                continue  # an empty continuation line: BuildKit folds the next line in
            body, end_of_line = trim(token, self.escape)
            parts.append(body)
        return start_line, "".join(parts)

    def _heredocs(self, ins: Instruction, line: str, start_line: int) -> tuple[Heredoc, ...]:
        carrier = ins.sub if ins.sub is not None else ins
        if carrier.keyword.lower() not in HEREDOC_INSTRUCTIONS or carrier.json or "<<" not in line:
            return ()
        return tuple(Heredoc(name, self._heredoc_body(name, chomp, start_line), chomp, expand, fd)
                     for name, chomp, expand, fd in _heredoc_words(line, start_line))

    def _heredoc_body(self, name: str, chomp: bool, start_line: int) -> str:
        """The lines up to the terminator (each with its newline), which is consumed."""
        content: list[str] = []
        while self.i < self.n:
            raw = self.pieces[self.i] + ("\n" if _has_eol(self.i, self.n, self.text) else "")
            self.i += 1
            candidate = raw.rstrip("\r\n")
            if chomp:
                candidate = candidate.lstrip("\t")
            if candidate == name:
                return "".join(content)
            content.append(raw)
        raise DockerfileSyntaxError("unterminated heredoc", line=start_line)


def _has_eol(i: int, n: int, text: str) -> bool:
    # Every line but the last has its "\n"; the last has one only if the text ends so.
    return i < n - 1 or text.endswith("\n")


# What `_instruction` makes of a logical line, by (line, escape token). Files of one
# repository repeat lines (FROM, WORKDIR, the same pip install), and every transform's
# output is re-parsed with most of its lines as they were.
_LINES: Memo = Memo(100_000)


def _instruction_of(line: str, escape: str) -> Instruction:
    """`_instruction`, memoised: a new Instruction (its positions are the caller's to set)
    on the shared, immutable values."""
    key = (line, escape)
    hit = _LINES.get(key)
    if hit is None:
        ins = _instruction(line, escape)
        _LINES.put(key, (ins.keyword, ins.cmd, ins.flags, ins.value, ins.json, ins.args, ins.sub))
        return ins
    keyword, cmd, flags, value, is_json, args, sub = hit
    return Instruction(keyword, cmd, flags, value, is_json, args, line, (), 0, 0, 0, 0, sub)


def _instruction(line: str, escape: str) -> Instruction:
    """newNodeFromLine: split the command, parse its flags and arguments."""
    cmd, flags, rest = lexer.split_command(line, escape)
    low = cmd.lower()
    sub = None
    if low == "onbuild":
        if rest:
            sub = _instruction(rest, escape)
            value, is_json = sub.value, sub.json
        else:
            value, is_json = (), False
    elif low in DISPATCH:
        value, is_json = DISPATCH[low](rest, escape)
    else:
        value, is_json = ("",), False  # parseIgnore: BuildKit's parser keeps an empty node
    return Instruction(keyword=cmd.upper(), cmd=cmd, flags=tuple(flags), value=value,
                       json=is_json, args=rest, original=line, heredocs=(), start_line=0,
                       end_line=0, start=0, end=0, sub=sub)


def _heredoc_words(line: str, line_no: int) -> list[tuple[str, bool, bool, int]]:
    """heredocsFromLine + heredocFromMatch: the heredocs an instruction opens, in order."""
    try:
        words = lexer.ShellWords(raw_quotes=True, raw_escapes=True).words(line)
    except lexer.ShellLexError:
        return []  # BuildKit ignores lexing errors here: no heredocs
    out = []
    for word in words:
        m = _HEREDOC_WORD.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        try:
            plain = lexer.ShellWords(raw_quotes=False, raw_escapes=False).words(rest)
            if len(plain) != 1:
                continue
            quoted = lexer.ShellWords(raw_quotes=True, raw_escapes=False).words(rest)
        except lexer.ShellLexError as err:
            raise DockerfileSyntaxError(f"failed to process {rest!r}: {err}", line=line_no) from None
        if len(quoted) != len(plain):
            raise DockerfileSyntaxError(
                f"internal lexing of heredoc produced inconsistent results: {rest}", line=line_no)
        name = plain[0]
        expand = (name.count("'") + name.count('"')) == (quoted[0].count("'") + quoted[0].count('"'))
        fd = int(m.group(1)) if m.group(1) else 0
        out.append((name, m.group(2) == "-", expand, fd))
    return out


def unknown_instructions(doc: Document) -> list[Instruction]:
    """Instructions BuildKit's parser keeps but its instruction layer rejects."""
    return [ins for ins in doc.instructions
            if ins.keyword.lower() not in KNOWN_INSTRUCTIONS
            or (ins.sub is not None and ins.sub.keyword.lower() not in KNOWN_INSTRUCTIONS)]


def validate(doc: Document) -> None:
    """What `docker build` rejects before running anything: unknown instructions, and
    instructions other than ARG before the first FROM."""
    for ins in unknown_instructions(doc):
        bad = ins.sub.cmd if ins.sub is not None and ins.keyword == "ONBUILD" else ins.cmd
        raise DockerfileSyntaxError(f"unknown instruction: {bad}", path=doc.path, line=ins.start_line)
    for ins in doc.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword != "ARG":
            raise DockerfileSyntaxError(
                f"{ins.keyword} before the first FROM: no build stage in current context",
                path=doc.path, line=ins.start_line)
    for ins in doc.instructions:
        if ins.keyword == "FROM" and not ins.value:
            raise DockerfileSyntaxError("FROM requires an image", path=doc.path, line=ins.start_line)
