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
import functools
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from dockfix.config import Config
from dockfix.graph import Graph, build_graph
from dockfix.memo import Memo
from dockfix.model.packages import (UNKNOWN, PackageAction, PackageManager, PipAction, PipCommand, PipFront,
                                    SystemPackageCommand, is_pip, parse_requirements_text,
                                    read_pip, read_system_packages)
from dockfix.model.requirements import EntryKind, ReqFile, normalised_requirement
from dockfix.model.system_packages import sets_download_cache
from dockfix.model.base_dirs import UNKNOWN_BASE, BaseDirectories, Presence
from dockfix.model.bases import facts_of
from dockfix.model.words import EMPTY, Binding, Origin, Value, assignments, expand_word, scope_before
from dockfix.model.words import Scope as WordScope
from dockfix.model.copy import (
    BuildContext,
    CopyResult,
    CopySpec,
    EntryType,
    FailureKind,
    Origin as CopyOrigin,
    PathKind,
    StageFiles,
    add_unlike_copy,
    copy_result,
    destination,
    has_wildcards,
    is_git,
    is_remote,
    names_a_directory,
    source_path,
)
from dockfix.model.copy import Failure as CopyFailure
from dockfix.model.gitignore import GitIgnores
from dockfix.model.mounts import RunMount, run_mounts
from dockfix.model.venv import venvs_at
from dockfix.prover.reads import NOTHING_INSTALLED, Installs, installed_after
from dockfix.prover.run import RunCommand, RunEffect, file_effects, read_run
from dockfix.prover.steps import Step, copy_step, env_read_by, run_step
from dockfix.syntax import Document, Instruction
from dockfix.tree import SKIP_DIRS, Tree, listed

_APT_PY = re.compile(r"^python(\d+\.\d+)$")
_APT = (PackageManager.APT_GET, PackageManager.APT)
_IF_RUN = "(if run)"  # marks a requirement a conditional pip command installs
_REQUIREMENT_NAME_END = re.compile(r"[<>=!~\[;@ ]")
# pip commands that open their -r/-c files (a missing one fails the build); only install changes a site.
_READS_REQUIREMENT_FILES = frozenset({PipAction.INSTALL, PipAction.DOWNLOAD, PipAction.WHEEL, PipAction.LOCK,
                                      PipAction.SYNC})


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
    mode: str | None = None  # --chmod value, None = the source's own mode
    alternative: bool = False  # one of a file's two places (`model.copy.Landed.alternative`)


_ORIGIN_KIND = re.compile(r":(context|stage|heredoc|url|image|base):")


def ultimate_origin(origin: str) -> str:
    """A file's ultimate source: `base:<img>:context:x` and `context:x` are the same file."""
    if not origin.startswith("base:"):
        return origin
    return _base_origin(origin)


@functools.lru_cache(maxsize=1 << 16)  # every image built on a base repeats the base's files
def _base_origin(origin: str) -> str:
    while origin.startswith("base:"):
        rest = origin[5:]
        m = _ORIGIN_KIND.search(rest)
        origin = rest[m.start() + 1:] if m else rest
    return origin


class PackageOp(NamedTuple):
    """A system package command besides the names an install adds (`_package_op`)."""

    manager: str  # apt-get for apt too (its front end)
    action: str
    options: tuple[tuple[str, str], ...]  # (dest, value) of those that change what lands
    removed: tuple[str, ...]  # the names a removal takes
    flags: tuple[str, ...]  # its RUN's flags (a secret or network it has)
    env: tuple[str, ...]  # NAME=value of the variables it may read
    unread: tuple[str, ...]  # what the reader could not read (an unknown name, option, word)


class PipInstall(NamedTuple):
    """One pip command of a stage (a NamedTuple: both models of a large file replay one per
    command, and a frozen dataclass of 19 fields takes several times as long to make)."""

    line: int
    path: str
    user: str  # the USER the RUN ran as ("root" when none)
    user_site: bool  # --user
    site: str  # image path of the site, "system" for a system-wide install
    files: tuple[str, ...]  # requirement files read (image paths, closure included)
    requirements: tuple[str, ...]  # the requirement lines of the closure and the packages named
    command: PipCommand | None = None  # the whole reading: options, environment, unknowns
    spelling: str = "pip"  # how pip was started: "python3.11 -m pip", "pip3", "uv pip"
    action: PipAction = PipAction.INSTALL
    constraints: tuple[str, ...] = ()  # the lines of its -c files (they pin, they do not install)
    editables: tuple[str, ...] = ()  # -e on the command line and in its files
    index_urls: tuple[str, ...] = ()  # --index-url then --extra-index-url, command (and PIP_*) then files
    target: str | None = None  # --target
    prefix: str | None = None  # --prefix
    unknowns: tuple[str, ...] = ()  # what could not be read exactly (command and files)
    conditional: bool = False  # the shell may skip it in a build that succeeds (`if`, `||`, …)
    env: tuple[str, ...] = ()  # NAME=value pip may read besides PIP_* (those are its options)
    flags: tuple[str, ...] = ()  # its RUN's flags (a secret, a cache or bind mount, the network)
    packages: frozenset[str] = frozenset()  # the system packages installed when it runs

    @property
    def uninstall(self) -> bool:
        return self.action is PipAction.UNINSTALL


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
    # site path -> requirements; sets grow in place (a union per install was quadratic in the
    # number of pip RUNs), so copy() copies them.
    sites: dict[str, set[str]] = field(default_factory=dict)
    pip: list[PipInstall] = field(default_factory=list)
    packages: frozenset[str] = frozenset()  # apt/apk/dnf: installed, less those removed after
    # Every system package command but the names an install adds (compared as `packages`).
    package_ops: frozenset[PackageOp] = frozenset()
    installed: Installs = NOTHING_INSTALLED  # packages and pip commands so far (prover.reads.installed_after)
    python: str | None = None  # "3.11", or None when unknown
    python_source: str = "unknown external base"
    breaks: list[Break] = field(default_factory=list)
    # What RUNs of this stage and its in-repo bases did that the model cannot read (unknown
    # words, opaque shell, a non-POSIX SHELL), and what they may have created (`file_makers`).
    unknown_effects: list[RunEffect] = field(default_factory=list)
    file_makers: list[RunEffect] = field(default_factory=list)
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> (path, line) that set it
    # What the model cannot read, by the `where` key ("ENV X", "ARG X", "WORKDIR", "USER",
    # "LABEL X"): such a name is not in env/args/labels; workdir and user then hold the value
    # rendered for messages (`/srv/${APP}`), not a value to trust.
    unknown: dict[str, Value] = field(default_factory=dict)
    scope: WordScope = field(default_factory=lambda: WordScope(unbound=Origin.FROM_BASE_IMAGE))  # what words read
    env_unbound: Origin | None = Origin.FROM_BASE_IMAGE  # an env name the image does not list: unset (None) or unknown
    scratch: bool = False  # built on FROM scratch: no directory exists that a step did not make
    base_dirs: BaseDirectories = UNKNOWN_BASE  # the external base's directories (model.base_dirs)
    # Directories a step made or showed to be there (WORKDIR, mkdir), and the mkdir commands
    # whose directory may or may not be there (under `if`, `||`) or is not known (a word).
    made_dirs: frozenset[str] = frozenset()
    dir_makers: tuple[RunEffect, ...] = ()
    # For the default-deny comparison (compare.py): every external base a stage of the image
    # starts from or copies from, as (reference, --platform); the parser directives of the
    # image's Dockerfile; the JSON-ness of ENTRYPOINT and HEALTHCHECK; whether this stage set
    # CMD (BuildKit resets an inherited CMD at ENTRYPOINT); each RUN/COPY/ADD (prover.steps).
    bases: tuple[tuple[str, str], ...] = ()
    directives: tuple[tuple[str, str], ...] = ()
    entrypoint_json: bool = True
    healthcheck_json: bool = True
    cmd_here: bool = False
    steps: list[Step] = field(default_factory=list)
    # COPY/ADD steps whose files the model cannot read (a word it cannot expand, a build context
    # the graph does not know), as written but for the resolved destination: compared as text.
    unread_copies: list[str] = field(default_factory=list)
    uid_names: tuple[tuple[str, str], ...] = ()  # (uid, login) of users a RUN created with -u
    # Owners of directories, as written: WORKDIR makes a missing directory as the current USER
    # (BuildKit's dispatchWorkdir: Mkdir WithUser), so does a RUN's mkdir, `chown` gives one away.
    dir_owners: dict[str, str] = field(default_factory=dict)
    open_dirs: frozenset[str] = frozenset()  # directories WORKDIR made (mode 0755), not a tool's home

    def copy(self) -> "StageState":
        new = copy.copy(self)  # the scalars; then fresh containers (dataclasses.replace was slow here)
        new.env, new.args, new.labels = dict(self.env), dict(self.args), dict(self.labels)
        new.unknown = dict(self.unknown)
        new.files, new.sites = dict(self.files), {k: set(v) for k, v in self.sites.items()}
        new.pip, new.breaks, new.where = list(self.pip), list(self.breaks), dict(self.where)
        new.unknown_effects, new.file_makers = list(self.unknown_effects), list(self.file_makers)
        new.steps, new.unread_copies = list(self.steps), list(self.unread_copies)
        new.dir_owners = dict(self.dir_owners)
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


