"""rebase-onto-base: a Dockerfile that rebuilds what an in-repo base image provides is
rebuilt FROM that base.

What it does: a Dockerfile's target stage (the image's target, else the last stage) that
starts FROM the same external image, with the same platform, as an in-repo base image's
final stage, and repeats that stage's ENV, WORKDIR and application COPYs (same sources
from the same context, same destinations, same flags), is rewritten
- FROM the base, spelled as the repo's other derived Dockerfiles spell it (academy:
  `ARG BASE_IMAGE=academy-base:latest` + `FROM ${BASE_IMAGE}`, copied as written), or as
  the image name the repo maps the base to when no Dockerfile derives from it yet; the
  stage's `AS name` and `--platform` stay, and so do the file's header comments;
- without the instructions the base provides: ENV whose values are the base's, the same
  WORKDIR, COPYs of the same app code to the same places (with the comment block directly
  above each). Everything else stays: the stage's own ENV, its RUNs (apt packages, pip
  installs), every COPY of a requirement file a kept `pip install` reads (`-r`/`-c`
  includes are followed from the tree), extra COPYs (`scripts`), HEALTHCHECK, CMD.

When it must not fire: a different FROM or platform (academy's CUDA image); the target
stage is not FROM an external image; the Dockerfile builds the base, or an image the base
is built from; a Dockerfile with nothing of its own beyond the base (academy's
`docker/Dockerfile`: rebasing would leave an empty image; reported as a skip); and
whenever the result could differ: the base sets an ENV value, WORKDIR, file, USER, SHELL,
VOLUME, ONBUILD, ENTRYPOINT, CMD, HEALTHCHECK, label or port that the stage does not end
with; a kept instruction would see another environment or, where it matters, another
directory (only package-manager RUNs may run in the base's WORKDIR instead of `/`); a kept
RUN that runs before the app code is copied is not a package or pip install; a kept COPY
would be overwritten by the base's files; the base runs anything but package installs,
or installs requirement files the stage's own `pip install --user` does not; an ENV,
WORKDIR or COPY that depends on a build argument; `# dockfix: ignore[rebase-onto-base]`
above the FROM. Near misses (same FROM, some app COPY in common) are reported as skips
with the reason.

Why it is equivalent: the rewrite is checked by simulation. Both images start from the
same external image; the base's final stage reaches the environment, working directory
and app files that the deleted instructions produced, and every kept instruction runs in
the same environment (and, where it matters, directory) with the same files it reads, in
the same order. What the base adds beyond the stage is limited to system packages and a
pip site whose requirement files the stage installs itself (pip finds them satisfied).
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field

from dockfix.model.words import Binding, Origin, Value, expand_word
from dockfix.model.words import Scope as WordScope
from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms.base import Context, Safety, Transform
from dockfix.transforms.prune_dockerignore import (context_dir, has_wildcard, is_remote, named_files, normalise_source,
                                                   split_wildcard)

# Metadata a base's final stage may set; (keyword, whether a stage that does not set it
# itself would inherit a different value after the rebase).
_BLOCKING = ("USER", "SHELL", "VOLUME", "ONBUILD")  # change how the stage's own steps run
_INHERITED = ("CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL")
_PACKAGE_MANAGERS = frozenset({"apt-get", "apt", "apk", "dnf", "yum", "microdnf", "zypper", "tdnf"})


# --------------------------------------------------------------------------------------
# Word expansion: model/words (BuildKit's ProcessWord) over the walk's symbolic values
# --------------------------------------------------------------------------------------
# A variable the external image may set is the marker \0NAME\0 (both files start from the
# same image, so the marker means the same in both); a build argument is \1NAME\1 (its
# value can differ between builds, so nothing holding one is ever "the same"). They are the
# walk's spelling of model/words' unknowns of origin FROM_BASE_IMAGE and BUILD_ARG.
_MARKER = re.compile(r"([\0\1])([^\0\1]*)\1")
_ORIGIN_OF = {"\0": Origin.FROM_BASE_IMAGE, "\1": Origin.BUILD_ARG}
_MARK_OF = {Origin.FROM_BASE_IMAGE: "\0", Origin.BUILD_ARG: "\1"}
_PLAIN_WORD = re.compile(r"[^$'\"<]*")


def _typed(marked: str) -> Value:
    parts: list[str | Value] = []
    pos = 0
    for m in _MARKER.finditer(marked):
        parts += [marked[pos:m.start()], Value.unknown(_ORIGIN_OF[m.group(1)], m.group(2))]
        pos = m.end()
    parts.append(marked[pos:])
    return Value.of(*parts)


def _marked(value: Value) -> str | None:
    out = []
    for p in value.parts:
        if isinstance(p, str):
            out.append(p)
            continue
        origin = next(iter(p.origins)) if len(p.origins) == 1 else None
        if origin not in _MARK_OF or p.expr[0] != "var":
            return None  # an operator over an unknown, an invalid word: not known here
        out.append(f"{_MARK_OF[origin]}{p.expr[1]}{_MARK_OF[origin]}")
    return "".join(out)


def _expand(text: str, env: dict[str, str], escape: str = "\\") -> str | None:
    """The word as BuildKit expands it (model/words), in the walk's marked spelling; None
    when it cannot be known here. A name not in `env` is one the image may set."""
    if escape not in text and _PLAIN_WORD.fullmatch(text):
        return text
    scope = WordScope({k: Binding(_typed(v)) for k, v in env.items()}, Origin.FROM_BASE_IMAGE)
    return _marked(expand_word(text, scope, escape))


def _join(base: str, rel: str) -> str:
    if rel.startswith("/"):
        return posixpath.normpath(rel)
    return posixpath.normpath(posixpath.join(base, rel))


# --------------------------------------------------------------------------------------
# A stage as a sequence of effects
# --------------------------------------------------------------------------------------
@dataclass
class _Step:
    ins: Instruction
    env: dict[str, str]  # environment it runs in (ENV and the stage's ARGs)
    workdir: str
    kind: str  # env | workdir | copy | copy-from | run | arg | meta
    key: tuple | None = None  # comparable effect (ENV pairs, WORKDIR path, COPY key)
    dests: tuple[str, ...] = ()  # absolute destinations a COPY writes
    pip: list["_Pip"] = field(default_factory=list)
    run_kind: str | None = None  # packages | pip | None (anything else)
    variable: bool = False  # depends on a build argument


@dataclass
class _Pip:
    reqs: list[str]  # -r files as written
    constraints: list[str]
    user: bool
    cwd: str
    local: bool  # installs a local path (reads the current directory's files)
    packages: list[str] = field(default_factory=list)  # named on the command line


@dataclass
class _Stage:
    doc: Document
    path: str
    index: int
    steps: list[_Step]
    env: dict[str, str]
    workdir: str
    meta: dict[str, list[Instruction]]


def _walk(doc: Document, path: str, index: int) -> _Stage:
    """Simulate one stage from its FROM: the environment, directory and effect of each
    instruction."""
    env: dict[str, str] = {}
    args: dict[str, str] = {}
    workdir = "\0WORKDIR\0"
    steps: list[_Step] = []
    meta: dict[str, list[Instruction]] = {}
    for k in doc.stages[index].instructions[1:]:
        ins = doc.instructions[k]
        scope = {**args, **env}
        kw = ins.keyword
        step = _Step(ins, dict(scope), workdir, "meta")
        if kw == "ENV":
            pairs = []
            for i in range(0, len(ins.value) - 1, 2):
                v = _expand(ins.value[i + 1], scope, doc.escape)
                if v is None or "\1" in v:
                    step.variable = True
                    v = f"\1?{ins.index}\1"
                pairs.append((ins.value[i], v))
            env.update(pairs)
            step.kind, step.key = "env", tuple(pairs)
        elif kw == "ARG":
            for w in ins.value:
                args[w.split("=", 1)[0]] = f"\1{w.split('=', 1)[0]}\1"
            step.kind = "arg"
        elif kw == "WORKDIR":
            v = _expand(ins.value[0], scope, doc.escape) if ins.value else None
            if v is None or "\1" in v:
                step.variable = True
                workdir = f"\1?{ins.index}\1"
            else:
                workdir = _join(workdir, v)
            step.kind, step.key = "workdir", (workdir,)
        elif kw in ("COPY", "ADD") and len(ins.value) >= 2:
            _copy_step(step, ins, scope, workdir, doc.escape)
        elif kw == "RUN":
            step.kind = "run"
            step.run_kind, step.pip = _classify_run(ins, workdir, scope)
        else:
            meta.setdefault(kw, []).append(ins)
        steps.append(step)
    return _Stage(doc, path, index, steps, env, workdir, meta)


def _copy_step(step: _Step, ins: Instruction, scope: dict[str, str], workdir: str, escape: str) -> None:
    dest_raw = _expand(ins.value[-1], scope, escape)
    srcs = []
    for raw in ins.value[:-1]:
        v = _expand(raw, scope, escape)
        if v is None or "\1" in v:
            step.variable = True
            v = raw
        srcs.append(v)
    if dest_raw is None or "\1" in dest_raw:
        step.variable = True
        dest_raw = ins.value[-1]
    is_dir = dest_raw.endswith("/") or dest_raw in (".", "..") or dest_raw.endswith("/.") \
        or len(srcs) > 1 or any(has_wildcard(s) for s in srcs)
    dest = _join(workdir, dest_raw)
    flags = tuple(sorted(f for f in ins.flags if not f.lower().startswith("--from=")))
    frm = ins.flag("from")
    if frm is not None:
        step.kind = "copy-from"
        step.key = ("from", ins.keyword, flags, tuple(srcs), dest, is_dir)
        step.dests = (dest,)
        return
    heredoc = bool(ins.heredocs)
    local = tuple(normalise_source(s) for s in srcs if not s.startswith("<<") and not is_remote(s))
    step.kind = "copy" if not heredoc and len(local) == len(srcs) else "copy-other"
    step.key = (ins.keyword, flags, local, dest, is_dir)
    if is_dir:
        step.dests = tuple(posixpath.join(dest, posixpath.basename(s)) if not _is_dir_source(s) else dest
                           for s in local) or (dest,)
    else:
        step.dests = (dest,)


def _is_dir_source(s: str) -> bool:
    return s == "" or has_wildcard(s)


# -- RUN classification
_PIP_VALUE_FLAGS = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                              "--trusted-host", "--proxy", "--timeout", "--retries", "--cache-dir",
                              "--log", "--progress-bar", "--upgrade-strategy", "--platform",
                              "--python-version", "--implementation", "--abi", "--only-binary",
                              "--no-binary", "--global-option", "--config-settings", "-C",
                              "--root-user-action", "--exists-action", "--report"})
_PIP_WRITES_ELSEWHERE = frozenset({"-t", "--target", "--prefix", "--root", "-e", "--editable", "--src"})


def _classify_run(ins: Instruction, workdir: str, scope: dict[str, str]) -> tuple[str | None, list[_Pip]]:
    """"packages" (only package managers and removing their caches by absolute path: the
    current directory and the app files do not matter), "pip" (pip installs of packages
    and requirement files: the directory matters for relative -r paths), or None."""
    if ins.json or ins.heredocs or not ins.value:
        return None, []
    if any(t != "cache" for t in _mount_types(ins)):
        return None, []
    cmds = _split_chain(ins.value[0])
    if not cmds:
        return None, []
    kinds: set[str] = set()
    pips: list[_Pip] = []
    for words in cmds:
        n = 0
        while n < len(words) and re.match(r"[A-Za-z_]\w*=", words[n][0]):
            n += 1
        assigns = [w for w, _ in words[:n]]
        argv = [w for w, _ in words[n:]]
        if not argv:
            return None, []
        prog = posixpath.basename(argv[0])
        if prog in _PACKAGE_MANAGERS:
            if any(expands for _, expands in words[n:]):
                return None, []
            kinds.add("packages")
        elif prog == "rm" and all(a.startswith("-") or (a.startswith("/") and a != "/") for a in argv[1:]):
            kinds.add("packages")
        else:
            pip = _pip_args(argv)
            if pip is None:
                return None, []
            user = "--user" in pip or any(a.split("=", 1)[0] == "PIP_USER" for a in assigns) or \
                _truthy(scope.get("PIP_USER"))
            parsed = _parse_pip(pip[1:], workdir, user)
            if parsed is None:
                return None, []
            pips.append(parsed)
            kinds.add("pip")
    if kinds == {"packages"}:
        return "packages", pips
    return ("pip" if "pip" in kinds else None), pips


def _truthy(v: str | None) -> bool:
    return v is not None and v.strip().lower() in ("1", "true", "yes", "on")


def _pip_args(argv: list[str]) -> list[str] | None:
    """The arguments from `install` on, for `pip install …`, `pip3 install …` and
    `python[3[.x]] -m pip install …`; None for any other command."""
    prog = posixpath.basename(argv[0])
    if re.fullmatch(r"pip(3(\.\d+)?)?", prog):
        rest = argv[1:]
    elif re.fullmatch(r"python(3(\.\d+)?)?", prog) and argv[1:3] == ["-m", "pip"]:
        rest = argv[3:]
    else:
        return None
    return rest if rest and rest[0] == "install" else None


def _parse_pip(args: list[str], cwd: str, user: bool) -> _Pip | None:
    reqs: list[str] = []
    cons: list[str] = []
    packages: list[str] = []
    local = False
    i = 0
    while i < len(args):
        a = args[i]
        name, eq, val = a.partition("=")
        if name in ("-r", "--requirement", "-c", "--constraint") or re.match(r"-[rc]\S", a):
            if re.match(r"-[rc]\S", a) and not eq:
                val, name = a[2:], a[:2]
            elif not eq:
                i += 1
                if i >= len(args):
                    return None
                val = args[i]
            (reqs if name in ("-r", "--requirement") else cons).append(val)
        elif name in _PIP_WRITES_ELSEWHERE:
            return None
        elif name in _PIP_VALUE_FLAGS:
            if not eq:
                i += 1
        elif a == "--user":
            user = True
        elif a.startswith("-"):
            pass
        elif a.startswith((".", "/", "~")) or "/" in a or a.endswith((".whl", ".tar.gz", ".zip")):
            local = True
        else:
            packages.append(a)
        i += 1
    return _Pip(reqs, cons, user, cwd, local, packages)


# --------------------------------------------------------------------------------------
# Requirement files: which repo files a stage's pip installs read, includes followed
# --------------------------------------------------------------------------------------
def _copy_targets(files: list[str], step: _Step) -> dict[str, str]:
    """Container path -> context file, for one context COPY (BuildKit's rules: a directory
    source copies its contents, a file lands at the destination or, when that is a
    directory, under its own name, a wildcard match under its own name)."""
    _kw, _flags, srcs, dest, is_dir = step.key
    out: dict[str, str] = {}
    for s in srcs:
        for f in named_files(files, s):
            if f == s:
                target = posixpath.join(dest, posixpath.basename(f)) if is_dir else dest
            elif s == "" or f.startswith(s + "/"):
                target = posixpath.join(dest, f[len(s) + 1:] if s else f)
            else:  # a wildcard match (a file, or a directory's contents) under its own name
                base, rest = split_wildcard(s)
                parts = (f[len(base) + 1:] if base else f).split("/")
                depth = rest.count("/") + 1
                target = posixpath.join(dest, parts[depth - 1], *parts[depth:])
            out[posixpath.normpath(target)] = f
    return out


def _container_files(ctx: Context, stage: _Stage, context: str, upto: int | None = None) -> dict[str, str]:
    """Container path -> repo path, for the files the stage's context COPYs bring in."""
    files = ctx.tree.under(context)
    out: dict[str, str] = {}
    for step in stage.steps:
        if upto is not None and step.ins.index >= upto:
            break
        if step.kind != "copy" or step.variable:
            continue
        for target, f in _copy_targets(files, step).items():
            out[target] = posixpath.join(context, f) if context else f
    return out


