"""The one reader of shell scripts (RUN in shell form, heredoc bodies fed to a shell).

`read_script` parses with the POSIX grammar of `shell_syntax` (dash's reading: comments start
only where a word would, so `a  # web && b` is one command and `a#b` is one word) and walks the
tree once, in source order, with what is known at each point: the working directory (`cd` with
literal arguments), variables (assignments, `export`, `unset`, `read`), `set -e`. Every simple
command comes out with its words' values (None when unknown: command substitution, unknown
variable, a glob, field splitting), its directory and environment (None when unknown), and
whether it runs whenever the script succeeds (`Condition`). Tested against the real /bin/sh
(tests/model/test_shell_differential.py).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from dockfix.memo import Memo
from dockfix.model import activate as venv_activate
from dockfix.model import shell_syntax as syn
from dockfix.model.shell_syntax import OpaqueReason, RedirOp, Tree

__all__ = ["Command", "Condition", "Opaque", "OpaqueReason", "RedirOp", "Redirection",
           "Script", "Word", "read_script"]


class Condition(Enum):
    ALWAYS = "runs in every run of the script that exits 0"
    CONDITIONAL = "may not run (if/while/for/case body, after ||, after a && whose failure the script survives, ...)"


class Word(NamedTuple):
    """A NamedTuple, as the tree's nodes are: a large file has hundreds of thousands of words,
    and a frozen dataclass takes three times as long to make."""

    text: str  # as written
    value: str | None  # after expansion and quote removal; None when not known exactly
    start: int
    end: int


@dataclass(frozen=True)
class Assignment:
    name: str
    value: Word


@dataclass(frozen=True)
class Redirection:
    fd: int | None
    op: RedirOp
    target: Word  # the file, fd, or heredoc delimiter
    heredoc: Word | None  # the body, expanded when its delimiter is unquoted


@dataclass(frozen=True)
class Opaque:
    start: int
    end: int
    reason: OpaqueReason
    detail: str = ""


class Command(NamedTuple):
    """A NamedTuple like `Word` (a large file has a hundred thousand commands; a frozen dataclass
    of 13 fields takes several times as long to make). `node` is the command's own tree node:
    equal commands have equal nodes."""

    argv: tuple[Word, ...]
    assignments: tuple[Assignment, ...]  # `NAME=value` before the command name
    redirections: tuple[Redirection, ...]
    cwd: str | None  # absolute; None when unknown
    env: tuple[tuple[str, str | None], ...]  # exported variables the script knows of, by name
    condition: Condition
    checked: bool  # the script exits 0 only if this command ran and exited 0
    in_pipeline: bool  # one of several commands joined by `|`
    background: bool  # in a list ended by `&`
    subshell: bool  # in `( … )`, `$( … )`, a pipeline element or a background job
    start: int
    end: int
    node: syn.SimpleCommand

    @property
    def name(self) -> str | None:
        return self.argv[0].value if self.argv else None

    @property
    def args(self) -> tuple[str | None, ...]:
        return tuple([w.value for w in self.argv])


@dataclass(frozen=True)
class Script:
    text: str
    commands: tuple[Command, ...]  # every simple command, nested ones included, in source order
    opaque: tuple[Opaque, ...]  # what is not followed, with why
    comment_at_end: bool  # text appended to the script continues a comment (or cannot be told)
    and_list: tuple[tuple[int, int], ...] | None  # spans of `a && b && c`, when exactly that
    tree: Tree = field(repr=False, compare=False)
    # The words that choose what a `for` body runs with and which `case` arm runs, as the
    # shell expands them (`<?>` for a value not known), in source order: `for p in six attrs`.
    controls: tuple[str, ...] = ()


def read_script(script: str, *, workdir: str | None = "/", env: Mapping[str, str] | None = None,
                env_is_complete: bool = False, venvs: frozenset[str] = frozenset()) -> Script:
    """Read `script` as `/bin/sh -c script` would run it in `workdir` with `env`.

    Variables not in `env` are unknown unless `env_is_complete` (then they are unset).
    `venvs`: directories of virtual environments whose `bin/activate` is the one their tool
    wrote (`model.venv`): `. DIR/bin/activate` is read with its effect (`model.activate`);
    any other `.` is opaque. A pure function of its inputs: the same RUN line read again
    (across images, before and after a rewrite) is answered from a memo."""
    start = (workdir, tuple(sorted((env or {}).items())), env_is_complete)
    key = (script, start, venvs) if venvs else (script, start)
    found = _MEMO.get(key)
    if found is None:
        state = _STATES.get(start)
        if state is None:  # one state per RUN's directory and environment: its `_env` is read once
            state = _STATES.put(start, _initial_state(workdir, env or {}, env_is_complete))
        found = _MEMO.put(key, _read_uncached(script, state, venvs))
    return found


_MEMO = Memo(4096)
_STATES = Memo(4096)


class _Text(NamedTuple):
    tree: Tree
    reading: Script | None  # a reading that no directory or variable changes but in `cwd`/`env`


# By text: the syntax tree, and the reading when the script consults nothing of the state but
# to record each command's directory and environment (no `$X`, `cd`, `export`, …: most RUNs).
# A RUN read by a transform and then by the prover (other directories, other variables) is then
# parsed and walked once. Large enough for every RUN of a 40,000-RUN file (issue 15), which a
# transform reads before the prover does.
_TEXTS = Memo(65536)


def _read_uncached(script: str, state: _State, venvs: frozenset[str] = frozenset()) -> Script:
    known = _TEXTS.get(script)
    if known is not None and known.reading is not None:  # no `.` in it: `venvs` changes nothing
        return _relocated(known.reading, state)
    tree = known.tree if known is not None else syn.parse(script)  # \r is a word character
    reading, state_free = _walk(script, tree, state, venvs)
    _TEXTS.put(script, _Text(tree, reading if state_free else None))
    return reading


def _initial_state(workdir: str | None, env: Mapping[str, str], env_is_complete: bool) -> _State:
    cwd = posixpath.normpath(workdir) if workdir and workdir.startswith("/") else None
    return _State(cwd, {k: _Var(v, True) for k, v in env.items()}, False, env_is_complete)


def _walk(text: str, tree: Tree, state: _State, venvs: frozenset[str] = frozenset()) -> tuple[Script, bool]:
    """The reading of `tree` from `state`, and whether the state was consulted only to record
    each command's directory and environment (then `_relocated` gives the reading from any state)."""
    plain = _plain_reading(text, tree, state)
    return (plain, True) if plain is not None else _walk_tree(text, tree, state, venvs)


