"""The repository graph: Dockerfiles, their build contexts and .dockerignore, the images
built from them, and what each stage is built FROM (an earlier stage, an in-repo image,
or an external one)."""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from dockfix.config import Config
from dockfix.errors import DockerfileSyntaxError, DockfixError
from dockfix.graph import sources
from dockfix.graph.discover import Template, find_dockerfiles, template_line
from dockfix.graph.dockerignore import EMPTY, DockerIgnore
from dockfix.graph.sources import ImageMapping, normalise_ref
from dockfix.memo import Memo
from dockfix.model.contexts import UnknownContext
from dockfix.model.gitignore import GitIgnores
from dockfix.model.words import Scope as WordScope, expand_word
from dockfix.syntax import Document, parse, validate
from dockfix.tree import Tree


@dataclass
class DockerfileNode:
    path: str
    document: Document | None
    error: DockerfileSyntaxError | None
    context: str = ""  # repo-relative dir, "" = root
    context_source: str = ""  # how the context was decided
    dockerignore: str | None = None  # path of the .dockerignore in force
    # Set when no reading determines the build context: `context` is then only the
    # Dockerfile's folder, a placeholder that must not be judged (no COPY-source defects).
    context_unknown: UnknownContext | None = None


@dataclass(frozen=True)
class BaseRef:
    kind: str  # "stage" | "internal" | "external"
    ref: str  # the resolved reference (stage name for "stage")
    raw: str  # as written in FROM
    how: str  # "as written" | "ARG default" | "build arg" | ...
    image: ImageMapping | None = None  # for internal
    stage: int | None = None  # for stage


@dataclass
class Graph:
    root: str
    tree: Tree
    dockerfiles: dict[str, DockerfileNode] = field(default_factory=dict)
    images: dict[str, ImageMapping] = field(default_factory=dict)
    bases: dict[tuple[str, int], BaseRef] = field(default_factory=dict)
    _ignores: dict[str | None, DockerIgnore] = field(default_factory=dict)
    _context_files: dict[str, list[str]] = field(default_factory=dict)
    _indexes: dict[str, dict] = field(default_factory=dict)
    index: "RepoIndex | None" = None  # what the graph was built from (the scheduler reuses it)

    # -- queries
    def images_built_from(self, dockerfile: str) -> list[ImageMapping]:
        return self._index("by_dockerfile").get(dockerfile, [])

    def image_stage(self, mapping: ImageMapping) -> int | None:
        """The stage index an image's target names (the last stage without a target)."""
        node = self.dockerfiles.get(mapping.dockerfile)
        if node is None or node.document is None or not node.document.stages:
            return None
        stages = node.document.stages
        if mapping.target:
            for st in stages:
                if st.name == mapping.target.lower():
                    return st.index
            return None
        return stages[-1].index

    def base_of(self, dockerfile: str, stage: int) -> BaseRef | None:
        return self.bases.get((dockerfile, stage))

    def derived_of(self, ref: str) -> list[tuple[str, int]]:
        """(Dockerfile, stage) pairs built FROM the in-repo image `ref`."""
        return list(self._index("derived").get(normalise_ref(ref), []))

    def part_of(self, dockerfile: str) -> int | None:
        """The independent part (graph.components) a Dockerfile is in. Layer sharing is only
        looked for within a part: the scheduler rewrites parts apart, and a result must not
        depend on which other parts a run holds."""
        if "part" not in self._indexes:
            from dockfix.graph.components import components

            self._indexes["part"] = {p: i for i, part in enumerate(components(self)) for p in part}
        return self._indexes["part"].get(dockerfile)

    def _index(self, name: str) -> dict:
        """Lookups built on first use (a graph is not changed once `build_graph` returns;
        scanning every image per query made large repositories quadratic)."""
        if name not in self._indexes:
            by_dockerfile: dict[str, list[ImageMapping]] = {}
            for m in self.images.values():
                by_dockerfile.setdefault(m.dockerfile, []).append(m)
            derived: dict[str, list[tuple[str, int]]] = {}
            for k, b in sorted(self.bases.items()):
                if b.kind == "internal":
                    derived.setdefault(b.ref, []).append(k)
            self._indexes.update(by_dockerfile=by_dockerfile, derived=derived)
        return self._indexes[name]

    def dockerignore_for(self, dockerfile: str) -> DockerIgnore:
        node = self.dockerfiles[dockerfile]
        path = node.dockerignore
        if path not in self._ignores:
            try:
                self._ignores[path] = DockerIgnore.parse(self.tree.read(path)) if path else EMPTY
            except DockfixError as err:  # a pattern Docker rejects: name the file as the user sees it
                raise err.located(str(self.tree.root / path)) from None
        return self._ignores[path]

    def context_files(self, context: str) -> list[str]:
        """Every file below the context, relative to it (before .dockerignore)."""
        if context not in self._context_files:
            self._context_files[context] = self.tree.under(context)
        return self._context_files[context]

    def build_order(self) -> list[str]:
        """Image refs, bases before the images built on them. A cycle raises."""
        deps: dict[str, set[str]] = {}
        for ref, m in self.images.items():
            deps[ref] = set()
            node = self.dockerfiles.get(m.dockerfile)
            if node is None or node.document is None:
                continue
            for st in node.document.stages:
                b = self.bases.get((m.dockerfile, st.index))
                if b and b.kind == "internal" and b.ref != ref:
                    deps[ref].add(b.ref)
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(r: str, path: list[str]) -> None:
            if state.get(r) == 2:
                return
            if state.get(r) == 1:
                raise DockerfileSyntaxError("image cycle: " + " -> ".join(path + [r]))
            state[r] = 1
            for d in sorted(deps.get(r, ())):
                if d in deps:
                    visit(d, path + [r])
            state[r] = 2
            order.append(r)

        for r in sorted(deps):
            visit(r, [])
        return order


