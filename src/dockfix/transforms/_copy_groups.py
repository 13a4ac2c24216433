"""For share-layers: when consecutive COPYs land exactly the files one COPY of another image lands.

`COPY a b ./r/` and `COPY a ./r/` + `COPY b ./r/` put the same files in the image: the
same paths, from the same sources, with the same owner and mode, and the destination
directory created the same way (same flags, same WORKDIR). Which files land is read by
`dockfix.model.copy.copy_result` (BuildKit's rules, tested against real buildah builds),
never guessed; anything it cannot read exactly, any flag beyond --chown/--chmod, any word
that expands a variable, a heredoc, JSON form, or a path landing twice, and the group is
not equivalent.
"""

from __future__ import annotations

import posixpath

from dockfix.model.copy import BuildContext, CopySpec, copy_result, names_a_directory
from dockfix.syntax import Document, Instruction

_SAFE_FLAGS = ("--chown=", "--chmod=")


def context_of(graph, tree, path: str) -> BuildContext | None:
    """The build context the Dockerfile at `path` is built with, as BuildKit receives it."""
    node = graph.dockerfiles[path]
    if node.context_unknown is not None:
        return None
    ignore = graph.dockerignore_for(path)
    everything = graph.context_files(node.context)

    def read(rel: str) -> bytes:
        return tree.read(posixpath.join(node.context, rel) if node.context else rel)

    return BuildContext(ignore.filter(everything), everything, ignore, node.dockerignore or "", read=read)


def _plain(ins: Instruction) -> bool:
    """A COPY of context files whose words need no expansion and whose flags are shared."""
    words = (*ins.flags, *ins.value)
    return (ins.keyword == "COPY" and not ins.json and not ins.heredocs and len(ins.value) >= 2
            and all(f.startswith(_SAFE_FLAGS) for f in ins.flags)
            and not any(c in w for w in words for c in "$\\'\" \t")
            and names_a_directory(ins.value[-1]))


def _landed(ins: Instruction, context: BuildContext) -> list[tuple] | None:
    spec = CopySpec.of(ins)
    if spec is None:
        return None
    result = copy_result(spec, "/", context)  # the destinations are equal words: WORKDIR cancels out
    if result.unknown or result.failures or not result.landed:
        return None
    return [(x.path, x.origin, x.source, x.type, x.owner, x.mode) for x in result.landed]


def same_files(group: list[Instruction], peer: list[Instruction], context: BuildContext | None) -> bool:
    """Do the consecutive COPYs of `group` land exactly what the consecutive COPYs of `peer`
    land (read in `context`, the context both are built with)?"""
    if context is None or not all(_plain(g) for g in (*group, *peer)):
        return False
    if len({(g.flags, g.value[-1]) for g in (*group, *peer)}) != 1:
        return False
    mine, theirs = _all_landed(group, context), _all_landed(peer, context)
    if mine is None or theirs is None:
        return False
    return sorted(mine, key=repr) == sorted(theirs, key=repr)


def _all_landed(copies: list[Instruction], context: BuildContext) -> list[tuple] | None:
    """What the COPYs land together; None when one is not read exactly or a path lands twice
    (then the order of the sources would matter)."""
    out: list[tuple] = []
    for ins in copies:
        landed = _landed(ins, context)
        if landed is None:
            return None
        out += landed
    return out if len({x[0] for x in out}) == len(out) else None


def regrouped(doc: Document, group: list[Instruction], peer_texts: list[bytes]) -> bytes | None:
    """`doc` with the group's lines replaced by the peer's COPYs, one a line, as the peer wrote
    them (the keyword as this file spells it); None when something other than blank lines
    stands between the group's instructions (a comment would be lost) or a peer COPY spans
    several lines."""
    data = doc.data
    texts = [t.rstrip(b"\r\n") for t in peer_texts]
    if any(b"\n" in t for t in texts) or any(data[a.end:b.start].strip() for a, b in zip(group, group[1:])):
        return None
    last = group[-1]
    eol = data[last.end - 2:last.end] if data[last.end - 2:last.end] == b"\r\n" else (
        b"\n" if data[last.end - 1:last.end] == b"\n" else b"")
    keyword = group[0].cmd.encode()  # the keyword as this file spells it
    lines = [keyword + t[len("COPY"):] for t in texts]
    return data[:group[0].start] + (eol or doc.newline).join(lines) + eol + data[last.end:]