def _plain_commands(tree: Tree, text: str) -> list[tuple[syn.SimpleCommand, tuple[Word, ...]]] | None:
    """The commands of `a && b && c` (the common RUN), each with its argv, when each is an
    ordinary program with plain words only: no assignment, redirection, builtin that changes
    the state, or word any expansion changes. Else None."""
    if tree.rest is not None or tree.dialect or tree.heredocs or len(tree.body.items) != 1:
        return None
    item = tree.body.items[0]
    if item.background:
        return None
    # A text without `~ * ? [ {` has no word they expand in: one search for the whole script.
    expanding = _TILDE_GLOB_BRACE.search(text) is not None
    commands = []
    for op, pipeline in ((syn.Connector.AND, item.body.first), *item.body.rest):
        node = pipeline.commands[0]
        if (op is not syn.Connector.AND or pipeline.negated or len(pipeline.commands) != 1
                or type(node) is not syn.SimpleCommand):
            return None
        argv = _plain_argv(node, expanding)
        if argv is None:
            return None
        commands.append((node, argv))
    return commands


def _plain_argv(node: syn.SimpleCommand, expanding: bool = True) -> tuple[Word, ...] | None:
    """The argv of a command of plain words (one unquoted literal each) that starts a program,
    not a builtin that changes the state, with no assignment or redirection; else None.
    `expanding`: a word may hold a character that tilde, pathname or brace expansion reads."""
    if node.assignments or node.redirections or not node.words:
        return None
    new = tuple.__new__  # a NamedTuple's __new__ without its frame: a Word each
    argv = []
    for word in node.words:
        parts = word.parts
        if len(parts) != 1:
            return None
        part = parts[0]
        if type(part) is not syn.Literal or part.quoted or not part.value:
            return None
        argv.append(new(Word, (word.text, part.value, word.start, word.end)))
    if argv[0].value in _STATE_BUILTINS:
        return None
    # One search for every word: the blank joining them matches nothing.
    if expanding and _TILDE_GLOB_BRACE.search(" ".join([w.value for w in argv])):
        return None
    return tuple(argv)


def _plain_reading(text: str, tree: Tree, state: _State) -> Script | None:
    """`_walk_tree`'s reading of a plain `&&` list (`_plain_commands`), without the walk:
    every command runs in the initial state (no command changes it), whenever the script exits
    0, and its failure is the script's. None for any other tree (tests/model/test_shell.py
    compares the two readings on generated scripts and states)."""
    found = _plain_commands(tree, text)
    if found is None:
        return None
    cwd, env, new = state.cwd, _env(state, ()), tuple.__new__  # NamedTuples without their frame
    commands = tuple([new(Command, (argv, (), (), cwd, env, Condition.ALWAYS, True, False, False, False,
                                    node.start, node.end, node)) for node, argv in found])
    # `_and_list` without a second pass: each pipeline of a plain list is its one command.
    return Script(text, commands, (), _comment_at_end(text, tree), tuple([(n.start, n.end) for n, _ in found]), tree)