_INCLUDE = re.compile(r"^\s*(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)", re.M)
_LOCAL_LINE = re.compile(r"^\s*(-e|--editable|\.|/|file:)", re.M)


def _closure(ctx: Context, stage: _Stage, context: str, user_only: bool) -> tuple[set[str], set[str], bool]:
    """(repo paths pip reads through -r/-c, repo paths it installs through -r, whether a
    requirement file installs a local path). Includes resolve relative to the including
    file, in the container, mapped back to the repo through the COPYs before the RUN."""
    read: set[str] = set()
    installed: set[str] = set()
    local = False
    for step in stage.steps:
        for pip in step.pip:
            if user_only and not pip.user:
                continue
            cmap = _container_files(ctx, stage, context, upto=step.ins.index)
            todo = [(_join(pip.cwd, r), True) for r in pip.reqs] + [(_join(pip.cwd, c), False) for c in pip.constraints]
            seen: set[str] = set()
            while todo:
                cpath, installs = todo.pop()
                if (cpath, installs) in seen:
                    continue
                seen.add((cpath, installs))
                repo = cmap.get(cpath)
                if repo is None or not ctx.tree.exists(repo):
                    continue
                read.add(repo)
                if installs:
                    installed.add(repo)
                text = ctx.tree.read(repo).decode("utf-8", "replace")
                if installs and _LOCAL_LINE.search(text):
                    local = True
                for m in _INCLUDE.finditer(text):
                    inc = _join(posixpath.dirname(cpath), m.group(2))
                    todo.append((inc, installs and m.group(1) in ("-r", "--requirement")))
    return read, installed, local


