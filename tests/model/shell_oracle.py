"""Ground truth for dockfix.model.shell: stub programs that log what runs under the real
/bin/sh, and a small interpreter over OUR syntax tree that predicts that log.

The interpreter is deliberately naive (it follows the tree, knowing which stub fails); it is the
tree's structure and word parts it reads that the real shell checks. Where the model claims a
fact (a word's value, a directory, an exported variable, ALWAYS, checked), the prediction
checked against /bin/sh must agree.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import subprocess
from dataclasses import dataclass, field

from dockfix.model import shell_syntax as syn

STUBS = {"ok1": 0, "ok2": 0, "ok3": 0, "no1": 1, "no2": 1}
LOGGED_VARS = ("V1", "V2", "V3")
UNSET = "<unset>"
DIRS = ("d1", "d1/d2", "d3")

_STUB = """#!/bin/sh
r=$(printf '%s\\037' "${0##*/}" "$(pwd -P)" "${V1-<unset>}" "${V2-<unset>}" "${V3-<unset>}" "$@")
printf '%s\\036' "$r" >> "$DOCKFIX_LOG"
exit STATUS
"""


@dataclass(frozen=True)
class Entry:
    name: str
    cwd: str
    env: tuple[str, ...]  # LOGGED_VARS' values, UNSET when unset
    argv: tuple[str, ...]


class Sandbox:
    """A temp dir with stubs on PATH and directories to cd into."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        self.bin = os.path.join(self.root, "bin")
        self.work = os.path.join(self.root, "work")
        self.log = os.path.join(self.root, "log")
        os.makedirs(self.bin)
        for d in DIRS:
            os.makedirs(os.path.join(self.work, d))
        for name, status in STUBS.items():
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write(_STUB.replace("STATUS", str(status)))
            os.chmod(path, 0o755)
        self.env = {"PATH": f"{self.bin}:/usr/bin:/bin", "DOCKFIX_LOG": self.log,
                    "HOME": self.root, "V2": "pre set"}

    def run(self, script: str, shell: str = "/bin/sh", options: tuple[str, ...] = ()) -> tuple[int, list[Entry]]:
        """`shell [options] -c script`, and the stubs' log."""
        open(self.log, "w").close()
        proc = subprocess.run([shell, *options, "-c", script], cwd=self.work, env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        with open(self.log, encoding="utf-8", errors="surrogateescape") as f:
            records = [r for r in f.read().split("\x1e") if r]
        entries = []
        for r in records:
            fields = r.split("\x1f")[:-1]
            entries.append(Entry(fields[0], fields[1], tuple(fields[2:5]), tuple(fields[5:])))
        return proc.returncode, entries


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@dataclass
class _Shell:
    cwd: str
    vars: dict[str, str]
    exported: set[str]
    errexit: bool = False


@dataclass
class Run:
    """What the interpreter predicts: log entries (a pipeline's entries are one unordered
    group), the script's exit status, and each executed simple command's facts."""
    groups: list[list[Entry]] = field(default_factory=list)
    status: int = 0
    executed: list[Executed] = field(default_factory=list)


@dataclass(frozen=True)
class Executed:
    node: syn.SimpleCommand
    fields: tuple[tuple[str, ...], ...]  # each word's fields
    cwd: str
    env: dict[str, str]  # exported variables and prefix assignments
    status: int


class Interpreter:
    def __init__(self, tree: syn.Tree, sandbox: Sandbox, pipefail: bool = False, errexit: bool = False,
                 nounset: bool = False) -> None:
        self.tree = tree
        self.sb = sandbox
        self.run = Run()
        self._bag: list[Entry] | None = None
        # bash's `-o pipefail`: a pipeline's status is its last failing command's; `-e`: set -e;
        # `-u`: expanding an unset variable ends the shell (or the subshell) with a failure
        self.pipefail, self.errexit, self.nounset = pipefail, errexit, nounset

    def execute(self) -> Run:
        env = dict(self.sb.env)
        sh = _Shell(self.sb.work, env, set(env), self.errexit)
        try:
            self.run.status = self.list(self.tree.body, sh, honored=True)
            if self.tree.rest is not None:
                self.run.status = 2
        except _Exit as e:
            self.run.status = e.status
        return self.run

    # lists
    # `honored`: `set -e` acts here (dash: not EV_TESTED). As dash does, only a simple command,
    # a pipeline of several commands and a subshell exit on failure, not if/for/{ }/!.
    def list(self, body: syn.CommandList, sh: _Shell, honored: bool) -> int:
        status = 0
        for item in body.items:
            if item.background:
                raise AssertionError("the generator makes no background jobs")
            status = self.and_or(item.body, sh, honored)
        return status

    def _errexit(self, status: int, sh: _Shell, honored: bool) -> int:
        if status and sh.errexit and honored:
            raise _Exit(status)
        return status

    def and_or(self, node: syn.AndOr, sh: _Shell, honored: bool) -> int:
        rest = node.rest
        status = self.pipeline(node.first, sh, honored and not rest)
        for i, (op, p) in enumerate(rest):
            if (op is syn.Connector.AND) == (status == 0):
                status = self.pipeline(p, sh, honored and i == len(rest) - 1)
        return status

    def pipeline(self, node: syn.Pipeline, sh: _Shell, honored: bool) -> int:
        inner = honored and not node.negated
        if len(node.commands) == 1:
            status = self.command(node.commands[0], sh, inner)
        else:
            self._bag = []
            statuses = []
            for i, c in enumerate(node.commands):
                last = i == len(node.commands) - 1
                statuses.append(self.subshell(lambda s, c=c, t=last and inner: self.command(c, s, t), sh))
            # pipefail: the status of the last command that failed, 0 when none did
            status = next((s for s in reversed(statuses) if s), 0) if self.pipefail else statuses[-1]
            self.run.groups.append(self._bag)
            self._bag = None
            status = self._errexit(status, sh, inner)
        if node.negated:
            return 0 if status else 1
        return status

    def subshell(self, body, sh: _Shell) -> int:
        copy = _Shell(sh.cwd, dict(sh.vars), set(sh.exported), sh.errexit)
        try:
            return body(copy)
        except _Exit as e:
            return e.status

    def command(self, node: syn.Node, sh: _Shell, honored: bool) -> int:
        if isinstance(node, syn.SimpleCommand):
            return self._errexit(self.simple(node, sh), sh, honored)
        if isinstance(node, syn.Subshell):
            status = self.subshell(lambda s: self.list(node.body, s, honored), sh)
            return self._errexit(status, sh, honored)
        if isinstance(node, syn.Group):
            return self.list(node.body, sh, honored)
        if isinstance(node, syn.If):
            return self.if_(node, sh, honored)
        if isinstance(node, syn.Loop):
            return self.loop(node, sh, honored)
        if isinstance(node, syn.For):
            return self.for_(node, sh, honored)
        if isinstance(node, syn.Case):
            return self.case(node, sh, honored)
        raise AssertionError(f"not generated: {node}")

    def if_(self, node: syn.If, sh: _Shell, honored: bool) -> int:
        for cond, body in node.clauses:
            if self.list(cond, sh, honored=False) == 0:
                return self.list(body, sh, honored)
        return self.list(node.else_body, sh, honored) if node.else_body else 0

    def loop(self, node: syn.Loop, sh: _Shell, honored: bool) -> int:
        status = 0
        for _ in range(3):  # the generator's loops stop at once or after a bounded count
            if (self.list(node.condition, sh, honored=False) == 0) == node.until:
                return status
            status = self.list(node.body, sh, honored)
        raise AssertionError("loop does not stop")

    def for_(self, node: syn.For, sh: _Shell, honored: bool) -> int:
        values = [f for w in node.words or () for f in self.fields(w, sh)]
        status = 0
        for v in values:
            sh.vars[node.name] = v
            status = self.list(node.body, sh, honored)
        return status

    def case(self, node: syn.Case, sh: _Shell, honored: bool) -> int:
        value = "".join(self.fields(node.word, sh, split=False))
        for arm in node.arms:
            for pattern in arm.patterns:
                if fnmatch.fnmatchcase(value, "".join(self.fields(pattern, sh, split=False))):
                    return self.list(arm.body, sh, honored)
        return 0

    # words
    def fields(self, word: syn.Word, sh: _Shell, split: bool = True) -> list[str]:
        out: list[str] = []
        cur: str | None = None
        for part in word.parts:
            if isinstance(part, syn.Literal):
                cur = (cur or "") + part.value
                continue
            if isinstance(part, syn.Parameter):
                if self.nounset and part.name not in sh.vars:
                    raise _Exit(1)
                value = sh.vars.get(part.name, "")
            elif isinstance(part, syn.CommandSubstitution):
                body = part.body
                self.last_substitution = self.subshell(lambda s: self.list(body, s, True), sh)
                value = ""  # stubs print nothing
            else:
                raise AssertionError(f"not generated: {part}")
            if part.quoted or not split:
                cur = (cur or "") + value
            else:
                cur = _split_into(out, cur, value)
        if cur is not None:
            out.append(cur)
        return out

    def simple(self, node: syn.SimpleCommand, sh: _Shell) -> int:
        self.last_substitution = 0
        assigned = {a.name: "".join(self.fields(a.value, sh, split=False)) for a in node.assignments}
        word_fields = tuple(tuple(self.fields(w, sh)) for w in node.words)
        argv = tuple(f for fs in word_fields for f in fs)
        for r in node.redirections:  # after the words, as dash expands them
            if r.heredoc is None:
                self.fields(r.target, sh)
            elif self.tree.heredocs[r.heredoc].expand:
                self.fields(self.tree.heredocs[r.heredoc].body, sh, split=False)
        env = {k: v for k, v in sh.vars.items() if k in sh.exported} | assigned
        if not argv:
            self.run.executed.append(Executed(node, (), sh.cwd, env, self.last_substitution))
            sh.vars.update(assigned)
            return self.last_substitution
        cwd = sh.cwd
        status = self.builtin(argv, sh, assigned)
        self.run.executed.append(Executed(node, word_fields, cwd, env, status))
        return status

    def builtin(self, argv: tuple[str, ...], sh: _Shell, assigned: dict[str, str]) -> int:
        name, args = argv[0], argv[1:]
        if name in STUBS:
            env = {k: v for k, v in sh.vars.items() if k in sh.exported} | assigned
            entry = Entry(name, sh.cwd, tuple(env.get(v, UNSET) for v in LOGGED_VARS), args)
            (self._bag if self._bag is not None else self._single()).append(entry)
            return STUBS[name]
        if name == "cd":
            target = posixpath.normpath(posixpath.join(sh.cwd, args[0]))
            if not os.path.isdir(target):
                return 2
            sh.cwd = target
            return 0
        if name == "export":
            sh.vars.update(assigned)
            for a in args:
                n, eq, v = a.partition("=")
                if eq:
                    sh.vars[n] = v
                sh.exported.add(n)
            return 0
        if name == "unset":
            for a in args:
                sh.vars.pop(a, None)
                sh.exported.discard(a)
            return 0
        if name == "set":
            sh.errexit = {"-e": True, "+e": False}[args[0]]
            return 0
        if name == "exit":
            raise _Exit(int(args[0]))
        return {"true": 0, "false": 1, ":": 0}.get(name, 127)  # else: not found

    def _single(self) -> list[Entry]:
        group: list[Entry] = []
        self.run.groups.append(group)
        return group


def _split_into(out: list[str], cur: str | None, value: str) -> str | None:
    """Field splitting of an unquoted expansion (default IFS): completed fields go to `out`;
    returns the field still open."""
    pieces = value.split(None) if value.strip() else []
    if value[:1].isspace() and cur is not None:
        out.append(cur)
        cur = None
    for i, p in enumerate(pieces):
        cur = (cur or "") + p
        if i < len(pieces) - 1 or value[-1:].isspace():
            out.append(cur)
            cur = None
    return cur


def matches(predicted: list[list[Entry]], actual: list[Entry]) -> bool:
    """The real log equals the prediction, a pipeline's entries in any order."""
    pos = 0
    for group in predicted:
        chunk = actual[pos: pos + len(group)]
        if sorted(chunk, key=repr) != sorted(group, key=repr):
            return False
        pos += len(group)
    return pos == len(actual)