def _walk_tree(text: str, tree: Tree, state: _State, venvs: frozenset[str] = frozenset()) -> tuple[Script, bool]:
    """`_walk` by the tree walker (any tree)."""
    reader = _Reader(tree, state, venvs)
    reader.walk_list(tree.body, state, _Ctx(True, True, True))
    opaque = list(reader.opaque)
    opaque.extend(Opaque(o.start, o.end, o.reason, o.detail) for o in tree.dialect)
    if tree.rest is not None:
        opaque.append(Opaque(tree.rest.start, tree.rest.end, tree.rest.reason, tree.rest.detail))
    commands = sorted(reader.commands, key=lambda c: c.start)
    script = Script(text, tuple(commands), tuple(sorted(opaque, key=lambda o: o.start)),
                    _comment_at_end(text, tree), _and_list(tree), tree, tuple(reader.controls))
    return script, not reader.consulted


def _relocated(reading: Script, state: _State) -> Script:
    """A state-free reading as read from `state`: every command saw the initial state, so its
    directory is the initial one and its environment the initial one with its assignments."""
    plain_env, cwd, new = _env(state, ()), state.cwd, tuple.__new__  # Command(...) without its frame
    commands = tuple([new(Command, (
        c.argv, c.assignments, c.redirections, cwd,
        _env(state, c.assignments) if c.assignments else plain_env, c.condition, c.checked,
        c.in_pipeline, c.background, c.subshell, c.start, c.end, c.node)) for c in reading.commands])
    return Script(reading.text, commands, reading.opaque, reading.comment_at_end,
                  reading.and_list, reading.tree, reading.controls)


def _comment_at_end(text: str, tree: Tree) -> bool:
    """Would a word appended after a space be swallowed (by a comment, an open heredoc, a
    syntax error)?"""
    if tree.rest is not None or any(not h.terminated for h in tree.heredocs):
        return True
    last_line = text[text.rfind("\n") + 1:]
    if "#" not in last_line and not last_line.endswith("\\"):
        return False
    # Appending a word: does the shell read it as a word, or as part of a comment? After a
    # compound command (`fi`, `done`) only an operator may follow: `&& word` is asked too. A
    # comment swallows both; an unfinished word or heredoc reads neither.
    return not any(_reads_probe(text + tail) for tail in (" :dockfix-probe", " && :dockfix-probe"))


def _reads_probe(text: str) -> bool:
    probe = syn.parse(text)
    return probe.rest is None and any(
        w.text == ":dockfix-probe" for c in _simple_commands(probe.body) for w in c.words)


def _simple_commands(body: syn.CommandList):
    for item in body.items:
        for pipeline in (item.body.first, *(p for _, p in item.body.rest)):
            for node in pipeline.commands:
                if isinstance(node, syn.SimpleCommand):
                    yield node


def _and_list(tree: Tree) -> tuple[tuple[int, int], ...] | None:
    """The spans of a plain `a && b && c` list (one line or continued), else None."""
    body = tree.body
    if tree.rest is not None or tree.dialect or tree.heredocs or len(body.items) != 1:
        return None
    item = body.items[0]
    if item.background or any(op is not syn.Connector.AND for op, _ in item.body.rest):
        return None
    pipelines = (item.body.first, *(p for _, p in item.body.rest))
    if any(p.negated or len(p.commands) != 1 or not isinstance(p.commands[0], syn.SimpleCommand)
           for p in pipelines):
        return None
    return tuple((p.start, p.end) for p in pipelines)


# State ----------------------------------------------------------------------------------------

class _Var(NamedTuple):
    value: str | None  # "" when unset
    exported: bool | None
    unset: bool = False  # `export X` of an unset X marks it, yet puts nothing in the environment


_UNKNOWN = _Var(None, None)


class _State(NamedTuple):
    cwd: str | None
    vars: dict[str, _Var]  # never mutated: copied on change
    errexit: bool | None
    complete: bool  # a variable not in `vars` is unset (else unknown)

    def lookup(self, name: str) -> str | None:
        var = self.vars.get(name)
        if var is not None:
            return var.value
        return "" if self.complete else None

    def var(self, name: str) -> _Var:
        return self.vars.get(name, _Var("", False, True) if self.complete else _UNKNOWN)

    def set(self, name: str, var: _Var) -> _State:
        return self._replace(vars={**self.vars, name: var})

    def havoc(self) -> _State:
        """After code this reader cannot follow (eval, ., a function call, a computed name)."""
        return _State(None, {k: _UNKNOWN for k in self.vars}, None, False)


def _join(*states: _State | None) -> _State | None:
    present = [s for s in states if s is not None]
    if not present:
        return None
    out = present[0]
    for s in present[1:]:
        if s is out or s == out:
            continue
        names = out.vars.keys() | s.vars.keys()
        variables = {n: _join_var(out.vars.get(n), s.vars.get(n)) for n in names}
        out = _State(out.cwd if out.cwd == s.cwd else None, variables,
                     out.errexit if out.errexit == s.errexit else None, out.complete and s.complete)
    return out


