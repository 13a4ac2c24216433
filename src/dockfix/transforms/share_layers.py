"""share-layers: ENV/ARG/LABEL move below the steps an image shares with another image on
the same base, so the builder reuses those layers.

What it does: for every stage built on an image another stage also builds on (the same base
reference, `ctx.graph()`), it finds the longest leading run of steps the two have in common
(layer identity: `dockfix.model.layers`: the same instruction words, and for COPY the same
context and .dockerignore). When the next step of this stage is a block of ENV/ARG/LABEL and the other
stage continues with the steps that follow that block, the block moves below those steps
(as many as may be crossed), with its comments. And when the other stage has one COPY
there and this stage one or more consecutive COPYs that land exactly the same files
(`_copy_groups.same_files`, read by `model.copy`), they are written as that COPY.

When it must not fire: a step crossed is anything but RUN or COPY (so never across USER,
WORKDIR, SHELL, ONBUILD, ADD, another ENV/ARG); a RUN whose script names the variable
anywhere (`$V`, `${V}`, heredocs, arithmetic, `export V`), whose words the shell reader
cannot follow, or which runs a program not known not to read it (`dockfix.model.program_env`);
a RUN or COPY whose flags or words expand the variable; a COPY with a heredoc or `--from`;
an ENV whose name is not a literal; a stage or in-repo base with a SHELL instruction;
`# dockfix: ignore[share-layers]` above the block.

Why it is equivalent: RUN and COPY do not change the environment, so the block's values
are computed from the same variables below them; no program of a crossed RUN reads the
variables (the table), and no crossed word expands them, so each crossed step does the same;
the image's final environment, labels and their order are the same (no ENV/ARG/LABEL is
crossed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockfix.model.layers import Step, layer_steps
from dockfix.model.program_env import may_read
from dockfix.model.run import RunForm, run_execution
from dockfix.model.shell import read_script
from dockfix.model.words import Scope, expand_word, pairs
from dockfix.syntax import Document, Instruction
from dockfix.transforms._copy_groups import context_of, regrouped, same_files
from dockfix.transforms.base import Context, Safety, Transform

MOVABLE = frozenset({"ENV", "ARG", "LABEL"})
CROSSABLE = frozenset({"RUN", "COPY"})
MAX_GROUP = 8  # consecutive COPYs tried as one


@dataclass(frozen=True)
class Member:
    """One stage built on a shared base."""

    path: str
    stage: int
    copy_key: tuple  # what COPY reads: the context and the .dockerignore in force


@dataclass(frozen=True)
class Move:
    block: tuple[Instruction, ...]  # the consecutive ENV/ARG/LABEL to move
    after: Instruction  # the last step crossed
    gain: int  # steps now shared
    peer: str

    def rewrite(self, doc: Document) -> bytes:
        return _moved(doc, self)


@dataclass(frozen=True)
class Regroup:
    """Consecutive COPYs rewritten as the one COPY another image has there (same files)."""

    text: bytes  # the whole file, rewritten
    gain: int
    peer: str

    def rewrite(self, doc: Document) -> bytes:
        return self.text


class ShareLayers(Transform):
    name = "share-layers"
    summary = "Move ENV/ARG/LABEL below the RUN/COPY steps images on the same base share, so layers are reused."
    safety = Safety.SAFE
    answers = "layer reuse across images on one base (issue 17)"

    def apply(self, ctx: Context) -> None:
        groups = _groups(ctx)
        budget = sum(len(ctx.document(m.path).instructions) for ms in groups for m in ms) + 1
        for _ in range(budget):  # each move takes a block strictly lower: this ends
            if not any([self._round(ctx, ms) for ms in groups]):
                return

    def _round(self, ctx: Context, members: list[Member]) -> bool:
        """One move per file, each planned against the group as it stands (a trie of the
        members' steps, so a member is compared with all others in one walk)."""
        steps = {m: _steps(ctx.document(m.path), m) for m in members}
        trie = _Node()
        for m, ss in steps.items():
            trie.add(ss, m.path)
        moved: set[str] = set()
        for m in members:
            doc = ctx.document(m.path)
            if m.path in moved or ctx.file_ignored(doc):
                continue
            move = _plan(ctx, doc, steps[m], trie, m.path)
            if isinstance(move, str):
                if not any(n.path == m.path and n.message == move for n in ctx.notes):
                    ctx.skip(m.path, None, move)
            elif move is not None:
                ctx.write(m.path, move.rewrite(doc))
                moved.add(m.path)
        return bool(moved)


class _Node:
    """A trie of step identities; each node keeps up to two files whose stages reach it
    (enough to tell whether a file other than a given one does)."""

    __slots__ = ("children", "paths", "step")

    def __init__(self, step: Step | None = None) -> None:
        self.children: dict[tuple, _Node] = {}
        self.paths: list[str] = []
        self.step = step  # the step that leads here, as the first file to reach it wrote it

    def add(self, steps: list[Step], path: str) -> None:
        node = self
        node._mark(path)
        for s in steps:
            node = node.children.setdefault(s.identity, _Node(s))
            node._mark(path)

    def _mark(self, path: str) -> None:
        if path not in self.paths and len(self.paths) < 2:
            self.paths.append(path)

    def other(self, path: str) -> str | None:
        return next((p for p in self.paths if p != path), None)


# ------------------------------------------------------------------------------------------
# Which stages share a base
# ------------------------------------------------------------------------------------------
def _groups(ctx: Context) -> list[list[Member]]:
    graph = ctx.graph()
    by_base: dict[tuple, list[Member]] = {}  # within one independent part (graph.part_of)
    for (path, stage), base in sorted(graph.bases.items()):
        node = graph.dockerfiles.get(path)
        if base.kind not in ("internal", "external") or node is None or node.document is None:
            continue
        if _sets_shell(ctx, path) or (base.image is not None and _sets_shell(ctx, base.image.dockerfile)):
            continue  # the RUNs' shell is not the default one: not read here
        # a context that cannot be read is no one else's: its COPYs match nothing
        copy_key = (node.context, node.dockerignore) if node.context_unknown is None else (path,)
        member = Member(path, stage, copy_key)
        by_base.setdefault((graph.part_of(path), base.kind, base.ref), []).append(member)
    return [ms for ms in by_base.values() if len({m.path for m in ms}) > 1]


def _sets_shell(ctx: Context, path: str) -> bool:
    try:
        doc = ctx.document(path)
    except Exception:  # noqa: BLE001 - a base that does not parse: its shell is unknown
        return True
    return any(ins.keyword == "SHELL" for ins in doc.instructions)


# ------------------------------------------------------------------------------------------
# The move
# ------------------------------------------------------------------------------------------
def _steps(doc: Document, member: Member) -> list[Step]:
    return layer_steps(doc, member.stage, member.path, member.copy_key)


def _plan(ctx: Context, doc: Document, mine: list[Step], trie: _Node, path: str) -> Move | Regroup | str | None:
    """The move that shares most steps with another file's stage; a reason when the step
    that would be shared next stops a block; None when there is nothing to share."""
    best: Move | Regroup | None = None
    refusal: str | None = None
    node: _Node | None = trie
    for k in range(len(mine)):
        if node is None or node.other(path) is None:
            break  # no other file shares mine[:k]
        found: Move | Regroup | str | None = None
        if mine[k].ins.keyword in MOVABLE and (k == 0 or mine[k - 1].ins.keyword not in MOVABLE):
            found = _block_move(ctx, doc, mine, k, node, path)
        elif mine[k].ins.keyword == "COPY":
            found = _regroup(ctx, doc, mine, k, node, path)
        if isinstance(found, (Move, Regroup)) and (best is None or found.gain > best.gain):
            best = found
        elif isinstance(found, str) and refusal is None:
            refusal = found
        node = node.children.get(mine[k].identity)
    return best if best is not None else refusal


def _block_move(ctx: Context, doc: Document, mine: list[Step], k: int, node: _Node, path: str) -> Move | str | None:
    """Move the block starting at mine[k] below the steps another file has after mine[:k]."""
    m = k
    while m < len(mine) and mine[m].ins.keyword in MOVABLE:
        m += 1
    block = tuple(s.ins for s in mine[k:m])
    names = _names_set(block)
    if names is None or any(ctx.ignored(doc, ins) for ins in block):
        return None
    crossed = 0
    peer = None
    while m + crossed < len(mine):
        child = node.children.get(mine[m + crossed].identity)
        if child is None or child.other(path) is None:
            break
        if not _crossable(mine[m + crossed].ins, names, doc.escape):
            return _refusal(block, names, mine[m + crossed].ins, child.other(path)) if crossed == 0 else \
                Move(block, mine[m + crossed - 1].ins, crossed, peer or "")
        node, peer = child, child.other(path)
        crossed += 1
    if crossed == 0:
        return None
    return Move(block, mine[m + crossed - 1].ins, crossed, peer or "")


def _regroup(ctx: Context, doc: Document, mine: list[Step], k: int, node: _Node, path: str) -> Regroup | None:
    """mine[k:k+j], consecutive COPYs, rewritten as the consecutive COPYs another file has
    after mine[:k] when they land the same files (`_copy_groups.same_files`)."""
    copies = 0
    while k + copies < len(mine) and copies < MAX_GROUP and mine[k + copies].ins.keyword == "COPY":
        copies += 1
    best: Regroup | None = None
    context: list = []  # read once, when a candidate needs it
    for chain in _copy_chains(node, mine[k], path):
        context = context or [context_of(ctx.graph(), ctx.tree, path)]
        for j in range(1, copies + 1):
            found = _as_peer(ctx, doc, (path, context[0]), mine[k:k + j], mine[k + j:], chain)
            if found is not None and (best is None or found.gain > best.gain):
                best = found
    return best


def _copy_chains(node: _Node, first: Step, path: str) -> list[list[_Node]]:
    """Sequences of COPY steps (from the context `first` reads) that another file has below
    `node`, the first of them not `first` itself; up to MAX_GROUP long."""
    chains: list[list[_Node]] = []
    stack = [[child] for identity, child in node.children.items()
             if identity != first.identity and identity[0] == "COPY" and identity[-1] == first.identity[-1]]
    while stack:
        chain = stack.pop()
        if chain[-1].other(path) is None:
            continue
        chains.append(chain)
        if len(chain) < MAX_GROUP:
            stack += [chain + [c] for i, c in chain[-1].children.items() if i[0] == "COPY" and i[-1] == first.identity[-1]]
    return chains


def _as_peer(ctx: Context, doc: Document, where: tuple, steps: list[Step], rest: list[Step],
             chain: list[_Node]) -> Regroup | None:
    """`steps` written as the peer's COPYs of `chain`, when they land the same files
    (`where`: this file's path and its build context). A group becomes fewer COPYs whoever
    wrote them, as many only when the peer's path comes first, never more (so files converge
    on one form instead of trading theirs)."""
    path, context = where
    peer = chain[-1].other(path) or ""
    group = [s.ins for s in steps]
    theirs = [n.step.ins for n in chain]  # type: ignore[union-attr]
    if any(ctx.ignored(doc, ins) for ins in group) or len(theirs) > len(group) \
            or (len(theirs) == len(group) and peer > path):
        return None
    if not same_files(group, theirs, context):
        return None
    texts = [ctx.document(n.other(path) or peer).data[i.start:i.end].lstrip() for n, i in zip(chain, theirs)]
    text = regrouped(doc, group, texts)
    if text is None:
        return None
    return Regroup(text, len(theirs) + _shared_after(chain[-1], rest, path), peer)


def _shared_after(node: _Node, rest: list[Step], path: str) -> int:
    """How many of `rest` another file also has below `node`."""
    n = 0
    for s in rest:
        child = node.children.get(s.identity)
        if child is None or child.other(path) is None:
            break
        node, n = child, n + 1
    return n


def _refusal(block: tuple[Instruction, ...], names: frozenset[str], step: Instruction, peer: str | None) -> str:
    """Why a block another stage would share more with stays: the next step may read it."""
    why = (f"may read {', '.join(sorted(names))}" if step.keyword in CROSSABLE
           else "is not crossed; only RUN and COPY are")
    return (f"{block[0].keyword} at line {block[0].start_line} stays: the {step.keyword} at line "
            f"{step.start_line} (shared with {peer}) {why}")


def _names_set(block: tuple[Instruction, ...]) -> frozenset[str] | None:
    """The variables the block sets; None when a name is not a literal."""
    names: set[str] = set()
    for ins in block:
        if ins.keyword == "ENV":
            keys = [k for k, _ in pairs(ins.value)]
        elif ins.keyword == "ARG":
            keys = [w.partition("=")[0] for w in ins.value]
        else:
            continue  # a label is no variable
        if any(not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) for key in keys):
            return None
        names.update(keys)
    return frozenset(names)