# Parses by (path, bytes): the engine builds a graph per transform, and most files are the
# same bytes each time. Documents are never mutated after parsing, so sharing is safe.
_PARSED: Memo = Memo(50_000)  # (path, bytes) -> (Document | None, DockerfileSyntaxError | None)


def parse_cached(path: str, data: bytes) -> tuple[Document | None, DockerfileSyntaxError | None]:
    """The file as BuildKit reads it, or the error it stops at: its parser's, or its
    instruction layer's (`validate`: what `docker build` rejects before running anything)."""
    key = (path, data)
    hit = _PARSED.get(key)
    if hit is None:
        try:
            doc = parse(data, path)
            validate(doc)
            hit = (doc, None)
        except DockerfileSyntaxError as err:
            hit = (None, err)
        _PARSED.put(key, hit)
    return hit


def parses_of(files: dict[str, bytes]) -> dict:
    """The memo's entries for these files (what `parse_cached` answered), for a process
    that will read them too: a pickled parse costs a tenth of parsing again."""
    return {key: _PARSED[key] for key in files.items() if key in _PARSED}


def add_parses(entries: dict) -> None:
    """`parses_of`'s entries, made in another process, into this one's memo."""
    for key, hit in entries.items():
        _PARSED.put(key, hit)


@dataclass(frozen=True)
class RepoIndex:
    """What a graph needs from the whole repository: every Dockerfile, and the explicit
    image mappings that win (first source per image reference). Transforms write only
    Dockerfiles and .dockerignore files, so the index holds for a whole run."""

    dockerfiles: tuple[str, ...]
    mappings: tuple[ImageMapping, ...]
    mapped_refs: frozenset[str]
    unnamed: tuple[ImageMapping, ...] = ()  # builds with no readable tag: their contexts still count


@dataclass(frozen=True)
class Scope:
    """A set of Dockerfiles closed under everything that links them (see
    `graph.components`): a graph of the scope equals the whole graph restricted to it."""

    dockerfiles: frozenset[str]
    index: RepoIndex


def index_repo(tree: Tree, config: Config) -> RepoIndex:
    from dockfix.graph.commands import from_commands

    explicit = (sources.from_config(config) + sources.from_compose(tree) + sources.from_bake(tree)
                + from_commands(tree))
    # A file a build names is a Dockerfile whatever its name (`docker build -f t/smoke/dev`).
    files = set(tree.paths())
    paths = find_dockerfiles(tree, frozenset(m.dockerfile for m in explicit if m.dockerfile in files))
    known = set(paths)
    winners: dict[str, ImageMapping] = {}
    unnamed: list[ImageMapping] = []
    for m in explicit:
        if m.dockerfile not in known:
            continue
        if not m.ref:
            unnamed.append(m)
        elif m.ref not in winners:
            winners[m.ref] = m
    return RepoIndex(tuple(paths), tuple(winners.values()), frozenset(winners), tuple(unnamed))


