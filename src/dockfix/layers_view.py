"""The image set's layer tree: which images share which leading steps, and a picture of it.

Layer identity is `dockfix.model.layers`: two images built on the same base share the
layers of their common instruction prefix. Per base, the images' steps form a tree (a
radix tree of step identities): a node is a run of steps that the same images pass
through, so a layer shared by several images appears once, and each image is a branch.

Nothing is built here, so no size is measured: nodes carry step counts (and how many of
those steps add a filesystem layer, RUN/COPY/ADD), and the text and picture say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from dockfix.model.layers import Step, layer_steps

FS_LAYER = frozenset({"RUN", "COPY", "ADD"})
SIZES_NOTE = "no build measured: sizes are step counts (layers = RUN/COPY/ADD)"


@dataclass(frozen=True)
class Member:
    """One image: its Dockerfile's image stage."""

    label: str  # the image reference, else the Dockerfile path
    path: str
    stage: int


@dataclass(frozen=True)
class LayerNode:
    steps: tuple[str, ...]  # "L12 RUN apt-get …", one per step, in order
    fs_layers: int  # steps that add a filesystem layer
    images: tuple[str, ...]  # the members passing through (labels)
    ends: tuple[str, ...]  # the members whose image stage ends here
    children: tuple["LayerNode", ...]

    @property
    def shared(self) -> bool:
        return len(self.images) > 1 and bool(self.steps)


@dataclass(frozen=True)
class BaseTree:
    base: str  # the base reference (an image, or `path` stage for a stage base)
    root: LayerNode  # no steps: the base itself

    def nodes(self) -> list[LayerNode]:
        out, todo = [], [self.root]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(reversed(n.children))
        return out


def _step_text(s: Step) -> str:
    words = " ".join(s.ins.args.split())
    return f"L{s.ins.start_line} {s.ins.keyword} {words}"


class _Trie:
    __slots__ = ("children", "images", "ends", "text", "keyword")

    def __init__(self, text: str = "", keyword: str = "") -> None:
        self.children: dict[tuple, _Trie] = {}
        self.images: list[str] = []
        self.ends: list[str] = []
        self.text = text
        self.keyword = keyword

    def add(self, steps: list[Step], label: str) -> None:
        node = self
        node.images.append(label)
        for s in steps:
            node = node.children.setdefault(s.identity, _Trie(_step_text(s), s.ins.keyword))
            node.images.append(label)
        node.ends.append(label)


def _compress(t: _Trie, steps: tuple[str, ...] = (), fs: int = 0) -> LayerNode:
    """Merge chains of steps with the same images into one node (a radix tree)."""
    while len(t.children) == 1 and not t.ends and t.text:
        child = next(iter(t.children.values()))
        if child.images != t.images:
            break
        t = child
        steps += (t.text,)
        fs += t.keyword in FS_LAYER
    children = tuple(_compress(c, (c.text,), int(c.keyword in FS_LAYER)) for c in t.children.values())
    return LayerNode(steps, fs, tuple(t.images), tuple(t.ends), children)


def layer_trees(graph, members: list[Member]) -> list[BaseTree]:
    """The members grouped by base (`graph.bases`), each group's steps as a tree."""
    groups: dict[tuple, list[tuple[Member, list[Step]]]] = {}
    for m in members:
        node = graph.dockerfiles.get(m.path)
        base = graph.bases.get((m.path, m.stage))
        if node is None or node.document is None or base is None:
            continue
        # a context that cannot be read is no one else's: its COPYs match nothing (as share-layers)
        copy_key = (node.context, node.dockerignore) if node.context_unknown is None else (m.path,)
        key = (base.kind, base.ref) if base.kind in ("internal", "external") else ("stage", m.path, base.ref)
        groups.setdefault(key, []).append((m, layer_steps(node.document, m.stage, m.path, copy_key)))
    out = []
    for key in sorted(groups):
        trie = _Trie()
        for m, steps in groups[key]:
            trie.add(steps, m.label)
        base = key[1] if key[0] != "stage" else f"{key[1]} stage {key[2]}"
        out.append(BaseTree(base, _compress(trie)))
    return out