# --------------------------------------------------------------------------------------
# The transform
# --------------------------------------------------------------------------------------
@dataclass
class _Plan:
    provided: list[Instruction]
    own: int  # kept instructions that are the stage's own (not a copy of the base's)


class _NoMatch(Exception):
    """Not a candidate at all (silent)."""


class _Refuse(Exception):
    """A near miss: reported as a skip with the reason."""


class RebaseOntoBase(Transform):
    name = "rebase-onto-base"
    summary = "Rebuild a Dockerfile that repeats an in-repo base image FROM that base."
    safety = Safety.SAFE
    answers = "duplicated base layers (no hadolint or BuildKit check; seed 000 STEP 2.5)"

    def apply(self, ctx: Context) -> None:
        graph = ctx.graph()
        # Candidates by build context: _match needs the same context, so only those are tried.
        bases_in: dict[str, list[str]] = {}
        for ref in _base_images(graph):
            context = _context_of(graph, graph.images[ref].dockerfile)
            if context is not None:
                bases_in.setdefault(context, []).append(ref)
        # A stage is walked once per run, not once per candidate base (documents are
        # immutable; a rewritten file gets a new Document and so a new key).
        self._walks: dict[tuple[int, int], tuple[Document, _Stage]] = {}
        for path in ctx.dockerfiles():
            doc = ctx.document(path)
            if ctx.file_ignored(doc) or not doc.stages:
                continue
            stage = _target_stage(graph, path, doc)
            mine = _base_of(graph, path, stage)
            if mine is None or mine.kind != "external":
                continue
            head = doc.instructions[doc.stages[stage].from_index]
            if ctx.ignored(doc, head):
                continue
            for ref in bases_in.get(_context_of(graph, path), []):
                image = graph.images[ref]
                if image.dockerfile == path:
                    continue  # the base itself
                try:
                    plan = self._match(ctx, graph, path, doc, stage, ref)
                except _NoMatch:
                    continue
                except _Refuse as why:
                    ctx.skip(path, head.start_line, f"not rebased onto {_familiar(ref)}: {why}")
                    break
                if _built_from(graph, ref, path):
                    ctx.skip(path, head.start_line, f"not rebased onto {_familiar(ref)}: that image is "
                             "built from this Dockerfile's image (the rebase would make a cycle)")
                    break
                if plan.own == 0:
                    ctx.skip(path, head.start_line,
                             f"duplicates the base image {_familiar(ref)} ({image.dockerfile}) and has "
                             "nothing of its own: rebasing it would leave an empty image; not rebased")
                    break
                self._rewrite(ctx, graph, path, doc, stage, ref, plan)
                break

    def _walked(self, doc: Document, path: str, stage: int) -> _Stage:
        key = (id(doc), stage)
        if key not in self._walks:
            self._walks[key] = (doc, _walk(doc, path, stage))
        return self._walks[key][1]  # the doc is kept alive so its id is not reused

    # -- matching
    def _match(self, ctx: Context, graph, path: str, doc: Document, stage: int, ref: str):
        image = graph.images[ref]
        bnode = graph.dockerfiles.get(image.dockerfile)
        bstage = graph.image_stage(image)
        if bnode is None or bnode.document is None or bstage is None:
            raise _NoMatch
        mine, theirs = _base_of(graph, path, stage), _base_of(graph, image.dockerfile, bstage)
        if theirs is None or theirs.kind != "external" or theirs.ref != mine.ref:
            raise _NoMatch
        if doc.stages[stage].platform != bnode.document.stages[bstage].platform:
            raise _NoMatch
        context, bcontext = _context_of(graph, path), _context_of(graph, image.dockerfile)
        if context is None or context != bcontext:
            raise _NoMatch  # not the same build context: not the same app code
        me = self._walked(doc, path, stage)
        base = self._walked(bnode.document, image.dockerfile, bstage)

        base_copies = Counter(s.key for s in base.steps if s.kind == "copy" and not s.variable)
        common = [s for s in me.steps if s.kind == "copy" and not s.variable and base_copies[s.key]]
        if not common:
            raise _NoMatch  # not the same app code: not a candidate
        if not _same_files(ctx, graph, path, image.dockerfile, context, [s.key for s in common]):
            raise _Refuse("the app COPYs read other files (the .dockerignore files differ)")

        # What the base's final stage is, instruction by instruction.
        for kw in _BLOCKING:
            if kw in base.meta:
                ins = base.meta[kw][-1]
                raise _Refuse(f"the base sets {kw} ({_line(bnode.document, ins)}), which changes how "
                              "this stage's own steps run")
        for s in base.steps:
            if s.variable:
                raise _Refuse(f"the base's {_line(bnode.document, s.ins)} depends on a build argument")

        # Requirement files a kept pip install reads: their COPYs always stay.
        reads, _, _ = _closure(ctx, me, context, user_only=False)
        _, user_installed, local = _closure(ctx, me, context, user_only=True)

        # Which of the stage's instructions the base provides.
        provided: list[_Step] = []
        again: set[int] = set()  # kept, but the base's own instruction again (not the stage's own)
        remaining = Counter(base_copies)
        base_from = [s for s in base.steps if s.kind == "copy-from"]
        matched_from: set[int] = set()
        for s in me.steps:
            if s.variable:
                continue
            if s.kind == "env" and all(base.env.get(k) == v for k, v in s.key):
                provided.append(s)
            elif s.kind == "workdir" and s.key == (base.workdir,):
                provided.append(s)
            elif s.kind == "copy" and remaining[s.key] > 0:
                files = ctx.tree.under(context)
                names = {posixpath.join(context, f) if context else f
                         for src in s.key[2] for f in named_files(files, src)}
                remaining[s.key] -= 1
                if names & reads:
                    again.add(id(s.ins))  # a requirement file a kept pip install reads: stays
                    continue
                provided.append(s)
            elif s.kind == "copy-from":
                for k, b in enumerate(base_from):
                    if k not in matched_from and b.key == s.key and _same_stage(
                            graph, doc, path, s.ins.flag("from"), bnode.document, image.dockerfile,
                            b.ins.flag("from"), s.ins.stage, b.ins.stage):
                        matched_from.add(k)
                        provided.append(s)
                        break
        provided_ids = {id(s.ins) for s in provided}
        kept = [s for s in me.steps if id(s.ins) not in provided_ids]

        # The base must add nothing beyond system packages and a covered pip site.
        for key, left in remaining.items():
            if left > 0:
                srcs = " ".join(key[2]) or "."
                dest = key[3].rstrip("/") + "/" if key[4] else key[3]
                raise _Refuse(f"the base copies {srcs} to {dest}, which this stage does not")
        for k, b in enumerate(base_from):
            if k in matched_from:
                continue
            site = _site_requirements(ctx, graph, bnode.document, image.dockerfile, b, bcontext)
            if site is None:
                raise _Refuse(f"the base's {_line(bnode.document, b.ins)} copies files this stage does not have")
            missing = site - user_installed
            if missing:
                raise _Refuse(f"the base installs {', '.join(sorted(missing))}, which this stage's own "
                              "pip install --user does not")
            if local:
                raise _Refuse("a requirement file installs a local path")
        for s in base.steps:
            if s.kind == "run":
                if s.run_kind == "packages":
                    continue
                if s.run_kind == "pip" and all(p.user and not p.local and not p.packages for p in s.pip):
                    _, inst, loc = _closure(ctx, base, bcontext, user_only=True)
                    if not loc and inst <= user_installed:
                        continue
                raise _Refuse(f"the base runs {_line(bnode.document, s.ins)}, which this stage does not")
            if s.kind == "copy-other":
                raise _Refuse(f"the base's {_line(bnode.document, s.ins)} adds files this stage does not have")

        # Metadata: what the image ends up with must not change.
        own_meta = {kw for s in kept for kw in [s.ins.keyword]}
        for kw in _INHERITED:
            if kw not in base.meta:
                continue
            if kw == "CMD" and ("CMD" in own_meta or "ENTRYPOINT" in own_meta):
                continue
            if kw != "CMD" and kw in own_meta:
                continue
            raise _Refuse(f"the base sets {kw} ({_line(bnode.document, base.meta[kw][-1])}) and this stage "
                          f"does not: the image would inherit it")
        for kw in ("EXPOSE", "LABEL", "MAINTAINER"):
            for ins in base.meta.get(kw, []):
                if not any(o.keyword == kw and o.value == ins.value for o in doc.stage_instructions(doc.stages[stage])):
                    raise _Refuse(f"the base's {_line(bnode.document, ins)} is not in this stage")

        # Simulate the rebased stage: every kept instruction must run as it did.
        env = dict(base.env)
        workdir = base.workdir
        last_file = max((i for i, s in enumerate(me.steps) if id(s.ins) in provided_ids
                         and s.kind in ("copy", "copy-from")), default=-1)
        files = ctx.tree.under(context)

        def targets(step: _Step) -> list[str]:
            if step.kind == "copy" and not step.variable:
                return list(_copy_targets(files, step)) or list(step.dests)
            return list(step.dests)

        provided_dests = [d for s in provided if s.kind in ("copy", "copy-from") for d in targets(s)]
        problems: list[str] = []
        for i, s in enumerate(me.steps):
            if id(s.ins) in provided_ids:
                continue
            seen = {**{k: v for k, v in s.env.items() if "\1" in v}, **env}
            names = None if s.kind == "run" else _referenced(s.ins)
            diff = _env_diff({k: v for k, v in s.env.items() if names is None or k in names},
                             {k: v for k, v in seen.items() if names is None or k in names})
            if diff:
                problems.append(f"{_line(doc, s.ins)} would see ENV {diff}={_show_value(seen.get(diff))} "
                                f"instead of {_show_value(s.env.get(diff))}")
            if s.workdir != workdir and not _cwd_free(s):
                problems.append(f"{_line(doc, s.ins)} would run in {_show_dir(workdir)} instead of "
                                f"{_show_dir(s.workdir)}")
            if i < last_file:
                if s.kind == "run" and s.run_kind not in ("packages", "pip"):
                    problems.append(f"{_line(doc, s.ins)} runs before the app code is copied; after the "
                                    "rebase it would run with the base's files in place")
                if s.kind == "run" and any(p.local for p in s.pip):
                    problems.append(f"{_line(doc, s.ins)} installs a local path before the app code is copied")
                if s.kind in ("copy", "copy-from", "copy-other") and _overlaps(targets(s), provided_dests):
                    problems.append(f"{_line(doc, s.ins)} writes where the base's app COPYs write; the "
                                    "order would change")
            if s.kind == "env":
                env.update(dict(s.key))
            elif s.kind == "workdir":
                workdir = s.key[0]
        if _env_diff(me.env, env):
            k = _env_diff(me.env, env)
            raise _Refuse(f"the image would end with ENV {k}={_show_value(env.get(k))} instead of "
                          f"{_show_value(me.env.get(k))}")
        if workdir != me.workdir:
            raise _Refuse(f"the image would end in WORKDIR {_show_dir(workdir)} instead of {_show_dir(me.workdir)}")
        if problems:
            raise _Refuse(problems[0])

        # Its own: what is kept and is not the base's instruction again.
        base_runs = Counter((s.ins.keyword, _flags_key(s.ins), s.ins.value)
                            for s in base.steps if s.kind == "run")
        own = 0
        for s in kept:
            kw = s.ins.keyword
            if kw == "ARG" or id(s.ins) in again:
                continue
            if s.kind == "run" and base_runs[(kw, _flags_key(s.ins), s.ins.value)] > 0:
                base_runs[(kw, _flags_key(s.ins), s.ins.value)] -= 1
                continue
            if kw in base.meta and base.meta[kw][-1].value == s.ins.value and \
                    tuple(base.meta[kw][-1].flags) == tuple(s.ins.flags):
                continue
            own += 1
        return _Plan([s.ins for s in provided], own)

    # -- rewriting
    def _rewrite(self, ctx: Context, graph, path: str, doc: Document, stage: int, ref: str, plan: _Plan) -> None:
        head = doc.instructions[doc.stages[stage].from_index]
        arg_text, word = _convention(ctx, graph, ref, path)
        st = doc.stages[stage]
        if arg_text:
            name, _, default = arg_text.split(None, 1)[1].partition("=")
            existing = _global_arg(doc, name)
            if existing is not None:
                if existing.rstrip() != arg_text.rstrip():
                    ctx.skip(path, head.start_line, f"not rebased onto {_familiar(ref)}: the file already "
                             f"declares ARG {name} with another value")
                    return
                arg_text = ""
            build_args = _build_args(graph, path)
            if name in build_args and not _names(graph, build_args[name], ref):
                ctx.skip(path, head.start_line, f"not rebased onto {_familiar(ref)}: the build passes "
                         f"{name}={build_args[name]}")
                return
        line = f"{head.cmd} " + "".join(f"{f} " for f in head.flags) + word
        if st.name and len(head.value) >= 3:
            line += f" {head.value[1]} {head.value[2]}"
        dead = _dead_stages(graph, path, doc, stage, plan.provided)
        ed = Editor(doc)
        kept_first = next(s for s in doc.stages if s.index not in dead)
        first = doc.instructions[kept_first.from_index]
        if arg_text and first is not head:
            # An ARG after the first FROM belongs to that stage: FROM could not read it.
            ed.insert_before(first, arg_text)
            ed.replace(head, line)
        else:
            ed.replace(head, (arg_text + "\n" if arg_text else "") + line)
        gone: set[int] = set()
        for ins in plan.provided:  # with the comment block directly above it
            gone.update(range(doc.leading_comment_start(ins), ins.end_line + 1))
        for k in sorted(dead):
            dst = doc.stages[k]
            start = doc.instructions[dst.from_index]
            # The first stage's comments are the file's header: they stay.
            top = start.start_line if k == 0 else doc.leading_comment_start(start)
            gone.update(range(top, doc.instructions[dst.instructions[-1]].end_line + 1))
        _delete_lines(ed, doc, gone)
        ctx.write(path, ed.apply())
        image = graph.images[ref]
        removed = f"removed {len(plan.provided)} instruction(s) the base provides"
        if dead:
            names = ", ".join(doc.stages[k].name or str(k) for k in sorted(dead))
            removed += f" and the stage(s) only they used ({names})"
        ctx.note("info", path, head.start_line, f"rebased onto {_familiar(ref)} ({image.dockerfile}); {removed}")