def _join_var(a: _Var | None, b: _Var | None) -> _Var:
    if a is None or b is None:
        return _UNKNOWN
    if a.unset != b.unset:
        return _Var(None, None)
    return _Var(a.value if a.value == b.value else None,
                a.exported if a.exported == b.exported else None, a.unset)


class _Outcome(NamedTuple):
    ok: _State | None  # after success
    fail_exit: _State | None  # after a failure that `set -e` exits on
    fail_cont: _State | None  # after a failure that `set -e` ignores

    @staticmethod
    def plain(state: _State) -> _Outcome:
        return _Outcome(state, state, None)

    def failed(self) -> _State | None:
        return _join(self.fail_exit, self.fail_cont)

    def any(self) -> _State | None:
        return _join(self.ok, self.fail_exit, self.fail_cont)


class _Ctx(NamedTuple):
    reached: bool  # runs in every run that exits 0 (given the enclosing node runs)
    required: bool  # the script exits 0 only if this node succeeds
    honored: bool  # `set -e` acts on this node's failure
    record: bool = True
    in_pipeline: bool = False
    background: bool = False
    subshell: bool = False

    def inner(self, reached: bool, required: bool, honored: bool) -> _Ctx:
        return self._replace(reached=reached, required=required, honored=honored)

    def quiet(self) -> _Ctx:
        return self._replace(record=False)


_SPECIAL_BUILTINS = frozenset({":", ".", "break", "continue", "eval", "exec", "exit", "export",
                               "readonly", "return", "set", "shift", "times", "trap", "unset"})
_IFS_OR_GLOB = re.compile(r"[ \t\n*?\[]")
# Names `builtin` acts on; any other known name is a program that leaves the state as it is.
_STATE_BUILTINS = frozenset({"cd", "exit", "exec", "export", "readonly", "unset", "read", "getopts",
                             "set", ".", "eval", "source"})
# A plain word without these is its own value: no tilde, pathname or brace expansion applies.
_TILDE_GLOB_BRACE = re.compile(r"[~*?\[{]")


# Walker ---------------------------------------------------------------------------------------

def _shown(words: list[Word], sep: str = " ") -> str:
    """Words as the shell expands them, `<?>` and the text for a value not known."""
    return sep.join(w.value if w.value is not None else f"<?>{w.text}" for w in words)


