"""Requirement files: which repo files a stage's pip installs read and install, `-r`/`-c`
includes followed relative to the including file (in the container, mapped back to the repo
through the COPYs before the RUN)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from dockfix.model.copy import BuildContext, CopySpec, copy_result
from dockfix.model.copy import Origin as CopyOrigin
from dockfix.model.packages import ReqFile, Requirement, RequirementKind, parse_requirements_text
from dockfix.model.requirements import EntryKind
from dockfix.syntax import Document
from dockfix.transforms.base import Context
from dockfix.transforms.rebase_onto_base.pip import PACKAGES, PIP, USER_SITE, Site, _Pip
from dockfix.transforms.rebase_onto_base.stages import COPY, RUN, _Stage, _Step, _walk
from dockfix.transforms.rebase_onto_base.words import _join

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # a URL (pip reads it from the network)
_ROOT_USER_SITE = "/root/.local"
CONTEXT_FILE = CopyOrigin.CONTEXT

# Which pip installs of a stage a closure follows: (the RUN's step, the install) -> wanted.
Wanted = Callable[[_Step, _Pip], bool]


@dataclass(frozen=True)
class Closure:
    read: frozenset[str]  # repo paths pip reads through -r/-c
    installed: frozenset[str]  # repo paths it installs through -r
    local: bool  # a requirement file it installs names a local path (reads the app files)
    unknown: bool  # a requirement file (or include) no context COPY before the RUN brings: not read here


def into(site: Site) -> Wanted:
    """The installs into `site` (whoever runs them)."""
    return lambda step, pip: pip.site is site


def own_into(site: Site) -> Wanted:
    """The installs into `site` that run as the image's user (no USER of the stage before
    them): the user the base's own installs ran as, so the same site."""
    return lambda step, pip: pip.site is site and not step.after_user


# The destination the COPY model is asked about; its answers are moved to the real one (which
# may start with the walk's marker for the image's WORKDIR, not an absolute path).
_DEST = "/\0dest"


def _copy_targets(files: list[str], step: _Step) -> dict[str, str]:
    """Container path -> context file, for one context COPY, as the shared COPY model
    (`dockfix.model.copy`, BuildKit's rules) lands them; what it cannot place (an archive ADD
    extracts, several sources into a file) is not mapped, so a pip install reading it is unknown."""
    keyword, _flags, srcs, dest, is_dir = step.key
    ins = step.ins
    spec = CopySpec(keyword, tuple(srcs), _DEST + "/" if is_dir else _DEST,
                    excludes=tuple(ins.flag_values("exclude")), parents=ins.flag("parents") not in (None, "false"))
    found = copy_result(spec, "/", BuildContext(files, files))
    cut = len(_DEST) + 1
    return {posixpath.normpath(posixpath.join(dest, landed.path[cut:])): landed.source
            for landed in found.landed if landed.origin is CONTEXT_FILE and landed.path.startswith(_DEST)}


def _closure(ctx: Context, stage: _Stage, context: str, wanted: Wanted | None = None) -> Closure:
    """What the stage's pip installs (those `wanted`, else all) read and install."""
    read: set[str] = set()
    installed: set[str] = set()
    flags: set[str] = set()
    cmap = _ContainerFiles(ctx, context)
    for step in stage.steps:
        for pip in step.pip:
            if wanted is not None and not wanted(step, pip):
                continue
            todo = [(_join(pip.cwd, r), True) for r in pip.reqs] + [(_join(pip.cwd, c), False) for c in pip.constraints]
            flags |= _follow(ctx, cmap.mapping(), todo, read, installed)
        if step.kind is COPY and not step.variable:
            cmap.pending.append(step)
    return Closure(frozenset(read), frozenset(installed), "local" in flags, "unknown" in flags)


class _ContainerFiles:
    """Container path -> repo path, for the files the context COPYs so far bring in; the
    COPYs are resolved only when a pip install asks (most stages have none)."""

    def __init__(self, ctx: Context, context: str) -> None:
        self.ctx, self.context = ctx, context
        self.pending: list[_Step] = []
        self._map: dict[str, str] = {}

    def mapping(self) -> dict[str, str]:
        if self.pending:
            files = self.ctx.tree.under(self.context)
            for step in self.pending:
                for target, f in _copy_targets(files, step).items():
                    self._map[target] = posixpath.join(self.context, f) if self.context else f
            self.pending.clear()
        return self._map