_WORDY = re.compile(r"[$'\"\\<]")


def _expand(text: str, env: dict[str, str]) -> str:
    """A word through the model's expander over known values only (`env`: a name not in it
    reads as unset). For the COPY, EXPOSE and pip readers until they read typed values with
    `ModelBuilder._word`; a word BuildKit rejects is left as written."""
    if not _WORDY.search(text):
        return text
    v = expand_word(text, WordScope({k: Binding(Value.known(x)) for k, x in env.items()}))
    return v.text if v.is_known else text  # type: ignore[return-value]


def _record(state: StageState, key: str, target: dict[str, str], name: str, value: Value) -> None:
    """A config value: its text when known, else an explicit unknown (and no text)."""
    if value.is_known:
        target[name] = value.text  # type: ignore[assignment]
        state.unknown.pop(key, None)
    else:
        target.pop(name, None)
        state.unknown[key] = value


def home_of(state: StageState) -> str:
    """The CMD user's home: ENV HOME, else root's or the passwd default /home/<user>. An
    unknown HOME or USER gives its rendering (`${HOME}`), which matches nothing real."""
    if "HOME" in state.env:
        return state.env["HOME"]
    if "ENV HOME" in state.unknown:
        return state.unknown["ENV HOME"].render()
    user = (state.user or "root").split(":")[0]
    # A numeric USER is the login a RUN created with that uid (its passwd entry gives HOME).
    user = next((name for uid, name in reversed(state.uid_names) if uid == user), user)
    return "/root" if user in ("root", "0") else f"/home/{user}"


def _shell_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    state.shell = ins.value


def _cmd_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    state.cmd, state.cmd_json, state.cmd_here = ins.value, ins.json, True
    state.where["CMD"] = where


def _entrypoint_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    # dispatchEntrypoint: a CMD this stage has not set itself is reset.
    state.entrypoint, state.entrypoint_json = ins.value, ins.json
    state.cmd = state.cmd if state.cmd_here else None
    state.where["ENTRYPOINT"] = where


def _healthcheck_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    state.healthcheck, state.healthcheck_json = tuple(ins.flags) + ins.value, ins.json
    state.where["HEALTHCHECK"] = where


def _stopsignal_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    state.stopsignal = ins.value[0] if ins.value else None


def _volume_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    state.volumes = tuple(state.volumes) + ins.value


def _onbuild_step(state: StageState, ins: Instruction, where: tuple[str, int]) -> None:
    state.onbuild = tuple(state.onbuild) + (ins.args,)


# Instructions that set config from their words as written (no expansion, no build step).
_CONFIG_STEPS = {"SHELL": _shell_step, "CMD": _cmd_step, "ENTRYPOINT": _entrypoint_step,
                 "HEALTHCHECK": _healthcheck_step, "STOPSIGNAL": _stopsignal_step, "VOLUME": _volume_step,
                 "ONBUILD": _onbuild_step}