# From this many Dockerfiles, the whole repository's index (compose, bake and script files
# read and parsed: about as long as parsing the Dockerfiles) is made in a forked child
# while this process parses.
INDEX_IN_CHILD_MIN = 64


def _index_meanwhile(tree: Tree, config: Config, dockerfiles: int) -> Callable[[bool], RepoIndex | None]:
    """`index_repo`, started now; call the result for it (with False when it is no longer
    wanted: the child is reaped, nothing is made). The first index of a large
    repository is made in a forked child, which sends back its source-file memo too (later
    indexes are memo hits); anything unusual (no fork, threads, a child that fails) makes
    it here instead, so the result is always `index_repo`'s."""
    import os
    import threading

    if (dockerfiles < INDEX_IN_CHILD_MIN or sources.memo_entries() or not hasattr(os, "fork")
            or threading.active_count() > 1):
        index = index_repo(tree, config)
        return lambda wanted=True: index
    import pickle
    import signal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: make the index, send it, leave without running exit handlers
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                index = index_repo(tree, config)
                pickle.dump((index, sources.memo_entries()), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)

    def result(wanted: bool = True) -> RepoIndex | None:
        if not wanted:
            os.close(read_end)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        with os.fdopen(read_end, "rb") as inp:
            data = inp.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            try:
                index, memo = pickle.loads(data)
            except Exception:  # noqa: BLE001 - a broken message: make the index here
                pass
            else:
                sources.memo_add(memo)
                return index
        return index_repo(tree, config)

    return result


# Templates skipped by the graphs of this process, to warn about once: (root, path) -> line.
_TEMPLATES: dict[tuple[str, str], int] = {}
# Dockerfiles BuildKit rejects, met by the graphs of this process: (root, path) -> error.
_UNPARSABLE: dict[tuple[str, str], DockerfileSyntaxError] = {}


class UnreadableFile(DockerfileSyntaxError):
    """A Dockerfile the file system would not let us read: bad input, never skipped (what
    it holds is unknown, so nothing built from it can be judged)."""


def _on_disk(root: str, path: str) -> str:
    return root.rstrip("/") + "/" + path if root else path


def skipped_templates() -> list[Template]:
    """The templates graphs skipped since the last call (the CLI prints them), by path."""
    found = sorted(_TEMPLATES.items())
    _TEMPLATES.clear()
    return [Template(_on_disk(root, path), line) for (root, path), line in found]


def skipped_unparsable(root: str | None = None) -> list[str]:
    """Warnings for the Dockerfiles BuildKit rejects that graphs met since the last call
    (all roots, or only `root`'s, which are then forgotten), by path: each was skipped."""
    found = sorted(k for k in _UNPARSABLE if root is None or k[0] == root)
    out = []
    for key in found:
        err = _UNPARSABLE.pop(key)
        where = _on_disk(*key) + (f":{err.line}" if err.line is not None else "")
        out.append(f"{where}: warning: {err.message}; BuildKit rejects this file, skipped")
    return out


def _node(tree: Tree, path: str) -> DockerfileNode | None:
    """The parsed file; None for a template (recorded for `skipped_templates`). A file
    BuildKit rejects is a node with its error (recorded for `skipped_unparsable`)."""
    try:
        data = tree.read(path)
    except OSError as oserr:
        return DockerfileNode(path, None, UnreadableFile(f"cannot read: {oserr.strerror}", path=path))
    line = template_line(path, data)
    if line is not None:
        _TEMPLATES[(str(tree.root), path)] = line
        return None
    doc, err = parse_cached(path, data)
    if err is not None:
        _UNPARSABLE[(str(tree.root), path)] = err
    return DockerfileNode(path, doc, err)


def _add_nodes(nodes: dict[str, DockerfileNode], tree: Tree, paths: list[str]) -> None:
    for path in paths:
        if path not in nodes:
            node = _node(tree, path)
            if node is not None:
                nodes[path] = node