def _crossable(ins: Instruction, names: frozenset[str], escape: str) -> bool:
    if ins.keyword not in CROSSABLE or _words_expand(ins.flags, names, escape):
        return False
    if ins.keyword == "COPY":
        return not ins.heredocs and ins.flag("from") is None and not _words_expand(ins.value, names, escape)
    return not names or _run_ignores(ins, names)


def _words_expand(words: tuple[str, ...], names: frozenset[str], escape: str) -> bool:
    """A word BuildKit expands (COPY's words, RUN's --mount) looks one of `names` up."""
    for word in words:
        used: list[str] = []
        expand_word(word, Scope(), escape, used)
        if names.intersection(used):
            return True
    return False


def _run_ignores(ins: Instruction, names: frozenset[str]) -> bool:
    """No program of the RUN may read any of `names`."""
    exe = run_execution(ins)
    if exe.form is RunForm.EXEC:
        return not any(may_read(exe.argv, n) for n in names)
    if exe.form is not RunForm.SHELL or not exe.posix_shell or exe.script is None:
        return False  # a `#!` heredoc: its interpreter is not read here
    if any(re.search(rf"(?<![A-Za-z0-9_]){n}(?![A-Za-z0-9_])", exe.script) for n in names):
        return False  # named anywhere ($V, ${V}, $((V)), export V, a heredoc): may be read
    script = read_script(exe.script)
    if script.opaque:
        return False  # a part the reader does not follow may run anything
    return not any(may_read(c.args, n) for c in script.commands for n in names)


def _moved(doc: Document, move: Move) -> bytes:
    """The document with the block (and its comments) cut and put below `move.after`."""
    first_line = doc.leading_comment_start(move.block[0])
    last_line = move.block[-1].end_line
    start = doc.line_starts[first_line - 1]
    end = move.block[-1].end
    block = doc.data[start:end]
    # take one of the blank lines around the block when there is one on each side
    if first_line > 1 and _blank(doc, first_line - 1) and last_line < doc.line_count and _blank(doc, last_line + 1):
        end = doc.line_span(last_line + 1)[1]
    eol = doc.eol_of_line(move.after.end_line) or doc.newline
    if not block.endswith(b"\n"):
        block += eol
    at = move.after.end
    if not doc.eol_of_line(move.after.end_line):
        insert = eol + block.rstrip(b"\r\n")  # the file ended without a newline: keep it so
    elif move.after.end_line < doc.line_count and _blank(doc, move.after.end_line + 1):
        insert = eol + block  # a blank line above, the blank line already there below
    else:
        insert = block
    data = doc.data
    return data[:start] + data[end:at] + insert + data[at:]


def _blank(doc: Document, line: int) -> bool:
    return doc.line_bytes(line).strip() == b""
