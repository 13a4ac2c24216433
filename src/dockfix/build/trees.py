"""Build every image of one repository tree, bases first, and look inside each.

`build_tree(session, root, config, label)`: every image of the repository graph in
`Graph.build_order()`, then the Dockerfiles no build script names (keyed ``<path>`` as the
static prover keys them). Each image is tagged ``localhost/dockfix-<run>/<label>.<name>`` so
two trees never share a name. A derived image reaches its in-repo base by build arg when its
FROM is a single ``${VAR}``, else by a session alias of the literal name (dropped again when
the tree is done). An image is *skipped*, with the reason, when an external base is not in
local storage or its in-repo base did not build. Each built image is inspected,
smoke-checked as its own user, and its whole file system read (`filesystem.Snapshot`).

`warm_build(session, root, config, label)`: the same tree again, from a copy in which one
application file that the images COPY is edited: what a developer's next build costs.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockfix.build.engines import EngineError
from dockfix.build.images import ImageInfo
from dockfix.build.results import ImageBuild, Smoke, TreeBuild, WarmBuild
from dockfix.build.session import BuildSession, TagConflict
from dockfix.build.smoke import cmd_executable_resolves, command_executable, command_module, module_importable, \
    python_version
from dockfix.build.spec import BuildSpec
from dockfix.config import Config

# FROM that is one variable: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR.
_SINGLE_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))$")
WARM_EDIT = b"\n# dockfix verify --build: an application-code edit, to time a warm build\n"

Progress = Callable[[str], None]


def private_name(label: str, key: str) -> str:
    """The name `key` gets inside the session namespace for tree `label`, as one path
    component: ``before.academy-base:latest``, ``before.unnamed.docker-dockerfile:latest``.

    One component, because buildah resolves a short name such as ``academy-base:latest`` to
    any local image whose name ends in ``/academy-base:latest``: with ``…/before/academy-base``
    a literal ``FROM academy-base:latest`` could pick either tree's base, and the alias that
    should make it pick the right one would be refused as taken."""
    def component(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"

    if key.startswith("<") and key.endswith(">"):
        repository, tag = "unnamed/" + component(key[1:-1]), "latest"  # the path, flattened
    else:
        repository, tag = key.split("@", 1)[0], "latest"
        if repository.rfind(":") > repository.rfind("/"):
            repository, tag = repository.rsplit(":", 1)
        tag = re.sub(r"[^A-Za-z0-9_.-]+", "-", tag).lstrip(".-")[:128] or "latest"
    parts = [component(label)] + [component(c) for c in repository.split("/")]
    return ".".join(parts) + ":" + tag


@dataclass(frozen=True)
class _Target:
    key: str
    dockerfile: str
    context: str
    target: str | None
    args: dict[str, str]
    stage: int | None  # the stage the image is, None when the Dockerfile does not parse


def _targets(graph) -> list[_Target]:
    out = []
    for ref in graph.build_order():
        m = graph.images[ref]
        out.append(_Target(ref, m.dockerfile, m.context, m.target, dict(m.args), graph.image_stage(m)))
    mapped = {m.dockerfile for m in graph.images.values()}
    for path, node in sorted(graph.dockerfiles.items()):
        if path in mapped or node.document is None or not node.document.stages:
            continue
        out.append(_Target(f"<{path}>", path, node.context, None, {}, node.document.stages[-1].index))
    return out


class _Skip(Exception):
    """An image that cannot be attempted here; the message is the reason."""


@dataclass
class _TreeRun:
    """The state of one tree's build: what is built, under which private names."""

    session: BuildSession
    graph: object
    tree: TreeBuild
    say: Progress
    look_inside: bool
    names: dict[str, str] = field(default_factory=dict)  # key -> private reference
    present: dict[str, bool] = field(default_factory=dict)  # external reference -> in local storage
    aliases: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)  # private names used in this tree

    def bases(self, t: _Target) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """Build args and literal aliases (name FROM uses, private image) reaching t's in-repo
        bases; raises _Skip when a base is not available."""
        build_args, literal = dict(t.args), []
        node = self.graph.dockerfiles[t.dockerfile]
        for st in node.document.stages if node.document is not None else []:
            if t.stage is not None and st.index > t.stage:
                break
            base = self.graph.base_of(t.dockerfile, st.index)
            if base is None or base.kind == "stage":
                continue
            if base.kind == "external":
                self._require_external(base.ref)
                continue
            self._require_built(base.ref)
            var = _SINGLE_VAR.match(base.raw.strip())
            if var:
                build_args[var.group(1) or var.group(2)] = self.names[base.ref]
            else:  # the name the engine resolves FROM to: as written, or expanded when compound
                literal.append((base.raw.strip() if "$" not in base.raw else base.ref, self.names[base.ref]))
        return build_args, literal

    def _require_external(self, ref: str | None) -> None:
        if not ref or ref == "scratch":
            return
        if ref not in self.present:
            self.present[ref] = self.session.engine.image_exists(ref)
        if not self.present[ref]:
            raise _Skip(f"base {ref} not available locally")

    def _require_built(self, ref: str) -> None:
        built = self.tree.images.get(ref)
        if built is None or not built.ok:
            why = "was not built" if built is None else (
                f"was skipped ({built.skip_reason})" if built.status == "skipped" else "failed to build")
            raise _Skip(f"in-repo base {ref} {why}")

    def alias(self, literal_bases: list[tuple[str, str]]) -> None:
        for literal, image in literal_bases:
            if literal in self.aliases:
                continue
            try:
                self.session.alias(literal, image)
            except TagConflict as conflict:
                raise _Skip(str(conflict)) from None
            self.aliases.append(literal)

    def private(self, key: str) -> str:
        private = private_name(self.tree.label, key)
        while private in self.taken:  # two keys that reduce to one name (`a.b` and `a-b`)
            repository, tag = private.rsplit(":", 1)
            private = f"{repository}-{len(self.taken)}:{tag}"
        self.taken.add(private)
        return private

    def build(self, t: _Target, build_args: dict[str, str], timeout: float | None) -> ImageBuild:
        root = self.tree.root
        spec = BuildSpec(self.private(t.key), root / t.dockerfile, root / t.context if t.context else root,
                         target=t.target, build_args=build_args)
        result = self.session.build(spec, timeout=timeout)
        if result.status == "skipped":
            return ImageBuild(t.key, t.dockerfile, "skipped", result, result.skip_reason)
        if not result.ok:
            return ImageBuild(t.key, t.dockerfile, "failed", result)
        self.names[t.key] = result.image
        if not self.look_inside:
            return ImageBuild(t.key, t.dockerfile, "ok", result)
        return look_inside(self.session, ImageBuild(t.key, t.dockerfile, "ok", result))

    def one(self, t: _Target, timeout: float | None) -> None:
        label = self.tree.label
        try:
            build_args, literal = self.bases(t)
            self.alias(literal)
        except _Skip as skip:
            self.say(f"{label}: {t.key}: skipped: {skip}")
            self.tree.images[t.key] = ImageBuild(t.key, t.dockerfile, "skipped", skip_reason=str(skip))
            return
        self.say(f"{label}: building {t.key} ({t.dockerfile})")
        done = self.tree.images[t.key] = self.build(t, build_args, timeout)
        self.say(f"{label}: {t.key}: {done.status} ({done.result.duration_s:.0f} s)"  # type: ignore[union-attr]
                 + (f": {done.failure()}" if done.status == "failed" else "")
                 + (f": {done.skip_reason}" if done.status == "skipped" else ""))