def _follow(ctx: Context, cmap: dict[str, str], todo: list[tuple[str, bool]], read: set[str],
            installed: set[str]) -> set[str]:
    """Follow requirement files and their includes from `todo` ((container path, installs)),
    adding what is read and installed; {"local"} when an installed one names a local path,
    {"unknown"} when one is not a context file a COPY brought or has a line pip's reading
    leaves unknown."""
    found: set[str] = set()
    seen: set[tuple[str, bool]] = set()
    while todo:
        cpath, installs = todo.pop()
        if (cpath, installs) in seen:
            continue
        seen.add((cpath, installs))
        repo = cmap.get(cpath)
        if repo is None or not ctx.tree.exists(repo):
            found.add("unknown")
            continue
        read.add(repo)
        if installs:
            installed.add(repo)
        text = ctx.tree.read(repo).decode("utf-8", "replace")
        # ${VAR} takes the value pip's environment gives: not known here.
        parsed = parse_requirements_text(text, cpath, _UNKNOWN_ENV, constraint=not installs)
        found |= _entry_flags(parsed, installs)
        # pip: an -r include is a requirement file even inside a constraint file; -c constrains.
        todo.extend((inc, True) for inc in parsed.includes)
        todo.extend((inc, False) for inc in parsed.constraints)
    return found


class _UnknownEnv(dict):
    """Every variable is there, with an unknown value."""

    def __bool__(self) -> bool:
        return True  # not an empty environment

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: str) -> None:
        return None

    def get(self, name, default=None) -> None:
        return None


_UNKNOWN_ENV = _UnknownEnv()


def _entry_flags(parsed: ReqFile, installs: bool) -> set[str]:
    """{"unknown"} for a line pip's reading leaves unknown (or an include by URL); {"local"}
    when an installed file installs a local path or an editable, or finds links locally."""
    found: set[str] = set()
    if parsed.unknown or any(_SCHEME.match(p) for p in (*parsed.includes, *parsed.constraints)):
        found.add("unknown")
    if not installs:
        return found
    if parsed.of(EntryKind.EDITABLE) or any(_local_requirement(r) for r in parsed.requirements):
        found.add("local")
    if any(not _SCHEME.match(str(link)) for link in _values(parsed.value("find_links"))):
        found.add("local")
    return found


def _local_requirement(req: Requirement) -> bool:
    return req.kind is RequirementKind.PATH or req.url.lower().startswith("file:")


def _values(v: object) -> tuple:
    return v if isinstance(v, tuple) else () if v is None else (v,)


def _site_requirements(ctx: Context, bdoc, bpath: str, step: _Step, context: str,
                       walked: Callable[[Document, str, int], _Stage] = _walk) -> frozenset[str] | None:
    """The base's `COPY --from=<stage> /root/.local /root/.local` (a pip --user site): the
    requirement files that stage installs into it; None when the copy is anything else.
    `walked` walks a stage (the transform's memo: every derived image asks again)."""
    _, _kw, flags, srcs, dest, _ = step.key
    if flags or len(srcs) != 1:
        return None
    if posixpath.normpath(srcs[0]) != _ROOT_USER_SITE or dest != _ROOT_USER_SITE:
        return None
    src_stage = _source_stage(bdoc, step)
    if src_stage is None:
        return None
    stage = walked(bdoc, bpath, src_stage)
    if not all(_only_user_requirements(s) for s in stage.steps if s.kind is RUN):
        return None
    found = _closure(ctx, stage, context, into(USER_SITE))
    return None if found.local or found.unknown else found.installed


def _source_stage(bdoc, step: _Step) -> int | None:
    """The earlier stage a `COPY --from=<name or index>` names (None: an image, or unknown)."""
    ref = step.ins.flag("from")
    found = None
    for st in bdoc.stages:
        if st.index < step.ins.stage and ref is not None and (st.name == ref.lower() or str(st.index) == ref):
            found = st.index
    return found


def _only_user_requirements(s: _Step) -> bool:
    """A RUN of the site's stage that puts nothing in the site but requirement files (package
    managers, or pip installs of requirement files; packages named on the command line land
    in the site too)."""
    if s.run_kind is PACKAGES:
        return True
    if s.run_kind is not PIP or any(p.local for p in s.pip):
        return False
    return not any(p.user and p.packages for p in s.pip)
