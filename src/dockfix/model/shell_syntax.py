"""POSIX shell syntax (as dash reads it): a lexer and a recursive-descent parser that give a
tree of frozen nodes with source spans (the node types are in `shell_tree`). `dockfix.model.shell` reads the tree; the differential
test runs the same scripts under the real /bin/sh.

What this grammar does not read exactly becomes explicit: a syntax error turns the rest of the
script into an `Opaque` node (dash runs the complete commands before it, then stops), and
syntax of other shells (bash's `$'…'`, `&>`, `[[`, brace expansion …) is reported by reason so a
reader knows the script means something else under another /bin/sh.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple


from dockfix.model.shell_tree import (  # noqa: F401  (re-exported: the tree's node types)
    OpaqueReason, Literal, Parameter, CommandSubstitution, Unreadable, Word, RedirOp, HereDoc,
    Redirection, Assignment, SimpleCommand, Pipeline, Connector, AndOr, Item, CommandList,
    Subshell, Group, If, Loop, For, CaseArm, Case, FunctionDef, Opaque, Tree, ParseError, Part,
    Node,
)


# Lexer --------------------------------------------------------------------------------------

_META = frozenset(" \t\n;&|<>()")
_PLAIN = re.compile(r"[^ \t\n;&|<>()'\"\\$`]+")  # \r is a word character to dash
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")  # dash's is_name/isalnum, in the C locale
_DIGITS = re.compile(r"[0-9]+")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')
_HD_PLAIN = re.compile(r"[^\\$`]+")
_SPECIAL_PARAM = frozenset("@*#?-$!0123456789")
_REDIRS = {op.value: op for op in RedirOp}
_OPERATOR = re.compile(r"<<-|&&|\|\||;;|<<|>>|<&|>&|<>|>\||[&|;<>()]")
_OPERATOR_START = frozenset("&|;<>()")
_BLANKS = re.compile(r"[ \t]+")


class TokenKind(Enum):
    WORD = "word"
    OP = "operator"
    NEWLINE = "newline"
    IO_NUMBER = "fd number before a redirection"
    EOF = "end of input"


WORD, OP, NEWLINE, IO_NUMBER, EOF = TokenKind


class Token(NamedTuple):
    kind: TokenKind
    start: int
    end: int
    word: Word | None = None
    op: str = ""


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.pending: list[tuple[Word, bool, int]] = []  # heredoc delimiter, strip tabs, slot
        self.heredocs: list[HereDoc | None] = []
        self.dialect: list[Opaque] = []
        # While a heredoc delimiter is read, `$` and backquotes are plain characters, as in
        # dash (CHKEOFMARK): `<<$a` ends at a line `$a`, `<<$(x)` is a syntax error.
        self.eofmark = False

    # Line continuations (backslash-newline) vanish everywhere outside single quotes.
    def _skip_continuations(self) -> None:
        while self.text.startswith("\\\n", self.pos):
            self.pos += 2

    def next(self) -> Token:
        text = self.text
        while True:
            self._skip_continuations()
            if self.pos >= len(text):
                return Token(EOF, self.pos, self.pos)
            c = text[self.pos]
            blanks = _BLANKS.match(text, self.pos)
            if blanks:
                self.pos = blanks.end()
                continue
            if c == "#":  # a comment starts only where a token would start
                nl = text.find("\n", self.pos)
                self.pos = len(text) if nl < 0 else nl
                continue
            break
        if c == "\n":
            start = self.pos
            self.pos += 1
            self._read_heredocs()
            return Token(NEWLINE, start, self.pos)
        if c in _OPERATOR_START:
            op = self._operator_here()
            if op:
                return self._operator(*op)
        return self._word_token()

    def _operator_here(self) -> tuple[str, int] | None:
        """The operator at pos and where it ends: dash joins `>\\<newline>>` into `>>`."""
        text, i = self.text, self.pos
        chars: list[str] = []
        ends: list[int] = []
        while len(chars) < 3 and i < len(text):
            if text.startswith("\\\n", i):
                i += 2
                continue
            chars.append(text[i])
            i += 1
            ends.append(i)
        m = _OPERATOR.match("".join(chars))
        return (m.group(), ends[len(m.group()) - 1]) if m else None

    def _operator(self, op: str, end: int) -> Token:
        start = self.pos
        self.pos = end
        if op == "&" and self.text.startswith(">", self.pos):
            self._dialect(start, "`&>` redirects both outputs in bash; dash runs in background")
        if op == "|" and self.text.startswith("&", self.pos):
            self._dialect(start, "`|&` pipes stderr too in bash")
        if op in ("<", ">") and self.text.startswith("(", self.pos):
            self._dialect(start, "process substitution")
        return Token(OP, start, self.pos, op=op)

    def _dialect(self, pos: int, detail: str) -> None:
        self.dialect.append(Opaque(pos, pos + 1, OpaqueReason.DIALECT, detail))

    def _word_token(self) -> Token:
        start = self.pos
        parts = self._read_word()
        word = Word(self.text[start:self.pos], start, self.pos, tuple(parts))
        if word.text.isdigit() and self.pos < len(self.text) and self.text[self.pos] in "<>":
            return Token(IO_NUMBER, start, self.pos, word=word)
        if word.text.startswith(("[[", "((")) or ("{" in word.text and _brace_list(parts)):
            self._dialect(start, f"`{word.text}` means something else in bash")
        return Token(WORD, start, self.pos, word=word)

    def _read_word(self) -> list[Part]:
        parts: list[Part] = []
        text = self.text
        while True:
            self._skip_continuations()
            if self.pos >= len(text) or text[self.pos] in _META:
                return parts
            c = text[self.pos]
            m = _PLAIN.match(text, self.pos)
            if m:
                parts.append(Literal(m.group(), False))
                self.pos = m.end()
            elif c == "'":
                parts.append(self._single_quoted())
            elif c == '"':
                parts.extend(self._double_quoted())
            elif c == "\\":
                parts.append(Literal(text[self.pos + 1: self.pos + 2], True))
                self.pos += 2
            elif self.eofmark:
                parts.append(Literal(c, False))
                self.pos += 1
            else:  # $ or `
                parts.append(self._expansion(quoted=False))

    def _single_quoted(self) -> Literal:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise ParseError(self.pos, "unterminated quoted string")
        value = self.text[self.pos + 1: end]
        self.pos = end + 1
        return Literal(value, True)

    def _double_quoted(self) -> list[Part]:
        open_at = self.pos
        self.pos += 1
        parts: list[Part] = [Literal("", True)]  # `""` is a word of its own
        parts.extend(self._quoted_parts('"'))
        if self.pos >= len(self.text):
            raise ParseError(open_at, "unterminated quoted string")
        self.pos += 1
        return parts

    def _quoted_parts(self, terminator: str) -> list[Part]:
        """Inside double quotes (terminator `"`) or a heredoc body (terminator "")."""
        parts: list[Part] = []
        text = self.text
        plain = _DQ_PLAIN if terminator else _HD_PLAIN
        escapable = '$`"\\\n' if terminator else "$`\\\n"
        while self.pos < len(text):
            c = text[self.pos]
            if terminator and c == terminator:
                break
            m = plain.match(text, self.pos)
            if m:
                parts.append(Literal(m.group(), True))
                self.pos = m.end()
            elif c == "\\":
                nxt = text[self.pos + 1: self.pos + 2]
                if nxt == "\n":
                    pass  # continuation: nothing
                elif nxt in escapable and nxt:
                    parts.append(Literal(nxt, True))
                else:
                    parts.append(Literal("\\" + nxt, True))
                self.pos += 2
            elif self.eofmark:
                parts.append(Literal(c, True))
                self.pos += 1
            else:
                parts.append(self._expansion(quoted=True))
        return parts

    def _expansion(self, quoted: bool) -> Part:
        text = self.text
        start = self.pos
        if text[start] == "`":
            return self._backquote(quoted)
        nxt = text[start + 1: start + 2]
        if nxt == "(":
            if text.startswith("((", start + 1):
                return self._arithmetic(quoted)
            return self._command_substitution(quoted)
        if nxt == "{":
            return self._braced(quoted)
        if nxt == "'" and not quoted:
            self._dialect(start, "`$'…'` is ANSI-C quoting in bash and ash")
        m = _NAME.match(text, start + 1)
        if m:
            self.pos = m.end()
            return Parameter(m.group(), quoted)
        if nxt and nxt in _SPECIAL_PARAM:
            self.pos = start + 2
            return Unreadable(text[start:self.pos], quoted, OpaqueReason.PARAMETER_OPERATOR)
        self.pos = start + 1
        return Literal("$", quoted)

    def _braced(self, quoted: bool) -> Part:
        """`${…}`: nested expansions and quotes inside are read (dash parses them too)."""
        start = self.pos
        text = self.text
        self.pos = _substitution_head(text, start + 2)
        while self.pos < len(text) and text[self.pos] != "}":
            c = text[self.pos]
            if c == "\\":
                self.pos += 2
            elif c in "$`":
                self._expansion(quoted=True)
            elif c == "'" and not quoted:
                self._single_quoted()
            elif c == '"':
                self._double_quoted()
            else:
                self.pos += 1
        if self.pos >= len(text):
            raise ParseError(start, "missing '}'")
        self.pos += 1
        inner = text[start + 2: self.pos - 1]
        if _NAME.fullmatch(inner):
            return Parameter(inner, quoted)
        return Unreadable(text[start:self.pos], quoted, OpaqueReason.PARAMETER_OPERATOR)

    def _arithmetic(self, quoted: bool) -> Part:
        start = self.pos
        self.pos += 3
        depth, text = 0, self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\\":
                self.pos += 2
            elif c in "$`":
                self._expansion(quoted=True)  # dash reads expansions inside, as in "…"
            elif c == ")" and depth == 0:
                if not text.startswith("))", self.pos):
                    raise ParseError(start, "missing '))'")
                self.pos += 2
                return Unreadable(text[start:self.pos], quoted, OpaqueReason.ARITHMETIC)
            else:
                depth += {"(": 1, ")": -1}.get(c, 0)
                self.pos += 1
        raise ParseError(start, "missing '))'")

    def _command_substitution(self, quoted: bool) -> Part:
        start = self.pos
        self.pos += 2
        parser = Parser(self)
        body = parser.compound_list(frozenset(), stop_ops=frozenset({")"}))
        parser.expect_op(")")
        return CommandSubstitution(body, quoted, start)

    def _backquote(self, quoted: bool) -> Part:
        start = self.pos
        i = start + 1
        chars: list[str] = []
        while i < len(self.text) and self.text[i] != "`":
            if self.text[i] == "\\" and self.text[i + 1: i + 2] in ("\\", "`", "$"):
                i += 1
            chars.append(self.text[i])
            i += 1
        if i >= len(self.text):
            raise ParseError(start, "unterminated backquote")
        self.pos = i + 1
        # Parsed on its own, padded so that spans stay absolute (escapes inside shift them).
        inner = Lexer(" " * (start + 1) + "".join(chars))
        inner.pos = start + 1
        inner.heredocs, inner.dialect = self.heredocs, self.dialect  # one table per script
        body = Parser(inner).program_strict()
        return CommandSubstitution(body, quoted, start)

    # Heredocs: `<<WORD` is registered by the parser; the body follows the next newline.
    def register_heredoc(self, delimiter: Word, strip: bool) -> int:
        self.heredocs.append(None)
        self.pending.append((delimiter, strip, len(self.heredocs) - 1))
        return len(self.heredocs) - 1

    def _read_heredocs(self) -> None:
        pending, self.pending = self.pending, []
        for delimiter, strip, slot in pending:
            self.heredocs[slot] = self._heredoc_body(delimiter, strip)

    def _heredoc_body(self, delimiter: Word, strip: bool) -> HereDoc:
        name = "".join(p.value for p in delimiter.parts if isinstance(p, Literal))
        # The body is expanded unless some part of the delimiter is quoted (`a$` is unquoted).
        expand = not any(getattr(p, "quoted", False) for p in delimiter.parts)
        text, start = self.text, self.pos
        lines: list[str] = []
        terminated = False
        while self.pos < len(text):
            nl = text.find("\n", self.pos)
            end = len(text) if nl < 0 else nl + 1
            line = text[self.pos:end]
            self.pos = end
            bare = line.rstrip("\n").lstrip("\t") if strip else line.rstrip("\n")
            if bare == name:
                terminated = True
                break
            lines.append(line.lstrip("\t") if strip else line)
        body_end = self.pos if not terminated else self.pos - len(line)
        body_text = "".join(lines)
        if expand:  # read in place (padded so that spans stay absolute)
            sub = Lexer(" " * start + body_text)
            sub.pos = start
            parts = tuple(sub._quoted_parts(""))
        else:
            parts = (Literal(body_text, True),)
        return HereDoc(name, expand, Word(text[start:body_end], start, body_end, parts), terminated)


# Parser -------------------------------------------------------------------------------------

_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
                       "while", "until", "for", "{", "}", "!", "in"})


class Parser:
    def __init__(self, lexer: Lexer) -> None:
        self.lx = lexer
        self.tok: Token | None = None

    # tokens
    def peek(self) -> Token:
        if self.tok is None:
            self.tok = self.lx.next()
        return self.tok

    def take(self) -> Token:
        tok = self.peek()
        self.tok = None
        return tok

    def reserved(self) -> str | None:
        tok = self.peek()
        if tok.kind is WORD and tok.word is not None:
            plain = tok.word.plain
            if plain in _RESERVED:
                return plain
        return None

    def is_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind is OP and tok.op in ops

    def expect_op(self, op: str) -> Token:
        if not self.is_op(op):
            raise ParseError(self.peek().start, f"expected {op!r}")
        return self.take()

    def expect_word(self, word: str) -> Token:
        if self.reserved() != word:
            raise ParseError(self.peek().start, f"expected {word!r}")
        return self.take()

    def skip_newlines(self) -> None:
        while self.peek().kind is NEWLINE:
            self.take()

    # grammar
    def program_strict(self) -> CommandList:
        body = self.compound_list(frozenset(), frozenset())
        if self.peek().kind is not EOF:
            raise ParseError(self.peek().start, "unexpected token")
        return body

    def compound_list(self, stop_words: frozenset[str], stop_ops: frozenset[str]) -> CommandList:
        self.skip_newlines()
        start = self.peek().start
        items: list[Item] = []
        while not self._at_stop(stop_words, stop_ops):
            body = self.and_or()
            background = self.is_op("&")
            if self.is_op("&", ";"):
                self.take()
            elif self.peek().kind is not NEWLINE:
                items.append(Item(body, background, body.start, body.end))
                break
            items.append(Item(body, background, body.start, body.end))
            self.skip_newlines()
        end = items[-1].end if items else start
        return CommandList(tuple(items), start, end)

    def _at_stop(self, stop_words: frozenset[str], stop_ops: frozenset[str]) -> bool:
        tok = self.peek()
        if tok.kind is EOF:
            return True
        if tok.kind is OP:
            return tok.op in stop_ops or tok.op == ";;"
        return self.reserved() in stop_words

    def and_or(self) -> AndOr:
        first = self.pipeline()
        rest: list[tuple[Connector, Pipeline]] = []
        while self.is_op("&&", "||"):
            op = Connector(self.take().op)
            self.skip_newlines()
            rest.append((op, self.pipeline()))
        end = rest[-1][1].end if rest else first.end
        return AndOr(first, tuple(rest), first.start, end)

    def pipeline(self) -> Pipeline:
        start = self.peek().start
        negated = self.reserved() == "!"
        if negated:
            self.take()
        commands = [self.command()]
        while self.is_op("|"):
            self.take()
            self.skip_newlines()
            commands.append(self.command())
        return Pipeline(tuple(commands), negated, start, commands[-1].end)

    def command(self) -> Node:
        word = self.reserved()
        compound = {"{": self.group, "if": self.if_clause, "while": self.loop, "until": self.loop,
                    "for": self.for_clause, "case": self.case_clause}.get(word or "")
        if compound is not None:
            return compound()
        if word is not None:
            raise ParseError(self.peek().start, f"{word!r} unexpected")
        if self.is_op("("):
            return self.subshell()
        return self.simple_command()

    def redirections(self) -> tuple[Redirection, ...]:
        out = []
        while self.peek().kind is IO_NUMBER or self.is_op(*_REDIRS):
            out.append(self.redirection())
        return tuple(out)

    def redirection(self) -> Redirection:
        fd = None
        start = self.peek().start
        if self.peek().kind is IO_NUMBER:
            fd = int(self.take().word.text)  # type: ignore[union-attr]
        op = _REDIRS[self.take().op]
        self.lx.eofmark = op in (RedirOp.HEREDOC, RedirOp.HEREDOC_STRIP)
        try:
            tok = self.take()
        finally:
            self.lx.eofmark = False
        if tok.kind is not WORD or tok.word is None:
            raise ParseError(tok.start, "missing redirection target")
        heredoc = None
        if op in (RedirOp.HEREDOC, RedirOp.HEREDOC_STRIP):
            heredoc = self.lx.register_heredoc(tok.word, op is RedirOp.HEREDOC_STRIP)
        return Redirection(fd, op, tok.word, start, tok.end, heredoc)

    def simple_command(self) -> Node:
        start = self.peek().start
        assignments: list[Assignment] = []
        words: list[Word] = []
        redirs: list[Redirection] = []
        while True:
            tok = self.peek()
            if tok.kind is IO_NUMBER or (tok.kind is OP and tok.op in _REDIRS):
                redirs.append(self.redirection())
                continue
            if tok.kind is not WORD or tok.word is None:
                break
            self.take()
            assignment = None if words else _assignment(tok.word)
            if assignment is not None:
                assignments.append(assignment)
                continue
            words.append(tok.word)
            if len(words) == 1 and not assignments and self.is_op("("):
                return self.function_def(tok.word)
        return self._simple(start, assignments, words, redirs)

    def _simple(self, start: int, assignments: list[Assignment], words: list[Word],
                redirs: list[Redirection]) -> SimpleCommand:
        ends = [x.end for x in (*assignments, *words, *redirs)]
        if not ends:
            raise ParseError(self.peek().start, "command expected")
        return SimpleCommand(tuple(assignments), tuple(words), tuple(redirs), start, max(ends))

    def function_def(self, name: Word) -> FunctionDef:
        self.take()
        self.expect_op(")")
        self.skip_newlines()
        if name.plain is None or not _NAME.fullmatch(name.plain):
            raise ParseError(name.start, "bad function name")
        body = self.command()
        if isinstance(body, SimpleCommand):
            raise ParseError(body.start, "function body must be a compound command")
        return FunctionDef(name.plain, body, name.start, body.end)

    def subshell(self) -> Subshell:
        start = self.take().start
        body = self.compound_list(frozenset(), frozenset({")"}))
        end = self.expect_op(")").end
        if not body.items:
            raise ParseError(end, "empty subshell")
        return Subshell(body, self.redirections(), start, end)

    def group(self) -> Group:
        start = self.take().start
        body = self.compound_list(frozenset({"}"}), frozenset())
        end = self.expect_word("}").end
        if not body.items:
            raise ParseError(end, "empty group")
        return Group(body, self.redirections(), start, end)

    def _body(self, *stops: str) -> CommandList:
        body = self.compound_list(frozenset(stops), frozenset())
        if not body.items:
            raise ParseError(self.peek().start, "empty command list")
        return body

    def if_clause(self) -> If:
        start = self.take().start
        clauses = []
        while True:
            cond = self._body("then")
            self.expect_word("then")
            clauses.append((cond, self._body("elif", "else", "fi")))
            if self.reserved() != "elif":
                break
            self.take()
        else_body = None
        if self.reserved() == "else":
            self.take()
            else_body = self._body("fi")
        end = self.expect_word("fi").end
        return If(tuple(clauses), else_body, self.redirections(), start, end)

    def loop(self) -> Loop:
        tok = self.take()
        cond = self._body("do")
        self.expect_word("do")
        body = self._body("done")
        end = self.expect_word("done").end
        return Loop(tok.word.plain == "until", cond, body, self.redirections(), tok.start, end)  # type: ignore[union-attr]

    def for_clause(self) -> For:
        start = self.take().start
        tok = self.take()
        name = tok.word.plain if tok.word is not None else None
        if name is None or not _NAME.fullmatch(name):
            raise ParseError(tok.start, "bad for loop variable")
        self.skip_newlines()
        words: tuple[Word, ...] | None = None
        if self.reserved() == "in":
            self.take()
            collected = []
            while self.peek().kind is WORD:
                collected.append(self.take().word)
            words = tuple(w for w in collected if w is not None)
            if not (self.is_op(";") or self.peek().kind is NEWLINE):
                raise ParseError(self.peek().start, "expected ';' or newline")
            self.take()
        elif self.is_op(";"):
            self.take()
        self.skip_newlines()
        self.expect_word("do")
        body = self._body("done")
        end = self.expect_word("done").end
        return For(name, words, body, self.redirections(), start, end)

    def case_clause(self) -> Case:
        start = self.take().start
        tok = self.take()
        if tok.word is None:
            raise ParseError(tok.start, "expected a word after case")
        self.skip_newlines()
        self.expect_word("in")
        self.skip_newlines()
        arms = []
        while self.reserved() != "esac":
            arms.append(self.case_arm())
        end = self.expect_word("esac").end
        return Case(tok.word, tuple(arms), self.redirections(), start, end)

    def case_arm(self) -> CaseArm:
        if self.is_op("("):
            self.take()
        patterns = []
        while True:
            tok = self.take()
            if tok.kind is not WORD or tok.word is None:
                raise ParseError(tok.start, "expected a pattern")
            patterns.append(tok.word)
            if not self.is_op("|"):
                break
            self.take()
        self.expect_op(")")
        body = self.compound_list(frozenset({"esac"}), frozenset())
        if self.is_op(";;"):
            self.take()
            self.skip_newlines()
        elif self.reserved() != "esac":
            raise ParseError(self.peek().start, "expected ';;' or 'esac'")
        return CaseArm(tuple(patterns), body)


def _assignment(word: Word) -> Assignment | None:
    first = word.parts[0]
    if not isinstance(first, Literal) or first.quoted:
        return None
    m = _ASSIGNMENT.match(first.value)
    if m is None or not word.text.startswith(m.group()):
        return None
    rest_first = Literal(first.value[m.end():], False)
    parts = ((rest_first,) if rest_first.value else ()) + word.parts[1:]
    value = Word(word.text[m.end():], word.start + m.end(), word.end, parts)
    return Assignment(m.group(1), value, word.start, word.end)


def _substitution_head(text: str, pos: int) -> int:
    """Where the word of `${…}` starts, `pos` being just after `${`: dash's parsesub takes the
    name (or `#` and a name: the length), then one character, an operator's or one it drops
    (a bad substitution, reported when it runs). Neither is read as a quote or an expansion:
    `${''}` and `${x:''}` leave a quote open, `${'}` and `${x'}` do not."""
    if text.startswith("#", pos):
        after = text[pos + 1: pos + 2]
        if after and _NAME_CHAR.match(after):
            return _name_end(text, pos + 1)  # `${#name}`: what follows is the word's
        if after and after != "}" and text.startswith("}", pos + 2):
            return pos + 2  # `${#@}`, or a character dropped: `}` closes
        return _operator_end(text, pos + 1)  # the special parameter `#`
    c = text[pos: pos + 1]
    if c in ("", "}"):
        return pos
    if _NAME_CHAR.match(c):
        pos = _name_end(text, pos)
    elif c in _SPECIAL_PARAM:
        pos += 1
    else:
        return pos + 1  # dropped, and what follows is read as usual (no operator)
    return _operator_end(text, pos)


def _name_end(text: str, pos: int) -> int:
    m = _NAME.match(text, pos) or _DIGITS.match(text, pos)
    return m.end() if m else pos


def _operator_end(text: str, pos: int) -> int:
    """After the name: `}`, `:` and the next character (whatever it is), `%`/`#` (doubled or
    not), or one other character (`-`, `=`, `?`, `+`, or one dash drops)."""
    c = text[pos: pos + 1]
    if c in ("", "}"):
        return pos
    if c == ":":
        return min(pos + 2, len(text))
    if c in ("%", "#"):
        return pos + 2 if text.startswith(c, pos + 1) else pos + 1
    return pos + 1


def _brace_list(parts: list[Part]) -> bool:
    """Whether bash may brace-expand the word: an unquoted `{`, then an unquoted `,` or `..`
    (a list, a sequence), then an unquoted `}`. bash expands no brace inside quotes, after a
    backslash or in `${…}` (a parameter, a part of its own here): an awk program in quotes
    reads the same in dash (tests/model/test_shell_dialect.py runs both)."""
    unquoted = "".join(p.value if type(p) is Literal and not p.quoted else "\0" for p in parts)
    opening = unquoted.find("{")
    if opening < 0:
        return False
    inside = [at for at in (unquoted.find(",", opening + 1), unquoted.find("..", opening + 1)) if at >= 0]
    return bool(inside) and unquoted.find("}", min(inside) + 1) >= 0


def parse(text: str) -> Tree:
    """The script as dash reads it: complete commands up to the first syntax error."""
    plain = plain_and_list(text)
    return plain if plain is not None else parse_grammar(text)


def parse_grammar(text: str) -> Tree:
    """`parse` by the grammar alone (no shortcut for plain command lines)."""
    lexer = Lexer(text)
    parser = Parser(lexer)
    items: list[Item] = []
    rest: Opaque | None = None
    line_start = 0
    try:
        parser.skip_newlines()
        while parser.peek().kind is not EOF:
            line_start = parser.peek().start
            items.extend(_complete_command(parser))
            line_start = parser.tok.start if parser.tok is not None else lexer.pos
    except ParseError as err:
        rest = Opaque(line_start, len(text), OpaqueReason.SYNTAX_ERROR, f"{err} at {err.pos}")
    start = items[0].start if items else 0
    body = CommandList(tuple(items), start, items[-1].end if items else 0)
    # `cat <<E` with no line after: dash reads an empty body.
    end = Word("", len(text), len(text), (Literal("", True),))
    heredocs = tuple(h if h is not None else HereDoc("", False, end, False) for h in lexer.heredocs)
    return Tree(body, rest, heredocs, tuple(lexer.dialect))


# Plain words joined by `&&` (`pip install a==1 && pip install b`, the common RUN), with at most
# a comment at the end: the tokens found by one regex give the tree the parser gives (the tests
# compare the two on generated scripts). Anything else is the parser's: quotes, `$`, backslashes,
# other operators, newlines, a reserved word where a command starts, bash-only spellings. A line
# continuation after a blank (`a && \<newline>  b`, as merged RUNs are written) only separates
# words, as a blank does: dash removes it before it reads tokens.
_PLAIN_TOKEN = re.compile(rf"(&&)|({_PLAIN.pattern})|((?<=[ \t])\\\n)|[^ \t]")


# What `_blank_separated` leaves to the token loop: a character that is not a word's or a
# blank's there (a tab, a newline, a continuation, a comment, a brace or `[[` bash may read).
_NOT_BLANK_SEPARATED = re.compile(r"[\t\n;|<>()'\"\\$`#{]|\[\[")


def plain_and_list(text: str) -> Tree | None:
    """The tree of a script of plain words joined by `&&`, else None (`parse` reads it)."""
    if _NOT_BLANK_SEPARATED.search(text) is None:
        return _blank_separated(text)
    return _plain_tokens(text)


def _blank_separated(text: str) -> Tree | None:
    """`_plain_tokens` for a text of words and `&&` between spaces only (the common RUN line):
    one `str.split` finds the words, without a match object for each."""
    pipelines: list[Pipeline] = []
    command: list[Word] = []
    new = tuple.__new__
    pos = 0
    for piece in text.split(" "):
        if not piece:
            pos += 1
            continue
        end = pos + len(piece)
        if "&" in piece:
            if piece != "&&" or not command:
                return _plain_tokens(text)  # `a&&b`, `a &`: the token loop tells
            pipelines.append(_plain_pipeline(command))
            command = []
        elif not command and piece in _RESERVED:
            return None
        else:
            command.append(new(Word, (piece, pos, end, (new(Literal, (piece, False)),))))
        pos = end + 1
    if command:
        pipelines.append(_plain_pipeline(command))
    elif pipelines:
        return None  # ends in `&&`: a syntax error
    return _and_list_tree(pipelines)


def _plain_tokens(text: str) -> Tree | None:
    pipelines: list[Pipeline] = []
    command: list[Word] = []
    new = tuple.__new__  # what a NamedTuple's __new__ does, without its Python frame (a word each)
    bash_like = "[[" in text or "{" in text  # else only a reserved word can make a word not plain
    for m in _PLAIN_TOKEN.finditer(text):
        group = m.lastindex  # 1: `&&`, 2: a word, 3: a line continuation, None: anything else
        if group == 2:
            word = m.group()
            if word[0] == "#":
                if "\n" in text[m.start():]:
                    return None
                break
            if (word in _RESERVED and not command) or (bash_like and _bash_word(word)):
                return None
            start, end = m.span()
            command.append(new(Word, (word, start, end, (new(Literal, (word, False)),))))
        elif group == 3:
            continue
        elif group != 1 or not command:
            return None  # another operator or character, or `&&` without a command before
        else:
            pipelines.append(_plain_pipeline(command))
            command = []
    if command:
        pipelines.append(_plain_pipeline(command))
    elif pipelines:
        return None  # ends in `&&`: a syntax error
    return _and_list_tree(pipelines)


def _and_list_tree(pipelines: list[Pipeline]) -> Tree:
    if not pipelines:
        return Tree(CommandList((), 0, 0), None, (), ())
    rest = tuple((Connector.AND, p) for p in pipelines[1:])
    body = AndOr(pipelines[0], rest, pipelines[0].start, pipelines[-1].end)
    item = Item(body, False, body.start, body.end)
    return Tree(CommandList((item,), item.start, item.end), None, (), ())


def _bash_word(word: str) -> bool:
    """What `Lexer._word_token` may report as bash's (the lexer looks at the quoting too)."""
    return word.startswith(("[[", "((")) or ("{" in word and ("," in word or ".." in word))


def _plain_pipeline(tokens: list[Word]) -> Pipeline:
    assignments: list[Assignment] = []
    words: list[Word] = []
    for token in tokens:
        # A word without `=` is no assignment (the test that spares `_assignment`'s regex).
        assignment = None if words or "=" not in token.text else _assignment(token)
        if assignment is not None:
            assignments.append(assignment)
        else:
            words.append(token)
    start, end = tokens[0].start, tokens[-1].end
    return Pipeline((SimpleCommand(tuple(assignments), tuple(words), (), start, end),), False, start, end)


def _complete_command(parser: Parser) -> list[Item]:
    """One line's list (dash parses, then runs, one complete command at a time)."""
    items: list[Item] = []
    while True:
        body = parser.and_or()
        background = parser.is_op("&")
        items.append(Item(body, background, body.start, body.end))
        separated = parser.is_op("&", ";")
        if separated:
            parser.take()
        tok = parser.peek()
        if tok.kind in (NEWLINE, EOF):
            parser.skip_newlines()
            return items
        if not separated:
            raise ParseError(tok.start, f"{tok.op or tok.kind.value!r} unexpected")