def _dead_stages(graph, path: str, doc: Document, target: int, deleted: list[Instruction]) -> set[int]:
    """Stages that only deleted `COPY --from` lines used: no remaining FROM, COPY --from or
    RUN --mount names them, and no image builds them as its target."""
    gone = {id(i) for i in deleted}
    targets = {graph.image_stage(m) for m in graph.images_built_from(path)} | {target}

    def refs(ins: Instruction) -> list[str]:
        out = []
        if ins.keyword in ("COPY", "ADD") and ins.flag("from") is not None:
            out.append(ins.flag("from"))
        if ins.keyword == "RUN":
            for mount in ins.flag_values("mount"):
                out += [kv.split("=", 1)[1] for kv in mount.split(",") if kv.startswith("from=")]
        return out

    def stage_named(r: str, before: int) -> int | None:
        for st in doc.stages:
            if st.index < before and (st.name == r.lower() or str(st.index) == r):
                return st.index
        return None

    candidates = {stage_named(r, i.stage) for i in deleted for r in refs(i)} - {None} - targets
    dead = set(candidates)
    changed = True
    while changed:
        changed = False
        for k in sorted(dead):
            used = False
            for st in doc.stages:
                if st.index in dead and st.index != k:
                    continue
                if st.index != k and stage_named(st.base, st.index) == k:
                    used = True
                for n in st.instructions[1:]:
                    ins = doc.instructions[n]
                    if id(ins) in gone or st.index == k:
                        continue
                    if any(stage_named(r, st.index) == k for r in refs(ins)):
                        used = True
            if used:
                dead.discard(k)
                changed = True
    return dead