@dataclass(frozen=True)
class Sharing:
    base: str
    images: tuple[str, ...]
    steps: int
    fs_layers: int
    first: str
    last: str


def sharings(trees: list[BaseTree]) -> list[Sharing]:
    """Every run of steps that more than one image passes through."""
    return [Sharing(t.base, n.images, len(n.steps), n.fs_layers, n.steps[0], n.steps[-1])
            for t in trees for n in t.nodes() if n.shared]


def step_totals(trees: list[BaseTree]) -> tuple[int, int]:
    """(steps summed over the images, distinct steps the builder runs once each)."""
    total = sum(len(n.steps) * len(n.images) for t in trees for n in t.nodes())
    distinct = sum(len(n.steps) for t in trees for n in t.nodes())
    return total, distinct


# -- the picture ---------------------------------------------------------------------------
BOX_W, BOX_H, COL, ROW, LEFT, TOP = 230, 46, 270, 62, 20, 70
SHARED_FILL, OWN_FILL, BASE_FILL = "#f4a259", "#8cb8e0", "#d0d0d0"


def _clip(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Layout:
    def __init__(self) -> None:
        self.row = 0
        self.parts: list[str] = []
        self.width = 0

    def place(self, node: LayerNode, depth: int, fill: str, title: str, sub: str) -> float:
        ys = [self.place(c, depth + 1, SHARED_FILL if c.shared else OWN_FILL,
                         f"{len(c.steps)} steps, {c.fs_layers} layers", _clip(c.steps[0], 30) if c.steps else "")
              for c in node.children]
        if node.ends or not ys:
            ys.append(TOP + self.row * ROW)
            self.row += 1
        y = sum(ys) / len(ys) if not node.ends else ys[-1]
        x = LEFT + depth * COL
        klass = "shared" if node.shared else ("base" if depth == 0 else "own")
        for cy in ys[: len(node.children)]:
            self.parts.append(f'<path d="M{x + BOX_W},{y + BOX_H / 2} C{x + BOX_W + 20},{y + BOX_H / 2} '
                              f'{x + COL - 20},{cy + BOX_H / 2} {x + COL},{cy + BOX_H / 2}" '
                              'fill="none" stroke="#555" stroke-width="2"/>')
        shared_by = f" · {len(node.images)} images" if node.shared else ""
        self.parts.append(f'<rect class="{klass}" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                          f'fill="{fill}" stroke="#333"/>')
        self.parts.append(f'<text class="box" x="{x + 8}" y="{y + 19}" font-size="13" font-weight="bold">'
                          f'{escape(title + shared_by)}</text>')
        self.parts.append(f'<text class="step" x="{x + 8}" y="{y + 37}" font-size="11">{escape(sub)}</text>')
        if node.ends:
            self.parts.append(f'<text class="image" x="{x + BOX_W + 10}" y="{y + 28}" font-size="14" '
                              f'font-weight="bold">{escape(", ".join(node.ends))}</text>')
            self.width = max(self.width, x + BOX_W + 30 + 9 * len(", ".join(node.ends)))
        self.width = max(self.width, x + BOX_W + 20)
        return y


def to_svg(trees: list[BaseTree], title: str) -> str:
    """A self-contained SVG: per base a tree, shared runs of steps once (orange), each
    image a branch ending in its name."""
    lay = _Layout()
    for t in trees:
        lay.place(t.root, 0, BASE_FILL, _clip(t.base, 30), "base image")
        lay.row += 0.4  # a gap between bases
    height = int(TOP + lay.row * ROW + 10)
    width = max(lay.width, 760)
    total, distinct = step_totals(trees)
    head = [f'<text class="title" x="{LEFT}" y="26" font-size="18" font-weight="bold">'
            f'{escape("Layer tree: " + title)}</text>',
            f'<text class="note" x="{LEFT}" y="48" font-size="12">'
            f'{escape(f"{SIZES_NOTE}; distinct steps {distinct} of {total}; orange = shared")}</text>']
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif">\n'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>\n'
            + "\n".join(head + lay.parts) + "\n</svg>\n")