class _Reader:
    def __init__(self, tree: Tree, initial: _State, venvs: frozenset[str] = frozenset()) -> None:
        self.tree = tree
        self.initial = initial
        self.venvs = venvs
        # The state was read other than for a command's directory and environment: a command
        # saw another state than the initial one, a word's value read a variable, or the script
        # changed the state (an assignment, `cd`, `export`, `set`, …). A change can leave a state
        # equal to the initial one from this state only (`ok || cd ..` from `/`, `cd d` from an
        # unknown directory), and a command after the join would count as one that saw the
        # initial state (tests/model/test_shell_differential.py found both).
        self.consulted = False
        self.commands: list[Command] = []
        self.opaque: list[Opaque] = []
        self.controls: list[str] = []
        self.functions: set[str] = set()
        self.last_env: tuple[object, tuple[tuple[str, str | None], ...]] = (None, ())

    def walk_list(self, body: syn.CommandList, state: _State, ctx: _Ctx) -> _Outcome:
        out = _Outcome(state, None, None)
        cur, reached = state, ctx.reached
        for i, item in enumerate(body.items):
            last = i == len(body.items) - 1
            if cur is None:  # after `exit`: nothing below runs
                cur, reached = state.havoc(), False
            if item.background:
                bg = ctx._replace(background=True, subshell=True)
                self.walk_and_or(item.body, cur, bg.inner(reached, False, False))
                out = _Outcome(cur, None, None)
            else:
                required = reached and last and ctx.required
                out = self.walk_and_or(item.body, cur, ctx.inner(reached, required, ctx.honored))
            if not last:
                exits = out.fail_exit is not None and out.fail_exit.errexit is True and ctx.honored
                cur = _join(out.ok, out.fail_cont, None if exits else out.fail_exit)
        return out

    def walk_and_or(self, node: syn.AndOr, state: _State, ctx: _Ctx) -> _Outcome:
        pipelines = (node.first, *(p for _, p in node.rest))
        ctxs = _and_or_contexts(node, ctx)
        out = self.walk_pipeline(pipelines[0], state, ctxs[0])
        for (op, pipeline), pctx in zip(node.rest, ctxs[1:]):
            start = out.ok if op is syn.Connector.AND else out.failed()
            if start is None:
                start, pctx = state.havoc(), pctx._replace(reached=False)
            nxt = self.walk_pipeline(pipeline, start, pctx)
            if op is syn.Connector.AND:
                out = _Outcome(nxt.ok, nxt.fail_exit, _join(out.failed(), nxt.fail_cont))
            else:
                out = _Outcome(_join(out.ok, nxt.ok), nxt.fail_exit, nxt.fail_cont)
        return out

    def walk_pipeline(self, node: syn.Pipeline, state: _State, ctx: _Ctx) -> _Outcome:
        if node.negated:
            ctx = ctx.inner(ctx.reached, False, False)
        if len(node.commands) == 1:
            out = self.walk_node(node.commands[0], state, ctx)
        else:
            piped = ctx._replace(in_pipeline=True, subshell=True)
            for i, command in enumerate(node.commands):
                last = i == len(node.commands) - 1
                self.walk_node(command, state, piped.inner(
                    ctx.reached, ctx.required and last, ctx.honored and last))
            out = _Outcome.plain(state)
        if node.negated:
            return _Outcome(out.failed(), None, out.ok)
        return out

    def walk_node(self, node: syn.Node, state: _State, ctx: _Ctx) -> _Outcome:
        if isinstance(node, syn.SimpleCommand):
            return self.simple(node, state, ctx)
        self.redirections(getattr(node, "redirections", ()), state, ctx)
        if isinstance(node, syn.Subshell):
            self.walk_list(node.body, state, ctx._replace(subshell=True))
            return _Outcome.plain(state)
        if isinstance(node, syn.Group):
            return self.walk_list(node.body, state, ctx)
        if isinstance(node, syn.If):
            return self.walk_if(node, state, ctx)
        if isinstance(node, (syn.Loop, syn.For)):
            return self.walk_loop(node, state, ctx)
        if isinstance(node, syn.Case):
            return self.walk_case(node, state, ctx)
        return self.walk_function(node, state, ctx)

    def walk_if(self, node: syn.If, state: _State, ctx: _Ctx) -> _Outcome:
        oks, fails_exit, fails_cont = [], [], []
        cur: _State | None = state
        for i, (condition, body) in enumerate(node.clauses):
            if cur is None:
                break
            c = self.walk_list(condition, cur, ctx.inner(ctx.reached and i == 0, False, False))
            if c.ok is not None:
                b = self.walk_list(body, c.ok, ctx.inner(False, False, ctx.honored))
                oks.append(b.ok), fails_exit.append(b.fail_exit), fails_cont.append(b.fail_cont)
            cur = c.failed()
        if node.else_body is not None and cur is not None:
            b = self.walk_list(node.else_body, cur, ctx.inner(False, False, ctx.honored))
            oks.append(b.ok), fails_exit.append(b.fail_exit), fails_cont.append(b.fail_cont)
        else:
            oks.append(cur)
        return _Outcome(_join(*oks), _join(*fails_exit), _join(*fails_cont))

    def walk_loop(self, node: syn.Loop | syn.For, state: _State, ctx: _Ctx) -> _Outcome:
        if isinstance(node, syn.For):
            words = [self.word(word, state, ctx, assignment=False) for word in node.words or ()]
            if ctx.record:
                self.controls.append(f"for {node.name} in {_shown(words)}")
            state = state.set(node.name, _Var(None, state.var(node.name).exported))
        body_ctx = ctx.inner(False, False, ctx.honored)
        cur = state
        for _ in range(8):  # to a fixed point: what the body changes becomes unknown
            new = _join(cur, self._iteration(node, cur, body_ctx.quiet()).any())
            if new == cur:
                break
            cur = new  # type: ignore[assignment]
        else:
            cur = state.havoc()
        last = self._iteration(node, cur, body_ctx, first=ctx.reached)
        return _Outcome(cur, last.fail_exit, last.fail_cont)

    def _iteration(self, node: syn.Loop | syn.For, state: _State, ctx: _Ctx,
                   first: bool = False) -> _Outcome:
        if isinstance(node, syn.For):
            return self.walk_list(node.body, state, ctx)
        c = self.walk_list(node.condition, state, ctx.inner(first, False, False))
        start = c.failed() if node.until else c.ok
        body = self.walk_list(node.body, start, ctx) if start is not None else _Outcome(None, None, None)
        return _Outcome(_join(c.ok, c.failed(), body.ok), body.fail_exit, body.fail_cont)

    def walk_case(self, node: syn.Case, state: _State, ctx: _Ctx) -> _Outcome:
        subject = self.word(node.word, state, ctx, assignment=False)
        outs = [_Outcome(state, None, None)]
        arm_ctx = ctx.inner(False, False, ctx.honored)
        arms = []
        for arm in node.arms:
            arms.append(_shown([self.word(pattern, state, arm_ctx, assignment=False) for pattern in arm.patterns], "|"))
            outs.append(self.walk_list(arm.body, state, arm_ctx))
        if ctx.record:
            self.controls.append(f"case {_shown([subject])} in {' '.join(a + ')' for a in arms)}")
        return _Outcome(_join(*(o.ok for o in outs)), _join(*(o.fail_exit for o in outs)),
                        _join(*(o.fail_cont for o in outs)))

    def walk_function(self, node: syn.FunctionDef, state: _State, ctx: _Ctx) -> _Outcome:
        self.functions.add(node.name)
        if ctx.record:
            self.opaque.append(Opaque(node.start, node.end, OpaqueReason.FUNCTION, node.name))
        self.walk_node(node.body, state.havoc(), ctx.inner(False, False, False))
        return _Outcome(state, None, None)

    # Words ------------------------------------------------------------------------------------

    def word(self, word: syn.Word, state: _State, ctx: _Ctx, assignment: bool) -> Word:
        for part in word.parts:
            if type(part) is syn.CommandSubstitution:
                sub = ctx._replace(subshell=True, in_pipeline=False)
                self.walk_list(part.body, state, sub.inner(ctx.reached, False, False))
            elif type(part) is syn.Parameter:
                self.consulted = True
        return Word(word.text, _value(word, state, assignment), word.start, word.end)

    def redirections(self, redirs: tuple[syn.Redirection, ...], state: _State,
                     ctx: _Ctx) -> tuple[Redirection, ...]:
        out = []
        for r in redirs:
            body = None
            if r.heredoc is not None:
                doc = self.tree.heredocs[r.heredoc]
                body = self.word(doc.body, state, ctx, assignment=True)
                target = Word(r.target.text, doc.delimiter, r.target.start, r.target.end)
            else:
                target = self.word(r.target, state, ctx, assignment=False)
            out.append(Redirection(r.fd, r.op, target, body))
        return tuple(out)

    # Simple commands --------------------------------------------------------------------------

    def simple(self, node: syn.SimpleCommand, state: _State, ctx: _Ctx) -> _Outcome:
        if state is not self.initial:
            self.consulted = True
        assignments = tuple([Assignment(a.name, self.word(a.value, state, ctx, assignment=True))
                             for a in node.assignments])
        argv = tuple([self.word(w, state, ctx, False) for w in node.words])
        if "IFS" not in state.vars and None in [w.value for w in argv]:
            argv = _split_fields(node.words, argv, state)
        redirs = self.redirections(node.redirections, state, ctx) if node.redirections else ()
        if ctx.record:
            self.commands.append(Command(
                argv, assignments, redirs, state.cwd, self.env(state, assignments),
                Condition.ALWAYS if ctx.reached else Condition.CONDITIONAL,
                # `set -e` exits on its failure, or the script's status is its status
                ctx.required or (ctx.reached and ctx.honored and state.errexit is True),
                ctx.in_pipeline, ctx.background, ctx.subshell, node.start, node.end, node))
        if not argv:
            self.consulted = True  # assignments change the state (see `consulted`)
            return _Outcome.plain(_assign(state, assignments))
        name = argv[0].value
        if name in _SPECIAL_BUILTINS:  # their prefix assignments stay (POSIX, dash)
            state = _assign(state, assignments)
        return self.builtin(name, argv, state, ctx, node)

    def env(self, state: _State, assignments: tuple[Assignment, ...]) -> tuple[tuple[str, str | None], ...]:
        """`_env`; without assignments, once per state (its variables are never mutated)."""
        if assignments:
            return _env(state, assignments)
        if self.last_env[0] is not state.vars:
            self.last_env = (state.vars, _env(state, ()))
        return self.last_env[1]

    def builtin(self, name: str | None, argv: tuple[Word, ...], state: _State, ctx: _Ctx,
                node: syn.SimpleCommand) -> _Outcome:
        if name is not None and name not in _STATE_BUILTINS and name not in self.functions:
            return _Outcome.plain(state)  # an ordinary program: the state stays
        self.consulted = True  # a builtin that changes the state (see `consulted`)
        args = [w.value for w in argv[1:]]
        if name == "cd":
            return _Outcome(state._replace(cwd=_cd(state, args)), state, None)
        if name == "exit" or (name == "exec" and args):
            return _Outcome(None, None, None)
        if name in ("export", "readonly", "unset", "read", "getopts", "set"):
            return _Outcome.plain(_VARIABLE_BUILTINS[name](state, args))
        if name is None or name in (".", "eval", "source") or name in self.functions:
            activated = self.activate(name, argv, state, node)
            if activated is not None:
                return activated
            if ctx.record:
                self.opaque.append(Opaque(node.start, node.end, OpaqueReason.DYNAMIC,
                                          argv[0].text))
            return _Outcome.plain(state.havoc())
        return _Outcome.plain(state)

    def activate(self, name: str | None, argv: tuple[Word, ...], state: _State,
                 node: syn.SimpleCommand) -> _Outcome | None:
        """`. DIR/bin/activate` of a venv in `venvs`, with a path (dash searches PATH for a
        bare name) and nothing else on the line: its effect; None for anything else."""
        if name != ".":
            return None
        self.consulted = True  # a reading with `venvs` may differ: never moved to another state
        target = argv[1].value if len(argv) == 2 and self.venvs else None
        if target is None or "/" not in target or node.redirections or node.assignments:
            return None
        if not target.startswith("/"):
            if state.cwd is None:
                return None
            target = posixpath.join(state.cwd, target)
        path = posixpath.normpath(target)
        venv = path[:-len("/bin/activate")] if path.endswith("/bin/activate") else None
        if venv not in self.venvs:
            return None
        self.functions.update(venv_activate.FUNCTIONS)
        effect = venv_activate.activation(venv, state.vars, state.complete)
        new = state._replace(vars={**state.vars, **{k: _Var(*v) for k, v in effect.items()}})
        # The script ends with a command that succeeds; a missing file makes dash exit.
        return _Outcome(new, None, None)


