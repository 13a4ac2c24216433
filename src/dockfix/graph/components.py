"""Independent parts of a repository: sets of Dockerfiles that no transform or proof can
link to each other, so each can be rewritten and proved on its own (in another process).

Two Dockerfiles are in one part when they share a build context directory or a
.dockerignore (rebase-onto-base compares Dockerfiles of one context; prune-dockerignore
edits one .dockerignore for every build that reads it), or when one builds FROM, or
copies --from, an image the other builds (non-root, root-swap and the prover follow base
chains). Everything else a run reads (sources, requirements, compose files) is read-only.
"""

from __future__ import annotations

from dockfix.graph.model import Graph
from dockfix.graph.sources import normalise_ref


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def components(graph: Graph) -> list[list[str]]:
    """The independent parts, each a sorted list of Dockerfile paths, largest first."""
    uf = _UnionFind()
    for path, node in graph.dockerfiles.items():
        uf.find("f:" + path)
        uf.union("f:" + path, "c:" + node.context)
        if node.dockerignore is not None:
            uf.union("f:" + path, "i:" + node.dockerignore)
        if node.document is None:
            continue
        for ins in node.document.instructions:
            frm = ins.flag("from") if ins.keyword in ("COPY", "ADD") else None
            if frm:
                image = graph.images.get(normalise_ref(frm))
                if image is not None:
                    uf.union("f:" + path, "f:" + image.dockerfile)
    for (path, _), base in graph.bases.items():
        if base.kind == "internal" and base.image is not None:
            uf.union("f:" + path, "f:" + base.image.dockerfile)
    parts: dict[str, list[str]] = {}
    for path in sorted(graph.dockerfiles):
        parts.setdefault(uf.find("f:" + path), []).append(path)
    return sorted(parts.values(), key=lambda p: (-len(p), p[0]))