# --------------------------------------------------------------------------------------
# Private helpers (graph look-ups, comparisons, messages)
# --------------------------------------------------------------------------------------
def _base_images(graph) -> list[str]:
    """In-repo images other Dockerfiles build FROM, and images whose Dockerfile or name
    says "base"; sorted, those with derived Dockerfiles first."""
    derived = {ref for ref in graph.images if graph.derived_of(ref)}
    named = {ref for ref, m in graph.images.items()
             if re.search(r"(^|[/._-])base([/._:-]|$)", m.dockerfile.lower() + " " + ref.lower())}
    return sorted(derived | named, key=lambda r: (r not in derived, r))


def _target_stage(graph, path: str, doc: Document) -> int:
    for m in graph.images_built_from(path):
        s = graph.image_stage(m)
        if s is not None:
            return s
    return doc.stages[-1].index


def _base_of(graph, path: str, stage: int):
    return graph.base_of(path, stage)


def _context_of(graph, path: str) -> str | None:
    return context_dir(graph.dockerfiles[path].context)


def _built_from(graph, ref: str, path: str, seen: set[str] | None = None) -> bool:
    """Is the image `ref` built (transitively) on an image that `path` builds?"""
    seen = seen if seen is not None else set()
    if ref in seen:
        return False
    seen.add(ref)
    m = graph.images.get(ref)
    if m is None:
        return False
    node = graph.dockerfiles.get(m.dockerfile)
    if node is None or node.document is None:
        return False
    for st in node.document.stages:
        b = graph.base_of(m.dockerfile, st.index)
        if b is not None and b.kind == "internal":
            inner = graph.images.get(b.ref)
            if inner is not None and inner.dockerfile == path:
                return True
            if _built_from(graph, b.ref, path, seen):
                return True
    return False