def build_graph(tree: Tree, config: Config) -> Graph:
    nodes, index, paths = _nodes_and_index(tree, config)
    graph = Graph(root=str(tree.root), tree=tree, dockerfiles=nodes, index=index)
    # Image map: first source wins per image reference (decided over the whole repository).
    for m in index.mappings:
        if m.dockerfile in graph.dockerfiles:
            graph.images[m.ref] = m
    first_mapping: dict[str, ImageMapping] = {}
    for m in graph.images.values():
        first_mapping.setdefault(m.dockerfile, m)
    _decide_contexts(graph, index)
    bases = _Bases(graph, paths, tree.scope, first_mapping)
    for path, node in sorted(graph.dockerfiles.items()):
        if node.document is not None:
            bases.of_file(path, node.document)
    return graph


def _nodes_and_index(tree: Tree, config: Config) -> tuple[dict[str, DockerfileNode], RepoIndex, list[str]]:
    """The parsed Dockerfiles of the tree (of its scope), the repository index, and every
    Dockerfile path the index knows (the name heuristic looks among them)."""
    scope: Scope | None = tree.scope
    if scope is not None:
        paths = list(scope.index.dockerfiles)
        in_scope = [p for p in paths if p in scope.dockerfiles]
        later = lambda wanted=True: scope.index  # noqa: E731 - the index a scope carries
    else:
        paths = in_scope = find_dockerfiles(tree)  # the child, if any, inherits the listing
        later = _index_meanwhile(tree, config, len(paths))
    nodes: dict[str, DockerfileNode] = {}
    try:
        _add_nodes(nodes, tree, in_scope)
    except BaseException:
        later(False)  # an interrupt: reap the child, if any, and make nothing
        raise
    index = later()
    if scope is None:  # files only a build names are known from the index
        paths = list(index.dockerfiles)
        _add_nodes(nodes, tree, paths)
    return nodes, index, paths


@dataclass
class _Bases:
    """Stage bases; unmapped `*-base` references may be inferred to an in-repo Dockerfile
    (added to the graph's images as they are met, in path order)."""

    graph: Graph
    paths: list[str]
    scope: Scope | None
    first_mapping: dict[str, ImageMapping]

    def of_file(self, path: str, doc: Document) -> None:
        m = self.first_mapping.get(path)
        build_args = m.args if m else {}
        words = tuple(w for ins in doc.global_args() for w in ins.value)
        resolved = _resolved_bases(words, tuple(build_args.items()), doc.escape, tuple(st.base for st in doc.stages))
        names: dict[str, int] = {}
        for st, (name, how) in zip(doc.stages, resolved):
            self.graph.bases[(path, st.index)] = self._base(path, st.base, name, how, names)
            if st.name:
                names[st.name] = st.index

    def _base(self, path: str, raw: str, resolved: str, how: str, names: dict[str, int]) -> BaseRef:
        if resolved.lower() in names:
            return BaseRef("stage", resolved.lower(), raw, how, stage=names[resolved.lower()])
        ref = normalise_ref(resolved) if resolved and resolved != "scratch" else resolved
        mapped = self.graph.images.get(ref)
        if mapped is None and ref:
            mapped = self._inferred(path, ref, resolved)
        if mapped is not None and mapped.dockerfile != path:
            return BaseRef("internal", ref, raw, how, image=mapped)
        return BaseRef("external", ref, raw, how)

    def _inferred(self, path: str, ref: str, resolved: str) -> ImageMapping | None:
        """The name heuristic's in-repo Dockerfile for `ref`, mapped from now on; None."""
        guess = sources.infer_base(ref, self.paths, path)
        if self.scope is not None:
            _check_closed(self.scope, ref, guess, path)
        if guess is None or guess.dockerfile == path or guess.dockerfile not in self.graph.dockerfiles:
            return None
        gnode = self.graph.dockerfiles[guess.dockerfile]
        guess = ImageMapping(ref=guess.ref, dockerfile=guess.dockerfile, context=gnode.context,
                             raw_ref=resolved, source=guess.source, context_unknown=gnode.context_unknown)
        self.graph.images[ref] = guess
        self.first_mapping.setdefault(guess.dockerfile, guess)
        return guess


# Each FROM's resolved name by (global ARG words, build args, escape, FROMs as written): the
# engine builds a graph per transform, and most files' FROMs and ARGs are the same each time.
_RESOLVED: Memo = Memo(50_000)


