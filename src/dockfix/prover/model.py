"""The effective image model: what each image of the graph is, re-derived from the texts.

For every image (and every Dockerfile without an image name, keyed by its path) the model
replays the target stage: FROM (through in-repo images and earlier stages), config
(ENV with ARG and `${VAR:-x}` expansion, WORKDIR, USER, CMD, …), the files COPY/ADD bring
from the build context after `.dockerignore` (or from another stage), pip installs (the
requirement files they read, their `-r`/`-c` closure, whether each file is in the image at
that step, which site a `--user` install lands in), apt/apk packages, the Python version,
and the build breaks it can predict (a COPY of an excluded or missing source, a missing
requirement file). This module imports no transform.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re
from dataclasses import dataclass, field

from dockfix.config import Config
from dockfix.graph import Graph, build_graph
from dockfix.graph.model import expand
from dockfix.graph.dockerignore import DockerIgnore
from dockfix.memo import Memo
from dockfix.model.copy import (
    BuildContext,
    CopyResult,
    CopySpec,
    FailureKind,
    Origin,
    PathKind,
    StageFiles,
    copy_result,
    destination,
    is_remote,
    names_a_directory,
)
from dockfix.model.copy import Failure as CopyFailure
from dockfix.model.gitignore import GitIgnores
from dockfix.syntax import Document, Instruction, shellwords
from dockfix.tree import SKIP_DIRS, Tree

_PY_TAG = re.compile(r"^(?:[\w.-]+(?::\d+)?/)*python:(\d+\.\d+)")
_APT_PY = re.compile(r"^python(\d+\.\d+)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REQUIREMENT_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)[\s=]+(\S+)")
_SPACES = re.compile(r"\s+")
_PIP_PROGRAM = re.compile(r"^pip[0-9.]*$")
_PYTHON_PROGRAM = re.compile(r"^python[0-9.]*$")


# Where a COPY source's context files land, by everything that decides it: the before and
# after models replay the same COPYs, and images of one context repeat them.
_LANDED: Memo = Memo(50_000)  # -> ({image path: FileEntry}, failures)


class _Listing(tuple):
    """A context's files after .dockerignore, hashed once: it is part of the key of every
    COPY from that context, and a repository-root context can hold tens of thousands."""

    def __hash__(self) -> int:
        found = self.__dict__.get("hash")
        if found is None:
            found = self.__dict__["hash"] = tuple.__hash__(self)
        return found


@dataclass(frozen=True)
class Break:
    """A step the build would fail at."""

    kind: str  # copy-excluded-source | copy-missing-source | missing-requirement-file | unknown-stage
    path: str  # Dockerfile
    line: int
    message: str
    subject: str = ""  # what is missing: the COPY source or the requirement file
    detail: str = ""  # e.g. the .dockerignore pattern "path:line: pattern"


@dataclass(frozen=True)
class FileEntry:
    origin: str  # "context:<relpath>" | "stage:<...>" | "base:<image>"
    owner: str | None  # --chown value, None = root


@dataclass(frozen=True)
class PipInstall:
    line: int
    path: str
    user: str  # the USER the RUN ran as ("root" when none)
    user_site: bool  # --user
    site: str  # image path of the site, "system" for a system-wide install
    files: tuple[str, ...]  # requirement files read (image paths, closure included)
    requirements: tuple[str, ...]  # the requirement lines of the closure and the packages named


@dataclass
class StageState:
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = ""
    shell: tuple[str, ...] = ("/bin/sh", "-c")
    cmd: tuple[str, ...] | None = None
    cmd_json: bool = True
    entrypoint: tuple[str, ...] | None = None
    expose: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    stopsignal: str | None = None
    volumes: tuple[str, ...] = ()
    onbuild: tuple[str, ...] = ()
    files: dict[str, FileEntry] = field(default_factory=dict)  # image path -> entry
    sites: dict[str, frozenset[str]] = field(default_factory=dict)  # site path -> requirements (immutable: copies share them)
    pip: list[PipInstall] = field(default_factory=list)
    packages: frozenset[str] = frozenset()  # apt/apk
    python: str | None = None  # "3.11", or None when unknown
    python_source: str = "unknown external base"
    breaks: list[Break] = field(default_factory=list)
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> (path, line) that set it

    def copy(self) -> "StageState":
        new = copy.copy(self)  # the scalars; then fresh containers (dataclasses.replace was slow here)
        new.env, new.args, new.labels = dict(self.env), dict(self.args), dict(self.labels)
        new.files, new.sites = dict(self.files), dict(self.sites)
        new.pip, new.breaks, new.where = list(self.pip), list(self.breaks), dict(self.where)
        return new


@dataclass
class ImageModel:
    key: str  # image ref, or "<dockerfile>" for an unnamed one
    dockerfile: str
    stage: int
    state: StageState
    base_chain: tuple[str, ...]  # in-repo images this one is built on, nearest first
    context: str
    external_base: str | None


def _expand(text: str, env: dict[str, str]) -> str:
    return expand(text, env)[0]


def _unquote(v: str) -> str:
    try:
        parts = shellwords.split(v)
    except ValueError:
        return v
    return " ".join(parts) if parts else ""


def home_of(state: StageState) -> str:
    user = (state.user or "root").split(":")[0]
    if "HOME" in state.env:
        return state.env["HOME"]
    return "/root" if user in ("root", "0") else f"/home/{user}"


class ModelBuilder:
    def __init__(self, tree: Tree, config: Config, graph: Graph | None = None):
        self.tree = tree
        self.config = config
        self.graph = graph or build_graph(tree, config)
        self._stage_cache: dict[tuple[str, int], StageState] = {}
        self._in_progress: set[tuple[str, int]] = set()
        self._context_cache: dict[tuple[str, str | None], tuple[str, ...]] = {}
        self._base_files: dict[tuple[str, int, str], dict[str, FileEntry]] = {}

    # -- context files after .dockerignore
    def _context(self, dockerfile: str) -> tuple[str, tuple[str, ...]]:
        node = self.graph.dockerfiles[dockerfile]
        key = (node.context, node.dockerignore)
        if key not in self._context_cache:
            ignore = self.graph.dockerignore_for(dockerfile)
            self._context_cache[key] = _Listing(ignore.filter(self.graph.context_files(node.context)))
        return node.context, self._context_cache[key]

    def models(self) -> dict[str, ImageModel]:
        out: dict[str, ImageModel] = {}
        for ref, m in sorted(self.graph.images.items()):
            stage = self.graph.image_stage(m)
            node = self.graph.dockerfiles.get(m.dockerfile)
            if stage is None or node is None or node.document is None:
                continue
            out[ref] = self._image(ref, m.dockerfile, stage, m.args)
        mapped = {m.dockerfile for m in self.graph.images.values()}
        for path, node in sorted(self.graph.dockerfiles.items()):
            if path in mapped or node.document is None or not node.document.stages:
                continue
            out[f"<{path}>"] = self._image(f"<{path}>", path, node.document.stages[-1].index, {})
        return out

    def _image(self, key: str, dockerfile: str, stage: int, build_args: dict[str, str]) -> ImageModel:
        state = self.stage_state(dockerfile, stage, build_args)
        chain: list[str] = []
        ext = None
        d, s = dockerfile, stage
        seen = set()
        while (d, s) not in seen:
            seen.add((d, s))
            b = self.graph.base_of(d, s)
            if b is None:
                break
            if b.kind == "stage":
                s = b.stage
                continue
            if b.kind == "internal":
                chain.append(b.ref)
                d, s = b.image.dockerfile, self.graph.image_stage(b.image)
                if s is None:
                    break
                continue
            ext = b.ref
            break
        return ImageModel(key, dockerfile, stage, state, tuple(chain), self.graph.dockerfiles[dockerfile].context, ext)

    # -- stage replay
    def stage_state(self, dockerfile: str, stage: int, build_args: dict[str, str] | None = None) -> StageState:
        key = (dockerfile, stage)
        if key in self._stage_cache:
            return self._stage_cache[key]
        if key in self._in_progress:  # a cycle: the graph reports it; model an empty stage
            return StageState()
        self._in_progress.add(key)
        try:
            state = self._replay(dockerfile, stage, build_args or {})
        finally:
            self._in_progress.discard(key)
        self._stage_cache[key] = state
        return state

    def _base_state(self, dockerfile: str, stage: int) -> StageState:
        b = self.graph.base_of(dockerfile, stage)
        if b is None:
            return StageState()
        if b.kind == "stage":
            return self.stage_state(dockerfile, b.stage).copy()
        if b.kind == "internal":
            st = self.graph.image_stage(b.image)
            if st is None:
                return StageState()
            source = self.stage_state(b.image.dockerfile, st, b.image.args)
            key = (b.image.dockerfile, st, b.ref)
            files = self._base_files.get(key)
            if files is None:  # every image built on this base starts with the same files
                files = self._base_files[key] = {
                    p: FileEntry(f"base:{b.ref}:{e.origin}", e.owner) for p, e in source.files.items()}
            base = source.copy()
            base.breaks = []  # the base's own breaks are reported on the base image
            base.files = dict(files)
            return base
        state = StageState()
        m = _PY_TAG.match(b.ref)
        if m:
            state.python, state.python_source = m.group(1), f"base image {b.ref}"
            state.env["PATH"] = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
            state.env["LANG"] = "C.UTF-8"
        else:
            state.env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            state.python_source = f"unknown external base {b.ref}"
        return state

    def _replay(self, dockerfile: str, stage: int, build_args: dict[str, str]) -> StageState:
        node = self.graph.dockerfiles[dockerfile]
        doc: Document = node.document
        st = doc.stages[stage]
        state = self._base_state(dockerfile, stage)
        # Global ARG defaults are visible to a stage only when redeclared.
        globals_: dict[str, str] = {}
        for ins in doc.global_args():
            for word in ins.value:
                name, eq, default = word.partition("=")
                globals_[name] = build_args.get(name, _unquote(default) if eq else "")
        state.args = {}
        for ins in doc.stage_instructions(st)[1:]:
            self._step(state, doc, dockerfile, ins, globals_, build_args)
        return state

    def _scope(self, state: StageState) -> dict[str, str]:
        scope = dict(state.args)
        scope.update(state.env)
        return scope

    def _step(self, state: StageState, doc: Document, path: str, ins: Instruction,
              globals_: dict[str, str], build_args: dict[str, str]) -> None:
        kw = ins.keyword
        where = (path, ins.start_line)
        if kw == "ARG":
            for word in ins.value:
                name, eq, default = word.partition("=")
                if name in build_args:
                    state.args[name] = build_args[name]
                elif eq:
                    state.args[name] = _expand(_unquote(default), self._scope(state))
                else:
                    state.args[name] = globals_.get(name, "")
                state.where[f"ARG {name}"] = where
        elif kw == "ENV":
            scope = self._scope(state)
            v = ins.value
            for i in range(0, len(v) - 1, 2):
                state.env[v[i]] = _expand(_unquote(v[i + 1]), scope)
                state.where[f"ENV {v[i]}"] = where
        elif kw == "WORKDIR":
            wd = _expand(ins.value[0], self._scope(state)) if ins.value else "/"
            state.workdir = posixpath.normpath(posixpath.join(state.workdir, wd))
            state.where["WORKDIR"] = where
        elif kw == "USER":
            state.user = _expand(ins.value[0], self._scope(state)) if ins.value else ""
            state.where["USER"] = where
        elif kw == "SHELL":
            state.shell = ins.value
        elif kw == "CMD":
            state.cmd, state.cmd_json = ins.value, ins.json
            state.where["CMD"] = where
        elif kw == "ENTRYPOINT":
            state.entrypoint = ins.value
            state.cmd = None if state.where.get("CMD", ("", 0))[0] != path else state.cmd
            state.where["ENTRYPOINT"] = where
        elif kw == "EXPOSE":
            state.expose = tuple(sorted(set(state.expose) | {_expand(p, self._scope(state)) for p in ins.value}))
            state.where["EXPOSE"] = where
        elif kw == "HEALTHCHECK":
            state.healthcheck = tuple(ins.flags) + ins.value
            state.where["HEALTHCHECK"] = where
        elif kw == "LABEL":
            v = ins.value
            for i in range(0, len(v) - 1, 2):
                state.labels[_unquote(v[i])] = _unquote(v[i + 1])
        elif kw == "STOPSIGNAL":
            state.stopsignal = ins.value[0] if ins.value else None
        elif kw == "VOLUME":
            state.volumes = tuple(state.volumes) + ins.value
        elif kw == "ONBUILD":
            state.onbuild = tuple(state.onbuild) + (ins.args,)
        elif kw in ("COPY", "ADD"):
            self._copy(state, doc, path, ins)
        elif kw == "RUN":
            self._run(state, path, ins)

    # -- files
    def _copy(self, state: StageState, doc: Document, path: str, ins: Instruction) -> None:
        """What a COPY/ADD lands, read by dockfix.model.copy (BuildKit's rules); failures it
        predicts are breaks, files it cannot know land as `unknown:` entries."""
        scope = self._scope(state)
        spec = CopySpec.of(ins, lambda word: _expand(word, scope))
        if spec is None:
            return
        dest = self._dest(state, spec.dest)
        kind = _dest_kind(state, dest, spec.dest)
        if spec.from_ is not None:
            self._copy_from_stage(state, doc, path, ins, spec, dest, kind)
            return
        context, files = self._context(path)
        # The ignore file by identity (DockerIgnore.parse keeps one object per content): its
        # lines name the pattern of an excluded source, even when the kept listing is the same.
        node = self.graph.dockerfiles[path]
        key = (context, files, spec, state.workdir, kind, self._ignored_key(), node.dockerignore,
               self.graph.dockerignore_for(path))
        landed = _LANDED.get(key)
        if landed is None:
            landed = _LANDED.put(key, self._landed(path, context, files, spec, state.workdir, kind))
        entries, failures = landed
        state.files.update(entries)
        for failure in failures:
            self._missing_source(state, path, ins, context, failure)

    def _landed(self, path: str, context: str, files: tuple[str, ...], spec: CopySpec, workdir: str,
                kind: PathKind) -> tuple[dict[str, FileEntry], tuple[CopyFailure, ...]]:
        """Where the step's files land ({image path: entry}) and the failures it predicts."""
        node = self.graph.dockerfiles[path]
        build = BuildContext(files, self.graph.context_files(context), self.graph.dockerignore_for(path),
                             node.dockerignore or "", read=lambda rel: _archive_bytes(self.tree, _rebase(context, rel)),
                             unlisted=lambda rel: self._unlisted(_rebase(context, rel)))
        result = copy_result(spec, workdir, build, lambda _: kind)
        return _entries(result, spec, context), result.failures

    def _unlisted(self, repo_path: str) -> str | None:
        """Why a source the context listing lacks may still be there at build time."""
        parts = repo_path.split("/")
        skipped = next((p for p in parts if p in SKIP_DIRS), None)
        if skipped and os.path.lexists(os.path.join(self.tree.root, repo_path)):
            return f"{repo_path} is below {skipped}, which the listing does not read"
        hit = self._gitignores().deciding(repo_path)
        if hit is not None:
            return f"{hit.file}:{hit.line}: {hit.text} ignores {repo_path}: CI makes it before the build"
        if os.path.lexists(os.path.join(self.tree.root, repo_path)):
            return f"{repo_path} is on disk but not among the files read (an empty directory or excluded)"
        return None

    def _gitignores(self) -> GitIgnores:
        found = self.__dict__.get("_git")
        if found is None:
            found = self.__dict__["_git"] = GitIgnores.read(
                [p for p in self.tree.paths() if p.endswith(".gitignore")], self.tree.read)
        return found

    def _ignored_key(self) -> tuple:
        """What `_unlisted` reads besides the listing: the tree's disk and its .gitignore rules."""
        found = self.__dict__.get("_git_key")
        if found is None:
            found = self.__dict__["_git_key"] = (str(self.tree.root), tuple(
                (d, tuple(p.text for p in pats)) for d, pats in sorted(self._gitignores().files.items())))
        return found

    def _missing_source(self, state: StageState, path: str, ins: Instruction, context: str,
                        failure: CopyFailure) -> None:
        src = failure.source
        if failure.kind is FailureKind.EXCLUDED_SOURCE:
            node = self.graph.dockerfiles[path]
            detail = f"{node.dockerignore}:{failure.pattern_line}: {failure.pattern}" if failure.pattern else ""
            state.breaks.append(Break("copy-excluded-source", path, ins.start_line,
                                      f"COPY source {src!r} is excluded by .dockerignore"
                                      + (f" ({detail})" if detail else "")
                                      + "; the build fails at this step", src, detail))
        elif failure.kind is FailureKind.MISSING_SOURCE:
            state.breaks.append(Break("copy-missing-source", path, ins.start_line,
                                      f"COPY source {src!r} does not exist in the build context "
                                      f"{context or '.'}; the build fails at this step", src))
        else:
            state.breaks.append(Break(failure.kind.value, path, ins.start_line,
                                      f"{ins.keyword}: {failure.message}; the build fails at this step", src))

    def _copy_from_stage(self, state: StageState, doc: Document, path: str, ins: Instruction, spec: CopySpec,
                         dest: str, kind: PathKind) -> None:
        names = {s.name: s.index for s in doc.stages if s.name}
        idx = names.get(spec.from_.lower())
        if idx is None and spec.from_.isdigit() and int(spec.from_) < ins.stage:
            idx = int(spec.from_)
        if idx is None:  # an image: its files are unknown
            result = copy_result(spec, state.workdir, None, lambda _: kind)
        else:
            other = self.stage_state(path, idx)
            result = copy_result(spec, state.workdir, None, lambda _: kind, self._stage_files(doc, path, idx, other))
            # A pip site a RUN made is read as a site (_move_sites), not as unknown files.
            result = CopyResult(result.landed, tuple(u for u in result.unknown
                                                     if not _in_site(other, _stage_path(other, u.source))),
                                result.failures)
        state.files.update(_entries(result, spec, ""))
        for failure in result.failures:  # the model's message: the source is not in that stage
            state.breaks.append(Break(failure.kind.value, path, ins.start_line,
                                      f"{failure.message}; the build fails at this step", failure.source))
        if idx is not None:
            _move_sites(state, other, spec, dest)
            # BuildKit builds the stage --from names: a step that fails there fails this build.
            state.breaks.extend(br for br in other.breaks if br not in state.breaks)

    def _stage_files(self, doc: Document, path: str, idx: int, other: StageState) -> StageFiles:
        """A replayed stage does not change: one listing serves all its --from readers."""
        cache = self.__dict__.setdefault("_stage_listings", {})
        found = cache.get((path, idx))
        if found is None:
            found = cache[(path, idx)] = StageFiles({p: e.origin for p, e in other.files.items()},
                                                    self._stage_complete(doc, path, idx, other), doc.stages[idx].name)
        return found

    def _stage_complete(self, doc: Document, path: str, idx: int, other: StageState) -> bool:
        """Every file of the stage is listed: FROM scratch, no RUN (which may make any file), and
        no step of its own that fails (its files are not known; that step is the defect)."""
        base = self.graph.base_of(path, idx)
        if other.breaks:
            return False
        if base is None or base.kind != "external" or base.ref != "scratch":
            return False
        return not any(i.keyword == "RUN" for i in doc.stage_instructions(doc.stages[idx]))

    def _dest(self, state: StageState, dest: str) -> str:
        return destination(dest, state.workdir)

    # -- RUN
    def _run(self, state: StageState, path: str, ins: Instruction) -> None:
        if ins.heredocs:
            script = "\n".join(h.content for h in ins.heredocs)
        elif ins.json:
            script = " ".join(ins.value)
        else:
            script = ins.value[0] if ins.value else ""
        for command in _commands(script):
            words = _words(command)
            if not words:
                continue
            while words and _ASSIGNMENT.match(words[0]):
                words = words[1:]
            if not words:
                continue
            prog = posixpath.basename(words[0])
            if prog in ("apt-get", "apt") and "install" in words:
                pkgs = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
                state.packages = state.packages | frozenset(pkgs)
                for p in pkgs:
                    m = _APT_PY.match(p)
                    if m:
                        state.python, state.python_source = m.group(1), f"apt package {p} ({path}:{ins.start_line})"
            elif prog == "apk" and "add" in words:
                state.packages = state.packages | frozenset(w for w in words[words.index("add") + 1:] if not w.startswith("-"))
            elif _is_pip(words):
                self._pip(state, path, ins, words)

    def _pip(self, state: StageState, path: str, ins: Instruction, words: list[str]) -> None:
        if "install" not in words:
            return
        args = words[words.index("install") + 1:]
        reqfiles: list[str] = []
        packages: list[str] = []
        user_site = False
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(args):
                reqfiles.append(args[i + 1])
                i += 2
                continue
            for opt in ("--requirement=", "--constraint="):
                if a.startswith(opt):
                    reqfiles.append(a[len(opt):])
                    break
            else:
                if a.startswith("-r") and len(a) > 2:
                    reqfiles.append(a[2:])
                elif a == "--user":
                    user_site = True
                elif a in ("-t", "--target", "--prefix", "--root", "-e", "--index-url", "-i",
                           "--extra-index-url", "-f", "--find-links", "--platform", "--python-version"):
                    i += 1
                elif not a.startswith("-"):
                    packages.append(a)
            i += 1
        scope = self._scope(state)
        seen: list[str] = []
        lines: list[str] = []
        for rf in reqfiles:
            self._closure(state, path, ins, self._dest(state, _expand(rf, scope)), seen, lines)
        reqs = tuple(sorted(set(lines) | set(packages)))
        user = (state.user or "root").split(":")[0]
        site = posixpath.join(home_of(state), ".local") if user_site else "system"
        state.pip.append(PipInstall(ins.start_line, path, user, user_site, site, tuple(seen), reqs))
        state.sites[site] = state.sites.get(site, frozenset()).union(reqs)

    def _closure(self, state, path, ins, image_path: str, seen: list[str], lines: list[str]) -> None:
        if image_path in seen:
            return
        seen.append(image_path)
        entry = state.files.get(image_path)
        if entry is None or not entry.origin.startswith(("context:", "base:")):
            state.breaks.append(Break(
                "missing-requirement-file", path, ins.start_line,
                f"pip reads {image_path}, which is not in the image at this step "
                f"(pip: Could not open requirements file); copy it before this RUN",
                subject=image_path))
            return
        origin = entry.origin.split("context:", 1)[-1]
        try:
            text = self.tree.read(origin).decode("utf-8", "replace")
        except OSError:
            return
        here = posixpath.dirname(image_path)
        for raw in text.splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            m = _REQUIREMENT_INCLUDE.match(line)
            if m:
                self._closure(state, path, ins, posixpath.normpath(posixpath.join(here, m.group(2))), seen, lines)
            elif not line.startswith("-"):
                lines.append(_SPACES.sub("", line).lower())


def _names_a_directory(dest: str) -> bool:
    """BuildKit (dockerfile2llb dispatchCopy): a destination of ".", "" or one ending in "/"
    is a directory, so a single file lands inside it (`COPY requirements.txt .`)."""
    return names_a_directory(dest)


def kw_is_url(src: str) -> bool:
    return is_remote(src)


def _rebase(context: str, rel: str) -> str:
    """A context-relative path as a repository path."""
    return posixpath.join(context, rel) if context else rel


_ARCHIVE_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def _archive_bytes(tree: Tree, path: str) -> bytes:
    """What ADD's archive check needs of a context file: all of it when its first bytes look
    like an archive (compressed, or "ustar" at 257), else only those bytes (an ADDed model
    file of gigabytes is not read, nor kept in the tree's cache)."""
    if path in (tree.differing(tree) or ()):  # written in memory: not on disk
        return tree.read(path)
    try:
        with open(os.path.join(tree.root, path), "rb") as fh:
            head = fh.read(512)
    except OSError:
        return tree.read(path)
    if head.startswith(_ARCHIVE_MAGIC) or head[257:262] == b"ustar":
        return tree.read(path)
    return head


def _dest_kind(state: StageState, dest: str, raw: str) -> PathKind:
    """What the destination is before the step. Directories are those the files listed so far
    and the WORKDIR imply; one a RUN or the base image made is not seen (it reads as absent)."""
    entry = state.files.get(dest)
    if entry is not None and not entry.origin.startswith("unknown:"):  # an unknown may be a directory
        return PathKind.FILE
    if names_a_directory(raw):
        return PathKind.DIRECTORY  # a directory either way; no need to look
    wd = state.workdir
    if dest == "/" or dest == wd or wd.startswith(dest + "/"):
        return PathKind.DIRECTORY
    prefix = dest + "/"
    return PathKind.DIRECTORY if any(p.startswith(prefix) for p in state.files) else PathKind.ABSENT


def _entries(result: CopyResult, spec: CopySpec, context: str) -> dict[str, FileEntry]:
    """The prover's file entries for a step's result (origins as before: context:, heredoc:,
    url:, a stage file's own origin; unknown:<reason> where the files cannot be read)."""
    owner = spec.chown
    heredocs = dict(spec.heredocs)
    out: dict[str, FileEntry] = {}
    for u in result.unknown:
        if not u.partial:  # the source stays in the origin: another source is another file
            for where in (u.path, u.also) if u.also else (u.path,):
                out[where] = FileEntry(f"unknown:{u.source}: {u.reason}", owner)
    for f in result.landed:
        if f.origin is Origin.CONTEXT or f.origin is Origin.ARCHIVE:
            origin = f"context:{_rebase(context, f.source)}" if f.origin is Origin.CONTEXT else \
                f"archive:{_rebase(context, f.source)}"
        elif f.origin is Origin.HEREDOC:
            # Keyed by content, not by line: an edit above must not look like a new file.
            origin = f"heredoc:{f.source}:{heredocs.get(f.source, '')}"
        elif f.origin is Origin.URL:
            origin = f"url:{f.source}"
        else:
            origin = f.source
        out[f.path] = FileEntry(origin, owner)
    return out


def _stage_path(other: StageState, src: str) -> str:
    return posixpath.normpath("/" + src.lstrip("/")) if src.startswith("/") else \
        posixpath.normpath(posixpath.join(other.workdir, src))


def _in_site(other: StageState, path: str) -> bool:
    """`path` of a stage is a pip site or below one: what it holds is read as that site."""
    return any(site != "system" and (path == site or path.startswith(site + "/")) for site in other.sites)


def _move_sites(state: StageState, other: StageState, spec: CopySpec, dest: str) -> None:
    """pip sites the copied paths hold move with them (a `--user` site copied to another stage)."""
    for src in spec.sources:
        s = _stage_path(other, src)
        for site, reqs in other.sites.items():
            if site == s or site.startswith(s.rstrip("/") + "/"):
                state.sites[posixpath.normpath(dest + site[len(s):])] = frozenset(reqs)
            elif s.startswith(site + "/") or s == site:
                state.sites[dest] = frozenset(reqs)


def _is_pip(words: list[str]) -> bool:
    prog = posixpath.basename(words[0])
    if _PIP_PROGRAM.match(prog):
        return True
    return bool(_PYTHON_PROGRAM.match(prog)) and words[1:3] == ["-m", "pip"]


_SEPARATORS = re.compile(r"[;\n|&]")


def _commands(script: str) -> list[str]:
    """Split a shell script into simple commands on `&&`, `||`, `;`, `|` and newlines,
    outside quotes. (The prover's own reading: it shares no code with the transforms.)"""
    if not any(c in script for c in "'\"\\"):
        return [c.strip() for c in _SEPARATORS.split(script) if c.strip()]
    out, buf, quote = [], [], ""
    i = 0
    while i < len(script):
        ch = script[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "\\" and i + 1 < len(script):
            buf.append(script[i: i + 2])
            i += 2
            continue
        elif ch in ";\n|&":
            out.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    out.append("".join(buf))
    return [c.strip() for c in out if c.strip()]


def _words(command: str) -> list[str]:
    if not any(c in command for c in "'\"\\#"):
        return command.split()  # nothing for shlex to do, and it is slow on long scripts
    try:
        return shellwords.split(command, comments=True)
    except ValueError:
        return command.split()


def build_models(tree: Tree, config: Config, graph: Graph | None = None) -> dict[str, ImageModel]:
    return ModelBuilder(tree, config, graph).models()