def _and_or_contexts(node: syn.AndOr, ctx: _Ctx) -> list[_Ctx]:
    """(reached, required, honored) of each pipeline of `p1 op p2 op p3` (left-associative)."""
    out: list[_Ctx] = []
    reached, required = ctx.reached, ctx.required
    for i in range(len(node.rest), 0, -1):  # from the right: X_i = X_{i-1} op_i p_i
        op = node.rest[i - 1][0]
        honored = ctx.honored and i == len(node.rest)
        if op is syn.Connector.AND:
            out.append(ctx.inner(reached and required, required, honored))
        else:
            out.append(ctx.inner(False, False, honored))
            required = False
    out.append(ctx.inner(reached, required, ctx.honored and not node.rest))
    return out[::-1]


def _value(word: syn.Word, state: _State, assignment: bool) -> str | None:
    """The word's single field, or None when it is not known exactly (or not one field)."""
    if len(word.parts) == 1 and _plain_literal(word.parts[0]):  # the common word: `install`, `a==1`
        value = word.parts[0].value
        return value if value or assignment else None
    return _expanded_value(word, state, assignment)


def _split_fields(words: tuple[syn.Word, ...], argv: tuple[Word, ...], state: _State) -> tuple[Word, ...]:
    """An unquoted `$NAME` whose known value holds blanks (`deps="curl make"; apk add $deps`)
    is the fields the shell splits it into with the default IFS (space, tab, newline: IFS set
    by the script or the environment keeps it unknown), each a Word of the word's text and
    span. A word of no field, or a field a pathname expansion may change, stays unknown."""
    out: list[Word] = []
    for syntax, word in zip(words, argv):
        fields = _fields(syntax, state) if word.value is None else None
        if fields is None:
            out.append(word)
        else:
            out.extend(Word(word.text, f, word.start, word.end) for f in fields)
    return tuple(out)