def identity(state: StageState, user: str) -> str:
    """A user as the kernel sees it: "0" for root, the uid a RUN created a login with
    (`useradd -u 1000 appuser`), else the name or number as written."""
    if user in ("root", "0", ""):
        return "0"
    return next((uid for uid, name in reversed(state.uid_names) if name == user), user)


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
                    p: FileEntry(f"base:{b.ref}:{e.origin}", e.owner, e.mode, e.alternative) for p, e in source.files.items()}
            base = source.copy()
            base.breaks = []  # the base's own breaks are reported on the base image
            base.files = dict(files)
            return base
        return _external_state(b.ref)

    def _replay(self, dockerfile: str, stage: int, build_args: dict[str, str]) -> StageState:
        node = self.graph.dockerfiles[dockerfile]
        doc: Document = node.document
        st = doc.stages[stage]
        state = self._base_state(dockerfile, stage)
        state.cmd_here = False
        state.directives = tuple((d.name, d.value) for d in doc.directives)
        b = self.graph.base_of(dockerfile, stage)
        if b is not None and (b.kind == "external" or st.platform):
            state.bases = _union(state.bases, ((b.ref, st.platform or ""),))
        # The words of this stage read the base's env, then its own ARG and ENV in order;
        # global ARGs only when redeclared; a build argument the mapping does not give is
        # unknown (a build may pass one).
        words = [w for ins in doc.global_args() for w in ins.value]
        env = {k: Value.known(v) for k, v in state.env.items()}
        env.update((k[4:], v) for k, v in state.unknown.items() if k.startswith("ENV "))
        stage_scope = WordScope.of_globals(words, build_args, doc.escape).stage(env)
        state.scope = WordScope(stage_scope.bound, state.env_unbound, stage_scope.build_args, stage_scope.globals)
        state.args = {}
        for key in [k for k in state.unknown if k.startswith("ARG ")]:
            del state.unknown[key]
        for ins in doc.stage_instructions(st)[1:]:
            self._step(state, doc, dockerfile, ins)
        return state

    def _arg(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        for word in ins.value:
            name, eq, default = word.partition("=")
            state.scope = state.scope.with_arg(name, default if eq else None, doc.escape)
            b = state.scope.bound.get(name)
            _record(state, f"ARG {name}", state.args, name, EMPTY if b is None else b.value)
            state.where[f"ARG {name}"] = where

    def _env(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        # BuildKit expands every pair against the scope before the instruction.
        scope = state.scope
        for a in assignments("ENV", ins.value, state.scope, doc.escape):
            value = a.value or EMPTY
            if a.key.text is None:  # a variable name that cannot be read: nothing is known after it
                state.unknown[f"ENV {a.key.render()}"] = value
                scope = WordScope({}, Origin.UNKNOWN, scope.build_args, scope.globals)
                continue
            _record(state, f"ENV {a.key.text}", state.env, a.key.text, value)
            scope = scope.with_env(a.key.text, value)
            state.where[f"ENV {a.key.text}"] = where
        state.scope = scope

    def _scope(self, state: StageState) -> dict[str, str]:
        scope = dict(state.args)
        scope.update(state.env)
        return scope

    def _word(self, state: StageState, doc: Document, text: str) -> Value:
        """A word of this instruction as BuildKit expands it here (typed: may be unknown)."""
        return expand_word(text, state.scope, doc.escape)

    def _step(self, state: StageState, doc: Document, path: str, ins: Instruction) -> None:
        where = (path, ins.start_line)
        config = _CONFIG_STEPS.get(ins.keyword)
        if config is not None:
            config(state, ins, where)
            return
        handler = _HANDLERS.get(ins.keyword)
        if handler is not None:
            handler(self, state, doc, ins, where)

    def _workdir_step(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        _workdir(state, self._word(state, doc, ins.value[0]) if ins.value else Value.known("/"))
        _workdir_owner(state)
        state.where["WORKDIR"] = where

    def _user(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        user = self._word(state, doc, ins.value[0]) if ins.value else EMPTY
        state.user = user.render()
        if user.is_known:
            state.unknown.pop("USER", None)
        else:
            state.unknown["USER"] = user
        state.where["USER"] = where

    def _expose(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        state.expose = tuple(sorted(set(state.expose) | {_expand(p, self._scope(state)) for p in ins.value}))
        state.where["EXPOSE"] = where

    def _label(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        for a in assignments("LABEL", ins.value, state.scope, doc.escape):
            _record(state, f"LABEL {a.key.render()}", state.labels, a.key.render(), a.value or EMPTY)

    def _copy_step(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        state.steps.append(copy_step(ins, _step_user(state), where[0]))
        self._copy(state, doc, where[0], ins)

    def _run_step(self, state: StageState, doc: Document, ins: Instruction, where: tuple[str, int]) -> None:
        workdir = None if "WORKDIR" in state.unknown else state.workdir  # as `_run` reads it
        venvs = venvs_at(doc, ins).dirs
        step = run_step(ins, tuple(state.shell), workdir, {**state.args, **state.env}, _step_user(state),
                        where[0], _unknown_env(state), state.files, state.installed, venvs)
        state.steps.append(step)
        if step.uids:
            state.uid_names = (*state.uid_names, *step.uids)
        self._run(state, where[0], ins, venvs)

    # -- files
    def _copy(self, state: StageState, doc: Document, path: str, ins: Instruction) -> None:
        """What a COPY/ADD lands, read by dockfix.model.copy (BuildKit's rules); failures it
        predicts are breaks, files it cannot know land as `unknown:` entries."""
        unread = self._unknown_copy_word(state, doc, ins)
        if unread is not None:
            # A source, destination or flag the build decides (an ARG with no default, a value
            # of the base image): what lands, and where, is unknown; nothing is claimed missing.
            # An ADD that lands what COPY would is COPY's step, here and in its effect.
            keyword = "COPY" if self._add_is_copy(doc, path, ins) else ins.keyword
            effect = RunEffect(path, ins.start_line, f"{keyword} word {unread!r} is not known here")
            state.unknown_effects.append(effect)
            state.file_makers.append(effect)
            state.unread_copies.append(_as_written(ins, self._known_dest(state, doc, ins), keyword))
            return
        scope = self._scope(state)
        spec = CopySpec.of(ins, lambda word: _expand(word, scope))
        if spec is None:
            return
        dest = self._dest(state, spec.dest)
        kind = _dest_kind(state, dest, spec.dest)
        if spec.from_ is not None:
            self._copy_from_stage(state, doc, path, ins, spec, dest, kind)
            return
        if self.graph.dockerfiles[path].context_unknown is not None and _reads_context(spec):
            # The files are read from the folder the graph falls back to, which may not be the
            # context: which files land (an archive ADD extracts, a wildcard's matches) is not
            # known, so the step itself is compared.
            state.unread_copies.append(_unread_copy(spec, dest))
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

    def _known_dest(self, state: StageState, doc: Document, ins: Instruction) -> str | None:
        """The image path a COPY/ADD's destination names when its word and WORKDIR are known
        (`_unread_copy`'s spelling: a trailing `/` kept), else None."""
        if not ins.value or ins.heredocs or "WORKDIR" in state.unknown:
            return None
        word = self._word(state, doc, ins.value[-1])
        if not word.is_known:
            return None
        return _dest_shown(word.text, self._dest(state, word.text))

    def _add_is_copy(self, doc: Document, path: str, ins: Instruction) -> bool:
        """An ADD whose destination, --chown or --chmod value is unknown, in a known context,
        whose sources are known from the file alone (no ARG decides them) and read by the
        model as context files none of which is an archive: COPY's step wherever it lands
        (README: COPY/ADD the model cannot read; `model.copy.add_unlike_copy`)."""
        if ins.keyword != "ADD" or ins.heredocs or self.graph.dockerfiles[path].context_unknown is not None:
            return False
        if any(f[2:].split("=", 1)[0] not in ("chown", "chmod", "link") for f in ins.flags):
            return False
        fixed = scope_before(doc, ins, arg_defaults=False)
        sources = tuple(expand_word(w, fixed, doc.escape).text for w in ins.value[:-1])
        if not sources or None in sources:
            return False
        spec = CopySpec("ADD", sources, "", link=ins.flag("link") not in (None, "false"))
        context, files = self._context(path)
        return add_unlike_copy(spec, self._build_context(path, context, files)) is None

    def _unknown_copy_word(self, state: StageState, doc: Document, ins: Instruction) -> str | None:
        """The first word of a COPY/ADD (sources, destination, flag values) that expands to an
        unknown value, as written; None when every word is known."""
        words = list(ins.value) + [f.split("=", 1)[1] for f in ins.flags if "=" in f]
        return next((w for w in words if "$" in w and not self._word(state, doc, w).is_known), None)

    def _landed(self, path: str, context: str, files: tuple[str, ...], spec: CopySpec, workdir: str,
                kind: PathKind) -> tuple[dict[str, FileEntry], tuple[CopyFailure, ...]]:
        """Where the step's files land ({image path: entry}) and the failures it predicts."""
        result = copy_result(spec, workdir, self._build_context(path, context, files), lambda _: kind)
        return _entries(result, spec, context, self._link_target), result.failures

    def _build_context(self, path: str, context: str, files: tuple[str, ...]) -> BuildContext:
        """The build context of the Dockerfile `path` as `model.copy` reads it."""
        node = self.graph.dockerfiles[path]
        return BuildContext(files, self.graph.context_files(context), self.graph.dockerignore_for(path),
                            node.dockerignore or "", self._symlinks(context, files),
                            read=lambda rel: _archive_bytes(self.tree, _rebase(context, rel)),
                            unlisted=lambda rel: self._unlisted(_rebase(context, rel)))

    def _symlinks(self, context: str, files: tuple[str, ...]) -> frozenset[str]:
        """The context files that are symlinks (BuildKit copies a link below a copied
        directory as a link), once per listing."""
        cache = self.__dict__.setdefault("_symlink_cache", {})
        found = cache.get((context, id(files)))
        if found is None:
            found = cache[(context, id(files))] = (files, frozenset(
                rel for rel in files if self.tree.is_symlink(_rebase(context, rel))))
        return found[1]

    def _link_target(self, repo_path: str) -> str:
        try:
            return os.readlink(os.path.join(self.tree.root, repo_path))
        except OSError:
            return "?"

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
            found = self.__dict__["_git"] = GitIgnores.of_tree(self.tree)
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
        if self.graph.dockerfiles[path].context_unknown is not None:
            return  # which context the build sends is not known: a source's absence says nothing
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
        idx = _stage_named(doc, spec.from_, ins.stage)
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
            _take_from_stage(state, other, spec, dest)

    def _stage_files(self, doc: Document, path: str, idx: int, other: StageState) -> StageFiles:
        """A replayed stage does not change: one listing serves all its --from readers."""
        cache = self.__dict__.setdefault("_stage_listings", {})
        found = cache.get((path, idx))
        if found is None:
            found = cache[(path, idx)] = StageFiles({p: e.origin for p, e in other.files.items()},
                                                    self._stage_complete(doc, path, idx, other), doc.stages[idx].name)
        return found

    def _stage_complete(self, doc: Document, path: str, idx: int, other: StageState) -> bool:
        """Every file of the stage is listed: FROM scratch, no RUN (which may make any file), no
        file of unknown content (a git or URL ADD), and no step of its own that fails (its files
        are not known; that step is the defect)."""
        base = self.graph.base_of(path, idx)
        if other.breaks or self.graph.dockerfiles[path].context_unknown is not None:
            return False
        if base is None or base.kind != "external" or base.ref != "scratch":
            return False
        if any(e.origin.startswith("unknown:") for e in other.files.values()):
            return False  # an ADD of a git repository or a URL: what lands below it is not listed
        return not any(i.keyword == "RUN" for i in doc.stage_instructions(doc.stages[idx]))

    def _dest(self, state: StageState, dest: str) -> str:
        return destination(dest, state.workdir)

    # -- RUN
    def _run(self, state: StageState, path: str, ins: Instruction, venvs: frozenset[str] = frozenset()) -> None:
        """A RUN, read through the model (`prover.run`): each command in order; what it cannot
        read is an unknown effect that may also have created any file."""
        workdir = None if "WORKDIR" in state.unknown else state.workdir
        reading = read_run(ins, tuple(state.shell), workdir, self._scope(state), venvs)
        for reason in reading.unknown:
            effect = RunEffect(path, ins.start_line, reason)
            state.unknown_effects.append(effect)
            state.file_makers.append(effect)
        for command in reading.commands:
            self._command(state, path, ins, command)

    def _command(self, state: StageState, path: str, ins: Instruction, command: RunCommand) -> None:
        if not command.argv:
            return
        if None in command.argv:  # the program, or what it is given, is not known exactly
            state.unknown_effects.append(RunEffect(path, ins.start_line, f"{_shown(command.argv)}: a word is unknown"))
        _chown(state, command)
        _mkdir(state, command, path, ins.start_line)
        _account_home(state, command, path, ins.start_line)
        system = read_system_packages(command.argv)
        if system is not None:
            _system_packages(state, path, ins, system, env_read_by(command.argv, command.env, _unknown_env(state)))
        elif is_pip(command.argv):
            self._pip(state, path, ins, command)
        # After the command: what it reads was there before it ran.
        state.file_makers.extend(file_effects(command, path, ins.start_line))
        state.installed = installed_after(command.argv, command.cwd, state.installed)

    def _pip(self, state: StageState, path: str, ins: Instruction, command: RunCommand) -> None:
        """One pip command, read by the model's pip reader; relative requirement files resolve
        against the directory the shell reader says the command runs in."""
        key = (command.argv, command.cwd, command.env, command.conditional, state.user, home_of(state),
               _unknown_env(state), tuple(sorted(ins.flags)))
        known = _PIP_RECORDS.get(key)
        if known is not None:
            _replay_pip(state, path, ins, known)
            return
        here = command.cwd
        cmd = read_pip(command.argv, here, dict(command.env))
        if cmd is None:
            return
        closure = _Closure()
        if cmd.action in _READS_REQUIREMENT_FILES:
            for files, constraint in ((cmd.requirement_files, False), (cmd.constraint_files, True)):
                for rf in files:
                    if rf is UNKNOWN:  # an unresolved word: which file pip reads is not known
                        closure.unknowns.append("a requirement file's name is unknown")
                    elif here is None and not str(rf).startswith("/"):
                        closure.unknowns.append(f"{rf}: pip runs in a directory the model does not know")
                    else:
                        self._closure(state, path, ins, _image_path(here or "/", rf), closure, constraint,
                                      command.conditional)
        record = self._record_pip(state, path, ins, cmd, here, closure, command)
        if not closure.seen:  # no file read: the key holds everything the record depends on
            _PIP_RECORDS.put(key, record)

    def _record_pip(self, state: StageState, path: str, ins: Instruction, cmd: PipCommand, here: str | None,
                    closure: "_Closure", command: RunCommand) -> "_PipRecord":
        named = list(_named(cmd.arguments))
        user = (state.user or "root").split(":")[0]
        user_site = cmd.user_site is True
        site = _site_of(cmd, here or "/", state, user_site)
        reqs = tuple(sorted(set(closure.lines) | set(named))) if cmd.action is not PipAction.UNINSTALL else ()
        fields = (user, user_site, site, tuple(closure.seen), reqs, cmd,
                  cmd.spelling(), cmd.action, tuple(sorted(set(closure.constraints))),
                  (*(str(e) for e in cmd.editables), *closure.editables), _index_urls(cmd, closure),
                  _text(cmd.target), _text(cmd.prefix), (*cmd.unknowns, *closure.unknowns), command.conditional,
                  env_read_by(command.argv, command.env, _unknown_env(state), leave=("PIP_",)),
                  tuple(sorted(ins.flags)))
        if command.conditional:  # installed or not: the site says so, so a comparison tells it from a sure install
            named = [f"{r} {_IF_RUN}" for r in named]
            reqs = tuple(f"{r} {_IF_RUN}" for r in reqs)
        record = _PipRecord(fields, cmd, tuple(named), site, reqs)
        _replay_pip(state, path, ins, record)
        return record

    def _closure(self, state: StageState, path: str, ins: Instruction, image_path: str, closure: "_Closure",
                 constraint: bool = False, conditional: bool = False) -> None:
        """A requirement file and what it includes, read with pip's rules (the model's
        requirement-file reader): `-r` installs, `-c` only constrains, includes resolve
        against the including file's directory; `-e`, `--index-url`, `--extra-index-url` kept."""
        if image_path in closure.seen:
            return
        closure.seen.append(image_path)
        entry = state.files.get(image_path)
        mount = self._mount_of(state, ins, image_path)
        if mount is not None:  # what the RUN reads there is the mount's, not the image's
            entry = self._mounted(path, image_path, mount, closure)
            if entry is None:
                return
        if entry is None:
            why = self._may_exist(state, path, image_path, conditional)
            if why:
                closure.unknowns.append(f"{image_path} is not among the files the model knows, but {why}")
                return
            state.breaks.append(Break(
                "missing-requirement-file", path, ins.start_line,
                f"pip reads {image_path}, which is not in the image at this step "
                f"(pip: Could not open requirements file); copy it before this RUN",
                subject=image_path))
            return
        if "context:" not in entry.origin or entry.origin.startswith("unknown:"):
            closure.unknowns.append(f"{image_path}: its content is not known ({entry.origin.split(':', 1)[0]})")
            return
        origin = _context_origin(entry.origin)
        try:
            text = self.tree.read(origin).decode("utf-8", "replace")
        except OSError:
            closure.unknowns.append(f"{image_path}: {origin} cannot be read")
            return
        parsed = parse_requirements_text(text, image_path, self._scope(state), constraint)
        closure.gather(parsed, constraint)
        for include in parsed.includes:  # pip: an -r line installs, even inside a constraint file
            self._closure(state, path, ins, include, closure, conditional=conditional)
        for include in parsed.constraints:
            self._closure(state, path, ins, include, closure, True, conditional)

    def _mount_of(self, state: StageState, ins: Instruction, image_path: str) -> RunMount | None:
        values = ins.flag_values("mount")
        if not values:
            return None
        workdir = None if "WORKDIR" in state.unknown else state.workdir
        return next((m for m in run_mounts(values, workdir) if m.holds(image_path)), None)

    def _mounted(self, path: str, image_path: str, mount: RunMount, closure: "_Closure") -> FileEntry | None:
        """A requirement file a mount shows: a bind mount of the build context shows a context
        file (read like a copied one); any other mount's content is not known."""
        source = mount.context_path(image_path)
        context, files = self._context(path)
        if source is None or self.graph.dockerfiles[path].context_unknown is not None or not listed(files, source):
            kind = mount.type.value if mount.type is not None else "unread"
            closure.unknowns.append(f"{image_path}: in a {kind} mount of the RUN, whose content is not known here")
            return None
        return FileEntry(f"context:{_rebase(context, source)}", None)

    def _may_exist(self, state: StageState, path: str, image_path: str, conditional: bool) -> str:
        """Why a requirement file the modeled files lack may still be there (or not be read):
        "" when the build surely fails to open it."""
        if conditional:
            return "the pip command may not run"
        maker = next((e for e in state.file_makers if e.may_create(image_path)), None)
        if maker is not None:
            return f"an earlier command may have made it ({maker.path}:{maker.line}: {maker.reason})"
        unknown = self.graph.dockerfiles[path].context_unknown
        if unknown is not None:
            return f"the build context is unknown ({unknown.reason})"
        return ""


class _PipRecord(NamedTuple):
    """What one pip command adds to a stage, but for where it is written (`_replay_pip`)."""

    fields: tuple  # PipInstall's fields after `line` and `path`
    command: PipCommand
    named: tuple[str, ...]  # the packages named, as the site records them
    site: str | None
    requirements: tuple[str, ...]  # what the site gains, as it records them


# Records of pip commands that read no requirement or constraint file, by everything a record
# depends on: the command (argv, directory, environment, whether it may not run), the USER it
# runs as, the home a --user install lands in (`home_of`), the variables set to a value the
# model cannot read (the environment pip reads) and its RUN's flags. The before and after models
# replay the same commands (40,000 of them when merge-pip-runs joins a large file's RUNs).
_PIP_RECORDS: Memo = Memo(1 << 16)


def _replay_pip(state: StageState, path: str, ins: Instruction, record: _PipRecord) -> None:
    state.pip.append(PipInstall(ins.start_line, path, *record.fields, packages=state.packages))
    _change_sites(state, record.command, list(record.named), record.site, record.requirements)


@dataclass
class _Closure:
    """What the requirement files of one pip command say, gathered through their includes."""

    seen: list[str] = field(default_factory=list)  # image paths read, in order
    lines: list[str] = field(default_factory=list)  # installed requirements, normalised
    constraints: list[str] = field(default_factory=list)
    editables: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def gather(self, parsed: ReqFile, constraint: bool) -> None:
        into = self.constraints if constraint else self.lines
        into.extend(e.requirement.normalised() for e in parsed.of(EntryKind.REQUIREMENT) if e.requirement)
        self.editables.extend(e.requirement.text for e in parsed.of(EntryKind.EDITABLE) if e.requirement)
        for dest in ("index_url", "extra_index_urls"):
            found = parsed.value(dest)
            self.index_urls.extend(str(v) for v in (found if isinstance(found, tuple) else (found,)) if v)
        self.unknowns.extend(f"{parsed.path}:{e.line}: {e.reason}" for e in parsed.unknown)


def _system_packages(state: StageState, path: str, ins: Instruction, cmd: SystemPackageCommand,
                     env: tuple[str, ...]) -> None:
    """apt/apk/dnf installs add to the image's packages, removals take away; apt's pythonX.Y
    sets the version. Every command is also kept as an operation (`_package_op`), with the
    variables it may read (`env`)."""
    if cmd.action is not PackageAction.CLEAN:  # the cache cleanup rule: it deletes only caches
        state.package_ops = state.package_ops | {_package_op(cmd, tuple(sorted(ins.flags)), env)}
    names = [p for p in cmd.packages if p is not None and not p.startswith("-")]
    if cmd.action in (PackageAction.REMOVE, PackageAction.PURGE):
        state.packages = state.packages - frozenset(names)
        return
    if cmd.action is not PackageAction.INSTALL:
        return
    state.packages = state.packages | frozenset(names)
    for p in names if cmd.manager in _APT else ():
        m = _APT_PY.match(p)
        if m:
            state.python, state.python_source = m.group(1), f"apt package {p} ({path}:{ins.start_line})"


# Options that change nothing the image holds: answers to prompts, output, apk's index cache.
_QUIET_PACKAGE_OPTIONS = frozenset({"yes", "quiet", "no_cache", "no_progress", "progress", "assume_yes"})


def _package_op(cmd: SystemPackageCommand, flags: tuple[str, ...], env: tuple[str, ...]) -> PackageOp:
    """What a package command does besides the names an install adds: its manager (`apt` is
    apt-get's front end), action, options (`--no-install-recommends` changes what lands),
    the names a removal takes, its RUN's flags (a secret or network it has), the environment
    it reads, and what the reader could not read (an unknown name)."""
    manager = PackageManager.APT_GET if cmd.manager is PackageManager.APT else cmd.manager
    options = tuple(sorted((o.dest, str(o.value)) for o in cmd.options
                           if o.dest not in _QUIET_PACKAGE_OPTIONS and not sets_download_cache(o)))
    removed = () if cmd.action is PackageAction.INSTALL else tuple(sorted(str(p) for p in cmd.packages))
    unread = (*cmd.unknowns, *(["a package name is unknown"] if None in cmd.packages else []),
              *(str(w) for w in cmd.unknown_options))
    return PackageOp(manager.value, cmd.action.value, options, removed, flags, env, tuple(unread))


def _shown(argv: tuple[str | None, ...]) -> str:
    return " ".join("<unknown>" if w is None else w for w in argv[:4]) + (" …" if len(argv) > 4 else "")


def _change_sites(state: StageState, cmd: PipCommand, named: list[str], site: str | None,
                  reqs: tuple[str, ...]) -> None:
    """An install adds to its site; an uninstall removes the names from every site."""
    if cmd.action is PipAction.UNINSTALL:
        gone = {requirement_name(r) for r in named}
        for where, installed in list(state.sites.items()):
            state.sites[where] = {r for r in installed if requirement_name(r) not in gone}
    elif cmd.installs and site is not None:
        state.sites.setdefault(site, set()).update(reqs)


def _unknown_env(state: StageState) -> tuple[str, ...]:
    """Variables (ENV, ARG) the stage sets to a value the model cannot read."""
    return tuple(k.split(" ", 1)[1] for k in state.unknown if k.startswith(("ENV ", "ARG ")))


def _step_user(state: StageState) -> str:
    """Who a step runs as: root for none or 0, `?` and the words when the model cannot read it."""
    if "USER" in state.unknown:
        return "?" + state.unknown["USER"].render()
    user = state.user or "root"
    name, _, group = user.partition(":")
    return "root" if name in ("root", "0") and group in ("", "root", "0") else user


def _union(first: tuple, more: tuple) -> tuple:
    """`first` then what `more` adds, in order, once each."""
    seen = set(first)
    return (*first, *(x for x in more if x not in seen))


def _context_origin(origin: str) -> str:
    return origin.split("context:", 1)[-1]


def _image_path(cwd: str, word: object) -> str:
    return posixpath.normpath(posixpath.join(cwd, str(word)))


# By the command's positionals: the before and after images install the same requirements.
_NAMED: Memo = Memo(1 << 16)


def _named(arguments: tuple[str | None, ...]) -> tuple[str, ...]:
    found = _NAMED.get(arguments)
    if found is None:
        found = _NAMED.put(arguments, tuple(normalised_requirement(r) for r in arguments if r is not None))
    return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def requirement_name(req: str) -> str:
    """The project a requirement line (or a module or program named after one) names, as pip
    compares names."""
    return _REQUIREMENT_NAME_END.split(req, 1)[0].lower().replace("_", "-")


def _index_urls(cmd: PipCommand, closure: _Closure) -> tuple[str, ...]:
    """Every index pip may read, in order: the command's (environment included), then the files'."""
    first = (cmd.index_url,) if cmd.index_url is not None else ()
    return tuple(str(u) for u in (*first, *cmd.extra_index_urls, *closure.index_urls))


def _site_of(cmd: PipCommand, cwd: str, state: StageState, user_site: bool) -> str | None:
    """Where an install lands: the user site, a --target/--prefix directory, or "system"
    (--root relocates the system site: recorded as that directory)."""
    for where in (cmd.target, cmd.prefix, cmd.root):
        if where is not None:
            return None if where is UNKNOWN else _image_path(cwd, where)
    if cmd.front is PipFront.UV_SYNC:
        return None  # the project's own environment (.venv or UV_PROJECT_ENVIRONMENT): not modelled
    return posixpath.join(home_of(state), ".local") if user_site else "system"


def _workdir_owner(state: StageState) -> None:
    """WORKDIR makes a directory that does not exist yet as the current USER; one the stage
    already has (the base image's, one a step made, one a file was copied below) keeps its
    owner; one whose existence the model cannot know (an unknown base's, one a RUN may have
    made) has an unknown owner (none recorded)."""
    wd = state.workdir
    if "WORKDIR" in state.unknown:
        return
    presence = _presence(state, wd)
    if presence is Presence.DIRECTORY and wd not in state.made_dirs:
        _base_owner(state, wd)
    state.made_dirs = state.made_dirs | {wd}
    if wd in state.dir_owners or presence is Presence.DIRECTORY:
        return
    home_of_account = next((n for s in state.steps for n in s.accounts if wd == f"/home/{n}"), None)
    if home_of_account is not None:  # `useradd -m` made it: its login owns it, in the tool's mode
        state.dir_owners[wd] = home_of_account
        return
    if presence is Presence.ABSENT:
        state.dir_owners[wd] = _step_user(state)
        state.open_dirs = state.open_dirs | {wd}


def _base_owner(state: StageState, wd: str) -> None:
    """A directory of the base image that is a login's home there (node's /home/node): its owner."""
    owner = state.base_dirs.owner(wd)
    if owner != "root" and wd not in state.dir_owners and state.base_dirs.presence(wd) is Presence.DIRECTORY:
        state.dir_owners[wd] = owner


# Package commands that may put directories anywhere a package does (/opt, /usr/src), by
# `PackageOp.action` (the action's value).
_FILLING_ACTIONS = frozenset(a.value for a in (PackageAction.INSTALL, PackageAction.UPGRADE, PackageAction.OTHER,
                                               PackageAction.UNKNOWN))


def _presence(state: StageState, path: str) -> Presence:
    """Whether `path` is a directory of the stage before the step: one a step made or a file
    lies below, else the base image's (`model.base_dirs`); one the base lacks is unknown when
    a RUN may have made it."""
    if path == "/" or path in state.made_dirs or path in state.sites:  # a pip --target/--prefix site
        return Presence.DIRECTORY
    below = path + "/"
    if any(p.startswith(below) for where in (state.made_dirs, state.sites) for p in where) or any(
            p.startswith(below) and not e.alternative for p, e in state.files.items()):
        return Presence.DIRECTORY
    installed = any(op.action in _FILLING_ACTIONS for op in state.package_ops)
    presence = state.base_dirs.presence(path, installed)
    if presence is Presence.ABSENT and any(e.may_create(path) for e in (*state.file_makers, *state.dir_makers)):
        return Presence.UNKNOWN
    return presence


def _mkdir_operands(args: tuple[str | None, ...]) -> list[str | None]:
    """GNU mkdir's operands: what is not an option, nor the mode `-m`/`--mode` takes (`-pm 755`);
    everything after `--`."""
    out: list[str | None] = []
    rest = iter(args)
    for w in rest:
        if w == "--":
            out.extend(rest)
        elif w is None or not w.startswith("-") or w == "-":
            out.append(w)
        elif w == "--mode" or (not w.startswith("--") and w.endswith("m")):
            next(rest, None)  # the mode
    return out


def _program(argv: tuple[str | None, ...]) -> str | None:
    """The command's program name without its directory; None when it has none or it is unknown."""
    return argv[0][argv[0].rfind("/") + 1:] if argv and argv[0] is not None else None  # basename, inlined


_HOME_OPTIONS = ("-d", "--home-dir", "--home", "-h")  # useradd's, adduser's (Debian's --home, BusyBox's -h)


def _account_home(state: StageState, command: RunCommand, path: str, line: int) -> None:
    """`useradd -d DIR` / `adduser --home DIR` may make DIR (with -m, or adduser's default):
    whether it is there, and whose, is not read (`dir_makers`). A home below /home/<login> is
    the home rule's (`_workdir_owner`)."""
    argv = command.argv
    if _program(argv) not in ("useradd", "adduser"):
        return
    for i, w in enumerate(argv[1:], 1):
        flag, eq, value = (w or "").partition("=")
        if flag not in _HOME_OPTIONS:
            continue
        home = value if eq else (argv[i + 1] if i + 1 < len(argv) else None)
        known = home is not None and home.startswith("/")
        state.dir_makers = (*state.dir_makers, RunEffect(path, line, f"{argv[0]} may make a home directory",
                                                          posixpath.normpath(home) if known else None))


def _mkdir(state: StageState, command: RunCommand, path: str, line: int) -> None:
    """`mkdir [-p] [-m MODE] DIR…`: each directory is there after it, made as the RUN's user
    when it was not there before; under a condition, or of a word the model cannot read, it
    may or may not be (`dir_makers`)."""
    argv = command.argv
    if _program(argv) != "mkdir":
        return
    for word in _mkdir_operands(argv[1:]):
        if word is None or (command.cwd is None and not word.startswith("/")):
            state.dir_makers = (*state.dir_makers, RunEffect(path, line, "mkdir of a directory not known"))
            continue
        target = _image_path(command.cwd or "/", word)
        if command.conditional:
            state.dir_makers = (*state.dir_makers, RunEffect(path, line, f"mkdir {target} may not run", target))
            continue
        if _presence(state, target) is Presence.ABSENT:
            state.dir_owners.setdefault(target, _step_user(state))
        state.made_dirs = state.made_dirs | {target}


def _chown(state: StageState, command: RunCommand) -> None:
    """`chown [-R] OWNER[:GROUP] PATH…` with every word known: the paths' new owner."""
    argv = command.argv
    if _program(argv) != "chown" or None in argv:
        return
    words = [w for w in argv[1:] if not w.startswith("-")]  # -R, -h, --no-dereference…
    if len(words) < 2 or any(w.startswith("--") and "=" in w for w in argv[1:]):
        return  # --from=/--reference=: the owner is another file's
    owner = words[0].split(":")[0]
    for target in words[1:]:
        if target.startswith("/") or command.cwd is not None:
            state.dir_owners[_image_path(command.cwd or "/", target)] = owner


def _workdir(state: StageState, wd: Value) -> None:
    """WORKDIR (NormalizeWorkdir): relative to the current one, cleaned. Under an unknown
    directory, or to an unknown one, the directory is unknown."""
    absolute = bool(wd.parts) and isinstance(wd.parts[0], str) and wd.parts[0].startswith("/")
    current = None if absolute else state.unknown.get("WORKDIR")
    if wd.is_known and current is None:
        state.unknown.pop("WORKDIR", None)
    elif absolute:
        state.unknown["WORKDIR"] = wd
    else:
        state.unknown["WORKDIR"] = Value.of(current or Value.known(state.workdir), "/", wd)
    state.workdir = posixpath.normpath(posixpath.join(state.workdir, wd.render()))


def _external_state(ref: str) -> StageState:
    """An image not built here: what the base-image table says of it; the rest unknown."""
    state = StageState(scratch=ref == "scratch")
    facts = facts_of(ref) if ref else None
    if facts is None:
        state.python_source = f"unknown external base {ref}"
        state.unknown["USER"] = Value.unknown(Origin.FROM_BASE_IMAGE, "USER", ("base", ref, "USER"))
        state.unknown["WORKDIR"] = Value.unknown(Origin.FROM_BASE_IMAGE, "WORKDIR", ("base", ref, "WORKDIR"))
        return state
    state.base_dirs = facts.directories
    state.env.update(facts.env)
    state.env_unbound = None if facts.env_complete else Origin.FROM_BASE_IMAGE
    state.python = facts.python_minor
    state.python_source = f"base image {ref}" if state.python else f"unknown external base {ref}"
    if facts.user is None:
        state.unknown["USER"] = Value.unknown(Origin.FROM_BASE_IMAGE, "USER", ("base", ref, "USER"))
    elif facts.user not in ("root", "0"):
        state.user = facts.user
    if facts.workdir is None:
        state.unknown["WORKDIR"] = Value.unknown(Origin.FROM_BASE_IMAGE, "WORKDIR", ("base", ref, "WORKDIR"))
    else:
        state.workdir = facts.workdir
    return state


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
    """What the destination is before the step. Directories are the base image's (`COPY
    requirements.txt /srv` on Debian lands in /srv), those the WORKDIR, a mkdir and the files
    listed so far imply; one the model cannot know (an unknown base's, one a RUN may have made)
    is unknown."""
    entry = state.files.get(dest)
    if entry is not None and not entry.origin.startswith("unknown:") and not entry.alternative:
        return PathKind.FILE  # an unknown or an alternative place may be a directory
    if names_a_directory(raw):
        return PathKind.DIRECTORY  # a directory either way; no need to look
    wd = state.workdir
    if dest == wd or wd.startswith(dest + "/"):
        return PathKind.DIRECTORY
    return _PATH_KIND[_presence(state, dest)]


_PATH_KIND = {Presence.DIRECTORY: PathKind.DIRECTORY, Presence.ABSENT: PathKind.ABSENT,
              Presence.UNKNOWN: PathKind.UNKNOWN}


def _entries(result: CopyResult, spec: CopySpec, context: str,
             link_target=lambda path: "?") -> dict[str, FileEntry]:
    """The prover's file entries for a step's result (origins as before: context:, heredoc:,
    url:, a stage file's own origin; unknown:<reason> where the files cannot be read)."""
    owner, mode = spec.chown, spec.chmod
    heredocs = dict(spec.heredocs)
    out: dict[str, FileEntry] = {}
    for u in result.unknown:
        if not u.partial:  # the source stays in the origin: another source is another file
            for where in (u.path, u.also) if u.also else (u.path,):
                out[where] = FileEntry(f"unknown:{u.source}: {u.reason}", owner, mode)
    for f in result.landed:
        if f.origin is CopyOrigin.CONTEXT and f.type is EntryType.SYMLINK:
            # The image holds the link, not what it points to: compared by where it points.
            origin = f"symlink:{_rebase(context, f.source)} -> {link_target(_rebase(context, f.source))}"
        elif f.origin is CopyOrigin.CONTEXT or f.origin is CopyOrigin.ARCHIVE:
            origin = f"context:{_rebase(context, f.source)}" if f.origin is CopyOrigin.CONTEXT else \
                f"archive:{_rebase(context, f.source)}"
        elif f.origin is CopyOrigin.HEREDOC:
            # Keyed by content, not by line: an edit above must not look like a new file.
            origin = f"heredoc:{f.source}:{heredocs.get(f.source, '')}"
        elif f.origin is CopyOrigin.URL:
            origin = f"url:{f.source}"
        else:
            origin = f.source
        out[f.path] = FileEntry(origin, owner, mode, f.alternative)
    return out


def _as_written(ins: Instruction, dest: str | None, keyword: str) -> str:
    """A COPY/ADD whose words the model cannot expand, as written (its --chown aside: the
    owner is compared with the files), with its destination resolved when that is known;
    `keyword`: COPY for an ADD that lands what COPY would (`_add_is_copy`)."""
    flags = " ".join(sorted(f for f in ins.flags if not f.startswith("--chown")))
    return " ".join(w for w in (keyword, flags, *ins.value[:-1], "->", dest or ins.value[-1]) if w)


def _reads_context(spec: CopySpec) -> bool:
    return any(not s.startswith("<<") and not is_remote(s) and not is_git(s) for s in spec.sources)


def _unread_copy(spec: CopySpec, dest: str) -> str:
    """A COPY/ADD of an unknown context, compared as text: its sources as expanded, its
    destination resolved against WORKDIR (an absolute spelling of the same place is the same
    step). An ADD of the context's root only is COPY's: a directory is never extracted."""
    root_only = all(not has_wildcards(s) and source_path(s) == "" for s in spec.sources)
    keyword = "COPY" if spec.keyword == "ADD" and root_only else spec.keyword
    flags = [f"--exclude={e}" for e in spec.excludes]
    flags += [f for f, on in ((f"--chmod={spec.chmod}", spec.chmod), ("--link", spec.link),
                              ("--parents", spec.parents), (f"--unpack={spec.unpack}", spec.unpack is not None)) if on]
    return " ".join((keyword, *flags, *spec.sources, "->", _dest_shown(spec.dest, dest)))


def _dest_shown(word: str, dest: str) -> str:
    """The image path `dest` a destination word resolved to, with a trailing `/` when the word
    names a directory (copied into it, not as it): the two are different steps."""
    return dest + "/" if names_a_directory(word) and not dest.endswith("/") else dest


def _stage_named(doc: Document, name: str, current: int) -> int | None:
    """The stage `COPY --from=name` reads (by name, or an earlier stage's index); None: an image."""
    idx = {s.name: s.index for s in doc.stages if s.name}.get(name.lower())
    if idx is None and name.isdigit() and int(name) < current:
        idx = int(name)
    return idx


def _take_from_stage(state: StageState, other: StageState, spec: CopySpec, dest: str) -> None:
    """What reaches an image through a copy from a stage besides the files: the stage's
    bases, steps and pip commands (compared as the image's), the pip sites the copied paths
    hold, and the stage's breaks (BuildKit builds the stage --from names: a step that fails
    there fails this build)."""
    state.bases = _union(state.bases, other.bases)
    seen = set(state.steps)
    state.steps.extend(s for s in other.steps if s not in seen)
    known = {id(p) for p in state.pip}
    state.pip.extend(p for p in other.pip if id(p) not in known)
    _move_sites(state, other, spec, dest)
    state.breaks.extend(br for br in other.breaks if br not in state.breaks)


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
                state.sites[posixpath.normpath(dest + site[len(s):])] = set(reqs)
            elif s == site:
                state.sites[dest] = set(reqs)
            elif s.startswith(site + "/"):  # a part of the site: not what it installed
                part = s[len(site) + 1:]
                state.sites[dest] = {f"{r} (only {part} of {site})" for r in reqs}


# The builder's step per keyword, as functions: a table of bound methods on the builder made it
# a reference cycle, and with it every stage state it built was left to the cyclic collector.
_HANDLERS = {"ARG": ModelBuilder._arg, "ENV": ModelBuilder._env, "WORKDIR": ModelBuilder._workdir_step,
             "USER": ModelBuilder._user, "EXPOSE": ModelBuilder._expose, "LABEL": ModelBuilder._label,
             "COPY": ModelBuilder._copy_step, "ADD": ModelBuilder._copy_step, "RUN": ModelBuilder._run_step}


def build_models(tree: Tree, config: Config, graph: Graph | None = None) -> dict[str, ImageModel]:
    return ModelBuilder(tree, config, graph).models()