def _same_files(ctx: Context, graph, path: str, bpath: str, context: str, keys: list[tuple]) -> bool:
    """Do the two Dockerfiles' COPYs get the same files for these sources (their
    .dockerignore files may differ)?"""
    if graph.dockerfiles[path].dockerignore == graph.dockerfiles[bpath].dockerignore:
        return True
    try:
        a, b = graph.dockerignore_for(path), graph.dockerignore_for(bpath)
    except Exception:  # a .dockerignore Docker refuses: the builds fail anyway
        return False
    files = ctx.tree.under(context)
    for key in keys:
        for src in key[2]:
            for f in named_files(files, src):
                if a.excludes(f) != b.excludes(f):
                    return False
    return True


def _same_stage(graph, doc: Document, path: str, ref: str | None, bdoc: Document, bpath: str,
                bref: str | None, at: int, bat: int) -> bool:
    """Are two `COPY --from` stages the same build: the same external FROM and the same
    instructions (by value), in the same context?"""
    def find(d: Document, r: str | None, before: int) -> int | None:
        if r is None:
            return None
        for st in d.stages:
            if st.index < before and (st.name == r.lower() or str(st.index) == r):
                return st.index
        return None

    i, j = find(doc, ref, at), find(bdoc, bref, bat)
    if i is None or j is None:
        return False
    bi, bj = graph.base_of(path, i), graph.base_of(bpath, j)
    if bi is None or bj is None or bi.kind != "external" or bj.kind != "external" or bi.ref != bj.ref:
        return False
    if _context_of(graph, path) != _context_of(graph, bpath):
        return False

    def body(d: Document, k: int) -> list[tuple]:
        return [(x.keyword, _flags_key(x), x.value, tuple((h.name, h.content) for h in x.heredocs))
                for x in d.stage_instructions(d.stages[k])[1:]]

    return body(doc, i) == body(bdoc, j) and doc.stages[i].platform == bdoc.stages[j].platform