def _fields(word: syn.Word, state: _State) -> list[str] | None:
    part = word.parts[0] if len(word.parts) == 1 else None
    if type(part) is not syn.Parameter or part.quoted or part.name == "PWD" or not _NAME.fullmatch(part.name):
        return None
    value = state.lookup(part.name)
    if value is None or _GLOB_CHARS.search(value):
        return None
    fields = _IFS_BLANKS.split(value.strip(" \t\n"))
    return None if fields == [""] else fields


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLOB_CHARS = re.compile(r"[*?\[]")
_IFS_BLANKS = re.compile(r"[ \t\n]+")


def _plain_literal(part: syn.Part) -> bool:
    """An unquoted literal that no tilde, pathname or brace expansion changes."""
    return type(part) is syn.Literal and not part.quoted and not _TILDE_GLOB_BRACE.search(part.value)


def _expanded_value(word: syn.Word, state: _State, assignment: bool) -> str | None:
    pieces: list[str] = []
    unquoted: list[str] = []
    quoted_any = False
    for part in word.parts:
        piece = _part_value(part, state, assignment)
        if piece is None:
            return None
        pieces.append(piece)
        quoted_any |= part.quoted
        if isinstance(part, syn.Literal) and not part.quoted:
            unquoted.append(part.value)
    if _tilde(word, unquoted, assignment) or (not assignment and _globs(word.text, unquoted)):
        return None
    value = "".join(pieces)
    if not value and not quoted_any and not assignment:
        return None  # an unquoted empty expansion: no field at all
    return value


def _part_value(part: syn.Part, state: _State, assignment: bool) -> str | None:
    if isinstance(part, syn.Literal):
        return part.value
    if not isinstance(part, syn.Parameter):
        return None  # command substitution, arithmetic, `${X:-y}`, `$?`
    value = _pwd(state) if part.name == "PWD" else state.lookup(part.name)
    if value is None or part.quoted or assignment:
        return value
    # Unquoted: field splitting and pathname expansion apply to the value.
    if "IFS" in state.vars or _IFS_OR_GLOB.search(value):
        return None
    return value


def _pwd(state: _State) -> str | None:
    """dash sets PWD at start-up to the working directory and `cd` updates it, so `$PWD` is the
    directory the reader follows. A PWD the environment or the script set is not taken: dash
    replaces an inherited PWD that does not name the directory, and `cd` overwrites an assigned one."""
    return state.cwd if "PWD" not in state.vars else None