def _resolved_bases(words: tuple[str, ...], args: tuple[tuple[str, str], ...], escape: str,
                    raws: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(image name, how it got its value) of each FROM as BuildKit expands it with the global
    ARGs. The build as the mapping describes it: an ARG it does not pass and without default
    is unset, as BuildKit reads that build."""
    key = (words, args, escape, raws)
    hit = _RESOLVED.get(key)
    if hit is None:
        build_args = dict(args)
        global_scope = WordScope.of_globals(list(words), build_args, escape, args_complete=True)
        how_of = _how_of(list(words), build_args)
        out = []
        for raw in raws:
            resolved, vars_used = _base_name(raw, global_scope, escape)
            how = " + ".join(sorted({how_of.get(v, "unset ARG") for v in vars_used})) if vars_used else "as written"
            out.append((resolved, how))
        hit = _RESOLVED.put(key, tuple(out))
    return hit


def _how_of(words: list[str], build_args: dict[str, str]) -> dict[str, str]:
    """How each global ARG gets its value: from the build, or from its default."""
    how_of: dict[str, str] = {}
    for word in words:
        name, eq, _ = word.partition("=")
        if name in build_args:
            how_of[name] = "build arg"
        elif eq:
            how_of[name] = "ARG default"
    return how_of


def _check_closed(scope: Scope, ref: str, guess: ImageMapping | None, path: str) -> None:
    """A scope must hold every in-repo image its Dockerfiles build FROM; otherwise its graph
    would call that base external and differ from the whole graph (a scheduler bug)."""
    if ref in scope.index.mapped_refs:  # mapped, yet not in this scope's graph
        raise RuntimeError(f"{path}: scope is not closed: FROM {ref} is built outside it")
    if guess is not None and guess.dockerfile != path and guess.dockerfile not in scope.dockerfiles:
        raise RuntimeError(f"{path}: scope is not closed: FROM {ref} is built from {guess.dockerfile}")


def _base_name(raw: str, scope: WordScope, escape: str) -> tuple[str, list[str]]:
    """FROM's image name as BuildKit expands it with the global ARGs, and the names it
    reads; "" when it cannot be read (a platform ARG, an invalid word)."""
    used: list[str] = []
    value = expand_word(raw, scope, escape, used)
    return (value.text or "") if value.is_known else "", used


def _dockerignore_path(tree: Tree, dockerfile: str, context: str) -> str | None:
    own = dockerfile + ".dockerignore"  # BuildKit: <Dockerfile>.dockerignore wins
    if tree.exists(own):
        return own
    ctx = posixpath.join(context, ".dockerignore") if context else ".dockerignore"
    return ctx if tree.exists(ctx) else None


def _decide_contexts(graph: Graph, index: RepoIndex) -> None:
    """Each Dockerfile's context: from its first mapping (in source order) whose context
    can be read, named or not; else inferred from its COPY sources; else unknown. An image
    whose own reading is unknown takes its Dockerfile's decision."""
    read: dict[str, ImageMapping] = {}
    unread: dict[str, ImageMapping] = {}
    for m in list(graph.images.values()) + list(index.unnamed):
        (read if m.context_unknown is None else unread).setdefault(m.dockerfile, m)
    tree = graph.tree
    ignores: list = []  # the tree's .gitignore rules, read once, when a source is missing

    def gitignores():
        if not ignores:
            ignores.append(GitIgnores.of_tree(tree))
        return ignores[0]

    for path, node in graph.dockerfiles.items():
        m = read.get(path)
        if m is not None:
            node.context, node.context_source = m.context, str(m.source)
        else:
            node.context, node.context_source, node.context_unknown = _infer_context(
                tree, path, node.document, unread.get(path), gitignores)
        node.dockerignore = _dockerignore_path(tree, path, node.context)
    for ref, m in list(graph.images.items()):
        if m.context_unknown is not None:
            node = graph.dockerfiles[m.dockerfile]
            graph.images[ref] = dataclasses.replace(m, context=node.context, context_unknown=node.context_unknown)


def _infer_context(tree: Tree, path: str, doc: Document | None, unread: ImageMapping | None = None,
                   gitignores: Callable | None = None) -> tuple[str, str, UnknownContext | None]:
    """Without a reading: the one directory, from the Dockerfile's own up to the root, in
    which every COPY/ADD source of the file exists. When there is none, or more than one
    (`COPY . .` is in every one: the sources do not say which the build sends), the context
    is unknown (the Dockerfile's folder is kept as a placeholder, never judged)."""
    here = posixpath.dirname(path)
    srcs = _context_sources(doc)
    note = f"; {unread.source}: context {unread.context_unknown}" if unread is not None else ""
    if not srcs:
        return here, "inferred: the Dockerfile's folder" + note, None
    candidates = [here]
    while candidates[-1]:
        candidates.append(posixpath.dirname(candidates[-1]))
    holding = _holding(tree, candidates, srcs)
    if len(holding) == 1:
        where = holding[0] or "."
        return holding[0], f"inferred: COPY sources resolve in {where}" + note, None
    if not holding:
        made = _holding_with_generated(tree, candidates, srcs, gitignores)
        if made is not None:
            where, generated = made
            return where, (f"inferred: COPY sources resolve in {where or '.'}, but {generated}, which "
                           "CI makes before the build") + note, None
    unknown = _ambiguous_context(holding, unread) if holding else _no_context(tree, srcs, candidates, unread)
    return here, str(unknown), unknown


def _holding_with_generated(tree: Tree, candidates: list[str], srcs: list[str],
                            gitignores: Callable | None = None) -> tuple[str, str] | None:
    """The one candidate in which every source exists but those a `.gitignore` of the
    repository covers there (`dist/`, a generated version file: CI makes them before the
    build; issue 13), and at least one source exists: (candidate, what covers the others).
    None when no candidate, or more than one, holds them so."""
    ignores = gitignores() if gitignores is not None else GitIgnores.of_tree(tree)
    if not ignores.files:
        return None
    if any(c in s for s in srcs for c in "*?["):
        return None
    found = [(cand, why) for cand in candidates
             if (why := _generated_elsewhere(tree, ignores, cand, srcs)) is not None]
    return found[0] if len(found) == 1 else None


def _generated_elsewhere(tree: Tree, ignores, cand: str, srcs: list[str]) -> str | None:
    """What covers the sources `cand` lacks, when a `.gitignore` covers each and `cand` holds
    at least one source; None otherwise."""
    missing = [s for s in srcs if not _source_exists(tree, cand, s)]
    if not missing or len(missing) == len(srcs):
        return None
    first = None
    for s in missing:  # stops at the first one no .gitignore covers
        hit = ignores.deciding(_inside(cand, s))
        if hit is None:
            return None
        first = first or (s, hit)
    s, h = first
    return f"{s!r} is missing ({h.file}:{h.line}: {h.text} ignores it)"


def _inside(context: str, src: str) -> str:
    """A source's repository path in a context (BuildKit keeps `../x` and `/x` inside it)."""
    rel = posixpath.normpath("/" + src).lstrip("/")
    return posixpath.normpath(posixpath.join(context, rel)) if context else rel


def _holding(tree: Tree, candidates: list[str], srcs: list[str]) -> list[str]:
    """The first two candidates in which every source exists (two are enough to know the
    reading is not unique)."""
    found: list[str] = []
    for cand in candidates:
        if all(_source_exists(tree, cand, s) for s in srcs):
            found.append(cand)
            if len(found) == 2:
                break
    return found


def _ambiguous_context(holding: list[str], unread: ImageMapping | None) -> UnknownContext:
    reason = (f"no build names this Dockerfile, and every COPY/ADD source exists in {holding[0] or '.'} "
              f"and in {holding[1] or '.'}: which folder the build sends is not read")
    if unread is not None:
        reason = f"{unread.context_unknown.reason}; and {reason}"
    return UnknownContext(reason, tuple(c or "." for c in holding))


def _no_context(tree: Tree, srcs: list[str], candidates: list[str], unread: ImageMapping | None) -> UnknownContext:
    missing = sorted({s for s in srcs if not any(_source_exists(tree, c, s) for c in candidates)})
    reason = ("no directory from the Dockerfile's folder up to the repository root holds every COPY/ADD source"
              + (f" ({', '.join(repr(m) for m in missing[:3])} in none)" if missing else ""))
    if unread is not None:
        reason = f"{unread.context_unknown.reason}; and {reason}"
    looked = (unread.context_unknown.looked if unread is not None else ()) + tuple(c or "." for c in candidates)
    return UnknownContext(reason, looked)


def _context_sources(doc: Document | None) -> list[str]:
    """The literal local COPY/ADD sources (no URLs, git, variables, other stages)."""
    if doc is None:
        return []
    return [s for ins in doc.instructions
            if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs
            for s in ins.value[:-1] if not ("://" in s or s.startswith("git@") or "$" in s)]


def _source_exists(tree: Tree, context: str, src: str) -> bool:
    # BuildKit reads a source inside the context: `../x` and `/x` are the context's `x`.
    inside = posixpath.normpath("/" + src).lstrip("/")
    rel = posixpath.normpath(posixpath.join(context, inside)) if context else posixpath.normpath(inside)
    if any(c in src for c in "*?["):
        # BuildKit's wildcard (model.copy: filepath.Match per path component, `*` never
        # crosses `/`), matched against the candidate's own files.
        from dockfix.model.copy import named_files

        return bool(named_files(tree.under(context), src))
    return rel in ("", ".") or tree.exists(rel) or tree.is_dir(rel)


def format_graph(graph: Graph) -> str:
    lines = []
    for ref in graph.build_order():
        m = graph.images[ref]
        node = graph.dockerfiles[m.dockerfile]
        stage = graph.image_stage(m)
        st_name = ""
        if node.document is not None and stage is not None:
            st = node.document.stages[stage]
            st_name = f":{st.name or stage}"
        base = graph.bases.get((m.dockerfile, stage)) if stage is not None else None
        lines.append(f"{ref}")
        lines.append(f"  dockerfile: {m.dockerfile}{st_name}")
        if base is not None:
            kind = {"internal": "in-repo image", "external": "external", "stage": "stage"}[base.kind]
            lines.append(f"  base:       {base.ref} ({kind}; {base.how}: FROM {base.raw})")
        lines.append(_image_context_line(m, node))
        lines.append(f"  mapped by:  {m.source}")
    for p in sorted(p for p in graph.dockerfiles if not graph.images_built_from(p)):
        lines += _unmapped_lines(graph, p)
    return "\n".join(lines) + "\n"


def _unmapped_lines(graph: Graph, p: str) -> list[str]:
    """A Dockerfile no image is mapped to: its stages' bases and its context."""
    node = graph.dockerfiles[p]
    if node.error is not None:
        return [f"(unparsable) {p}: {node.error}"]
    lines = [f"(no image name) {p}"]
    for st in node.document.stages:
        b = graph.bases.get((p, st.index))
        if b is not None:
            lines.append(f"  stage {st.name or st.index}: FROM {b.ref} ({b.kind}; {b.how})")
    lines.append(f"  context:    {node.context_unknown}" if node.context_unknown is not None
                 else f"  context:    {node.context or '.'} ({node.context_source})")
    return lines


def _image_context_line(m: ImageMapping, node: DockerfileNode) -> str:
    if m.context_unknown is not None:
        return f"  context:    {m.context_unknown}"
    return f"  context:    {m.context or '.'}" + (f" (.dockerignore: {node.dockerignore})" if node.dockerignore else "")


def graph_to_json(graph: Graph) -> dict:
    images = []
    for ref in graph.build_order():
        m = graph.images[ref]
        stage = graph.image_stage(m)
        base = graph.bases.get((m.dockerfile, stage)) if stage is not None else None
        images.append({
            "image": ref, "dockerfile": m.dockerfile, "stage": stage, "target": m.target,
            "context": m.context or ".", "context_unknown": _unknown_json(m.context_unknown), "args": m.args,
            "base": None if base is None else {"ref": base.ref, "kind": base.kind, "how": base.how, "from": base.raw},
            "source": {"kind": m.source.kind, "path": m.source.path, "line": m.source.line,
                       "detail": m.source.detail},
        })
    dockerfiles = []
    for p, node in sorted(graph.dockerfiles.items()):
        dockerfiles.append({"path": p, "context": node.context or ".", "context_source": node.context_source,
                            "context_unknown": _unknown_json(node.context_unknown),
                            "dockerignore": node.dockerignore,
                            "error": str(node.error) if node.error else None})
    return {"images": images, "dockerfiles": dockerfiles}


def _unknown_json(u: UnknownContext | None) -> dict | None:
    return None if u is None else {"reason": u.reason, "looked": list(u.looked)}