def _site_requirements(ctx: Context, graph, bdoc: Document, bpath: str, step: _Step, context: str) -> set[str] | None:
    """The base's `COPY --from=<stage> /root/.local /root/.local` (a pip --user site): the
    requirement files that stage installs into it; None when the copy is anything else."""
    _, _kw, flags, srcs, dest, _ = step.key
    if flags or len(srcs) != 1:
        return None
    ref = step.ins.flag("from")
    src_stage = None
    for st in bdoc.stages:
        if st.index < step.ins.stage and ref is not None and (st.name == ref.lower() or str(st.index) == ref):
            src_stage = st.index
    if src_stage is None:
        return None
    stage = _walk(bdoc, bpath, src_stage)
    home = "/root/.local"
    if posixpath.normpath(srcs[0]) != home or dest != home:
        return None
    installed: set[str] = set()
    for s in stage.steps:
        if s.kind == "run":
            if s.run_kind == "packages":
                continue
            if s.run_kind != "pip" or any(p.local for p in s.pip):
                return None
            for p in s.pip:
                if p.user and p.packages:
                    return None  # packages named on the command line land in the site too
    _, installed, local = _closure(ctx, stage, context, user_only=True)
    return None if local else installed


def _convention(ctx: Context, graph, ref: str, path: str) -> tuple[str, str]:
    """(ARG line or "", FROM word) as the repo's other derived Dockerfiles write FROM the
    base (the most common spelling); else the name the repo maps the base to."""
    spellings: Counter[tuple[str, str]] = Counter()
    for dpath, stage in graph.derived_of(ref):
        if dpath == path:
            continue
        d = ctx.document(dpath)
        raw = d.stages[stage].base
        m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", raw)
        if m:
            arg = _global_arg(d, m.group(1))
            if arg is None or "=" not in arg:
                continue
            spellings[(arg.strip(), raw)] += 1
        else:
            spellings[("", raw)] += 1
    if spellings:
        best = max(spellings.values())
        return sorted(k for k, v in spellings.items() if v == best)[0]
    image = graph.images[ref]
    return "", (image.raw_ref or _familiar(ref))


def _global_arg(doc: Document, name: str) -> str | None:
    """The text of the global ARG that declares `name` (one name per ARG), or None."""
    for ins in doc.global_args():
        for w in ins.value:
            if w.split("=", 1)[0] == name:
                return ins.original.strip() if len(ins.value) == 1 else f"ARG {w}"
    return None