def _tilde(word: syn.Word, unquoted: list[str], assignment: bool) -> bool:
    """`~` expands to a home directory (at the start; in assignments also after `:`)."""
    first = word.parts[0] if word.parts else None
    if isinstance(first, syn.Literal) and not first.quoted and first.value.startswith("~"):
        return True
    return assignment and any("~" in u for u in unquoted)


def _globs(text: str, unquoted: list[str]) -> bool:
    """Pathname expansion (depends on files) or bash brace expansion may apply."""
    joined = "".join(unquoted)
    if "*" in joined or "?" in joined:
        return True
    if "[" in joined and "]" in text[text.index("[") + 1:] if "[" in text else False:
        return True
    return "{" in joined and "," in text and "}" in text


def _env(state: _State, assignments: tuple[Assignment, ...]) -> tuple[tuple[str, str | None], ...]:
    if not assignments:
        known = _EXPORTED.get(id(state.vars))
        if known is not None and known[0] is state.vars:  # the very dict (an id may be reused)
            return known[1]
        found = _exported(state, ())
        _EXPORTED.put(id(state.vars), (state.vars, found))
        return found
    return _exported(state, assignments)


# By the variables' dict (never mutated: a change copies it): the environment of every
# command of a script that sets nothing, and of every RUN read in the same state.
_EXPORTED = Memo(4096)


def _exported(state: _State, assignments: tuple[Assignment, ...]) -> tuple[tuple[str, str | None], ...]:
    env = {n: (v.value if v.exported else None) for n, v in state.vars.items()
           if v.exported is not False and not v.unset}
    for a in assignments:
        env[a.name] = a.value.value
    return tuple(sorted(env.items()))


def _assign(state: _State, assignments: tuple[Assignment, ...]) -> _State:
    for a in assignments:
        state = state.set(a.name, _Var(a.value.value, state.var(a.name).exported))
    return state


def _cd(state: _State, args: list[str | None]) -> str | None:
    if len(args) != 1 or args[0] is None or not args[0] or args[0].startswith("-"):
        return None
    target = args[0]
    relative = not target.startswith(("/", "./", "../")) and target not in (".", "..")
    # CDPATH may send a relative cd elsewhere. It is taken as unset unless `env` or the script
    # sets it: no official base image sets it, and the Dockerfile's ENV reaches `env`.
    if relative and state.vars.get("CDPATH", _Var("", False)).value != "":
        return None
    if target.startswith("/"):
        return posixpath.normpath(target)
    if state.cwd is None:
        return None
    return posixpath.normpath(posixpath.join(state.cwd, target))


_NAME_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?", re.S)


def _export(state: _State, args: list[str | None]) -> _State:
    for arg in args:
        m = _NAME_VALUE.fullmatch(arg) if arg is not None else None
        if arg == "-p":
            continue
        if m is None:
            return state.havoc()
        if m.group(2) is not None:
            state = state.set(m.group(1), _Var(m.group(2), True))
        else:
            old = state.var(m.group(1))
            state = state.set(m.group(1), _Var(old.value, True, old.unset))
    return state


def _readonly(state: _State, args: list[str | None]) -> _State:
    for arg in args:
        m = _NAME_VALUE.fullmatch(arg) if arg is not None else None
        if m is None:
            return state.havoc()
        if m.group(2) is not None:
            state = state.set(m.group(1), _Var(m.group(2), state.var(m.group(1)).exported))
    return state


def _unset(state: _State, args: list[str | None]) -> _State:
    if "-f" in args:
        return state
    for arg in args:
        if arg is None:
            return state.havoc()
        if arg != "-v":
            state = state.set(arg, _Var("", False, True))
    return state


def _read(state: _State, args: list[str | None]) -> _State:
    for arg in args:
        if arg is None:
            return state.havoc()
        if not arg.startswith("-"):
            state = state.set(arg, _Var(None, state.var(arg).exported))
    return state


def _set(state: _State, args: list[str | None]) -> _State:
    errexit = state.errexit
    for i, arg in enumerate(args):
        if arg is None:
            return state._replace(errexit=None)
        if arg in ("-o", "+o") and i + 1 < len(args):
            if args[i + 1] == "errexit":
                errexit = arg == "-o"
            elif args[i + 1] is None:
                errexit = None
        elif arg.startswith(("-", "+")) and arg not in ("-", "--", "-o", "+o") and "e" in arg:
            errexit = arg.startswith("-")
        elif arg in ("--", "-") or not arg.startswith(("-", "+")):
            break  # positional parameters from here on
    return state._replace(errexit=errexit)


_VARIABLE_BUILTINS = {"export": _export, "readonly": _readonly, "unset": _unset,
                      "read": _read, "getopts": lambda s, a: _read(s, a[1:2]), "set": _set}