def build_tree(session: BuildSession, root: str | Path, config: Config, label: str, *,
               progress: Progress | None = None, timeout: float | None = None,
               look_inside: bool = True) -> TreeBuild:
    """Build every image of the repository at `root`, bases first; with `look_inside`,
    inspect each, smoke-check it and read its file system."""
    from dockfix.graph import build_graph
    from dockfix.tree import Tree

    root = Path(root)
    started = time.monotonic()
    graph = build_graph(Tree(root, exclude=config.exclude), config)
    run = _TreeRun(session, graph, TreeBuild(label=label, root=root, engine=session.engine.name),
                   progress or (lambda _msg: None), look_inside)
    try:
        for t in _targets(graph):
            run.one(t, timeout)
    finally:
        for name in run.aliases:
            session.unalias(name)
    run.tree.duration_s = time.monotonic() - started
    return run.tree


def look_inside(session: BuildSession, build: ImageBuild) -> ImageBuild:
    """`build` with its config, smoke checks and file system."""
    image = build.result.image  # type: ignore[union-attr]
    info = session.inspect(image)
    files, error = None, ""
    try:
        files = session.snapshot(image)
    except (EngineError, OSError) as err:
        error = f"reading the file system failed: {err}"
    return ImageBuild(build.key, build.dockerfile, "ok", build.result, info=info,
                      smoke=smoke_checks(session, image, info), files=files, files_error=error)


def smoke_checks(session: BuildSession, image: str, info: ImageInfo) -> Smoke:
    """The smoke checks of `dockfix.build.smoke`, run as the image's user."""
    executable = cmd_executable_resolves(session, image, info) if command_executable(info) else None
    module = None
    if (found := command_module(info)) is not None:
        interpreter, name = found
        module = module_importable(session, image, name, python=interpreter)
    return Smoke(python_version(session, image), executable, module)


# -- the warm build ------------------------------------------------------------------------
def app_file_to_edit(root: str | Path, config: Config) -> str | None:
    """The repository's Python file that the most images COPY (ties: the first by path), as a
    path relative to `root`; None when no image COPYs a Python file from its context."""
    from dockfix.prover import build_models
    from dockfix.prover.compare import app_files
    from dockfix.tree import Tree

    counts: Counter[str] = Counter()
    for model in build_models(Tree(root, exclude=config.exclude), config).values():
        context = model.context.strip("/") if model.context not in ("", ".") else ""
        for origin in set(app_files(model.state).values()):
            if origin.startswith("context:") and origin.endswith(".py"):
                rel = origin[len("context:"):]
                counts[f"{context}/{rel}" if context else rel] += 1
    if not counts:
        return None
    return min(counts, key=lambda p: (-counts[p], p))


def warm_build(session: BuildSession, root: str | Path, config: Config, label: str, *,
               progress: Progress | None = None, timeout: float | None = None) -> WarmBuild | str:
    """Build a copy of the tree in which `app_file_to_edit` gained a comment line, after the
    tree itself was built in `session` (its layer cache). A string says why it was not."""
    edited = app_file_to_edit(root, config)
    if edited is None:
        return "no image COPYs a Python file of the repository"
    with tempfile.TemporaryDirectory(prefix="dockfix-warm-") as scratch:
        copy = Path(scratch) / "tree"
        shutil.copytree(root, copy, symlinks=True)
        with open(copy / edited, "ab") as f:
            f.write(WARM_EDIT)
        tree = build_tree(session, copy, config, f"{label}-warm", progress=progress, timeout=timeout,
                          look_inside=False)
    failed = tuple(k for k, b in tree.images.items() if b.status == "failed")
    return WarmBuild(edited, tree.build_s, failed)