def _build_args(graph, path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in graph.images_built_from(path):
        args = getattr(m, "args_dict", None)
        out.update(args if args is not None else dict(m.args or {}))
    return out


def _names(graph, value: str | None, ref: str) -> bool:
    """Does the reference `value` name the in-repo image `ref`?"""
    if value is None:
        return False
    lookup = getattr(graph, "image", None)
    if lookup is not None:
        found = lookup(value)
        return found is not None and found.ref == ref
    from dockfix.graph.sources import normalise_ref

    return normalise_ref(value) == ref


def _familiar(ref: str) -> str:
    for prefix in ("docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def _cwd_free(s: _Step) -> bool:
    kw = s.ins.keyword
    if s.kind == "run":
        return s.run_kind == "packages"
    if s.kind in ("copy", "copy-from", "copy-other"):
        return s.ins.value[-1].startswith("/")
    if s.kind == "workdir":
        return s.ins.value[0].startswith("/")
    return kw not in ("RUN", "COPY", "ADD", "WORKDIR")


def _overlaps(a: list[str], b: list[str]) -> bool:
    for x in a:
        for y in b:
            if x == y or x.startswith(y.rstrip("/") + "/") or y.startswith(x.rstrip("/") + "/"):
                return True
    return False


def _referenced(ins: Instruction) -> set[str]:
    """Variables an instruction's words expand at build time (not RUN's: the shell reads
    the whole environment)."""
    if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "MAINTAINER", "ONBUILD"):
        return set()
    text = " ".join(ins.flags) + " " + " ".join(ins.value)
    return {m.group(1) or m.group(2) for m in re.finditer(r"\$\{([A-Za-z_]\w*)|\$([A-Za-z_]\w*)", text)}


def _env_diff(a: dict[str, str], b: dict[str, str]) -> str | None:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            return k
    return None


def _show_value(v: str | None) -> str:
    if v is None:
        return "(unset)"
    return re.sub(r"\0(\w+)\0", r"$\1", v)


def _show_dir(d: str) -> str:
    return "/" if d == "\0WORKDIR\0" else _show_value(d).replace("$WORKDIR", "(the image's WORKDIR)")


def _line(doc: Document, ins: Instruction) -> str:
    text = " ".join(ins.original.split())
    if len(text) > 60:
        text = text[:57] + "..."
    return f"`{text}` (line {ins.start_line})"


# --------------------------------------------------------------------------------------
# Private text helpers (the shared `_text` module is another engineer's; these are ours)
# --------------------------------------------------------------------------------------
_RESERVED = frozenset({"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
                       "while", "until", "for", "in", "function", "select", "time", "[[", "]]"})


def _split_chain(script: str) -> list[list[tuple[str, bool]]] | None:
    """A shell-form RUN as `a && b && c`: per simple command, its words (quotes removed)
    and whether the shell would still expand each (`$x`, globs, a leading `~`). None for
    any other shell syntax (`;`, `||`, pipes, redirections, subshells, substitutions,
    comments, newlines, reserved words), which this transform does not read."""
    if _CHAIN_SPECIAL.search(script) is None:
        # Nothing quoted, escaped or expanded: split at `&&`, then at blanks (as the walk does).
        cmds = [[(w, False) for w in _BLANKS.split(part) if w] for part in script.split("&&")]
        if "&" in script.replace("&&", "") or not all(cmds) or any(cmd[0][0] in _RESERVED for cmd in cmds):
            return None
        return cmds
    return _walk_chain(script)


# What sends `_split_chain` through the character walk: quotes, escapes, expansions, and
# the syntax it refuses (a lone `&` is checked on the fast path).
_CHAIN_SPECIAL = re.compile(r"[\"'\\$*?\[~;|<>()`\n\r#]")
_BLANKS = re.compile(r"[ \t]+")


def _walk_chain(script: str) -> list[list[tuple[str, bool]]] | None:
    """`_split_chain`, character by character."""
    cmds: list[list[tuple[str, bool]]] = [[]]
    word: list[str] = []
    expands = False
    in_word = False
    i, n = 0, len(script)

    def end_word() -> None:
        nonlocal word, expands, in_word
        if in_word:
            cmds[-1].append(("".join(word), expands))
        word, expands, in_word = [], False, False

    while i < n:
        c = script[i]
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "&" and script.startswith("&&", i):
            end_word()
            if not cmds[-1]:
                return None
            cmds.append([])
            i += 2
            continue
        if c in ";|&<>()`\n\r" or (c == "#" and not in_word):
            return None
        in_word = True
        if c == "'":
            j = script.find("'", i + 1)
            if j < 0:
                return None
            word.append(script[i + 1:j])
            i = j + 1
        elif c == '"':
            i += 1
            while i < n and script[i] != '"':
                ch = script[i]
                if ch == "\\" and i + 1 < n and script[i + 1] in '$`"\\':
                    word.append(script[i + 1])
                    i += 2
                    continue
                if ch == "`" or (ch == "$" and script.startswith("$(", i)):
                    return None
                if ch == "$":
                    expands = True
                word.append(ch)
                i += 1
            if i >= n:
                return None
            i += 1
        elif c == "\\":
            if i + 1 >= n:
                return None
            word.append(script[i + 1])
            i += 2
        else:
            if c == "$" and script.startswith("$(", i):
                return None
            if c in "$*?[" or (c == "~" and not word):
                expands = True
            word.append(c)
            i += 1
    end_word()
    if not cmds[-1] or any(cmd[0][0] in _RESERVED for cmd in cmds):
        return None
    return cmds


def _mount_types(ins: Instruction) -> list[str]:
    out = []
    for spec in ins.flag_values("mount"):
        kind = "bind"
        for part in spec.split(","):
            k, _, v = part.partition("=")
            if k.strip().lower() == "type":
                kind = v.strip().lower()
        out.append(kind)
    return out


def _flags_key(ins: Instruction) -> tuple[str, ...]:
    return tuple(sorted(ins.flags))


def _delete_lines(ed: Editor, doc: Document, lines: set[int]) -> None:
    """Delete these physical lines without leaving a double blank line where they were
    (nor a blank line first or last in the file); a BOM stays; a file that ended without a
    newline still does."""
    n = doc.line_count
    gone = set(lines)

    def blank(k: int) -> bool:
        raw = doc.line_bytes(k)
        if k == 1 and doc.bom:
            raw = raw[3:]
        return raw.strip(b" \t\r\n\f\v") == b""

    for a, b in _runs(sorted(lines)):
        prev, nxt = a - 1, b + 1
        while prev >= 1 and prev in gone:
            prev -= 1
        while nxt <= n and nxt in gone:
            nxt += 1
        if nxt <= n and blank(nxt) and (prev < 1 or blank(prev)):
            gone.add(nxt)
        elif nxt > n and prev >= 1 and blank(prev):
            gone.add(prev)
    for a, b in _runs(sorted(gone)):
        start = doc.line_starts[a - 1] + (3 if a == 1 and doc.bom else 0)
        ed.replace_span(start, doc.line_span(b)[1], b"")
    if n in gone and not doc.eol_of_line(n):
        keep = max((k for k in range(1, n) if k not in gone), default=0)
        if keep:
            eol = doc.eol_of_line(keep)
            end = doc.line_span(keep)[1]
            ed.replace_span(end - len(eol), end, b"")


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x in lines:
        if out and out[-1][1] == x - 1:
            out[-1] = (out[-1][0], x)
        else:
            out.append((x, x))
    return out
