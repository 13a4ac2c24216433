"""Who an image runs as, read from the Dockerfiles of its in-repo chain: the users non-root
creates and root-swap follows, each stage's WORKDIR and ENV, which stage is which image
(through the graph), and the non-root user an in-repo base ends as. Shared by non-root and
root-swap; imports no transform. RUN is read through the model (`_root_needs.run_scripts`)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockfix.model.words import Binding, Origin, Value, expand_word
from dockfix.model.words import Scope as WordScope
from dockfix.syntax import Document, Instruction, Stage
from dockfix.transforms import _run
from dockfix.transforms._root_needs import Where, run_scripts
from dockfix.transforms._root_needs import under as _under
from dockfix.transforms._user_edits import env_pairs
from dockfix.transforms.base import Context

if TYPE_CHECKING:
    from dockfix.graph import Graph

DEFAULT_USER = ("appuser", 1000, 1000)
PIP_SITE = "/root/.local"

# ----------------------------------------------------------------------------------
# Users
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewUser:
    """The user non-root creates."""

    name: str = "appuser"
    uid: int = 1000
    gid: int = 1000
    group: str = "appuser"

    @property
    def chown(self) -> str:
        return f"{self.name}:{self.group}"

    @property
    def home(self) -> str:
        return f"/home/{self.name}"


def configured_user(config: object) -> NewUser:
    """`user` from the config (name/uid/gid), else appuser/1000/1000."""
    u = getattr(config, "user", None)
    name, uid, gid = DEFAULT_USER
    if u is not None:
        if isinstance(u, dict):
            name, uid, gid = u.get("name", name), u.get("uid", uid), u.get("gid", gid)
        else:
            name = getattr(u, "name", name)
            uid = getattr(u, "uid", uid)
            gid = getattr(u, "gid", gid)
        group = (u.get("group") if isinstance(u, dict) else getattr(u, "group", None)) or name
        return NewUser(str(name), int(uid), int(gid), str(group))
    return NewUser(name, uid, gid, name)


def is_root(value: str) -> bool:
    user = value.strip().split(":", 1)[0].strip()
    return user in ("root", "0", "")


@dataclass(frozen=True)
class RuntimeUser:
    """What a non-root base gives the images built on it."""

    user: str  # the USER value as written: "appuser", "1000:1000"
    name: str
    chown: str  # the --chown value for new files of this user
    home: str | None
    owned: tuple[str, ...]  # directories the user owns: home, app dir
    uid: str | None = None

    def same_user(self, value: str) -> bool:
        v = value.strip().split(":", 1)[0].strip()
        return v == self.name or (self.uid is not None and v == self.uid)


# ----------------------------------------------------------------------------------
# Stage state: WORKDIR and ENV before each instruction
# ----------------------------------------------------------------------------------

_PLAIN_WORD = re.compile(r"[^$'\"<\\]*")


def expand(value: str, env: dict[str, str]) -> str | None:
    """The word as BuildKit expands it (model/words) over the known `env`; None when it
    reads a name not in `env` (not known here) or BuildKit rejects it."""
    if _PLAIN_WORD.fullmatch(value):
        return value
    scope = WordScope({k: Binding(Value.known(v)) for k, v in env.items()}, Origin.UNKNOWN)
    return expand_word(value, scope).text


def _unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


@dataclass
class State:
    workdir: str | None = None  # None: not known
    env: dict[str, str] = field(default_factory=dict)

    def copy(self) -> "State":
        return State(self.workdir, dict(self.env))


def step(state: State, ins: Instruction) -> State:
    s = state.copy()
    if ins.keyword == "WORKDIR" and ins.value:
        raw = expand(_unquote(ins.value[0]), s.env)
        if raw is None:
            s.workdir = None
        elif raw.startswith("/"):
            s.workdir = posixpath.normpath(raw)
        elif s.workdir is not None:
            s.workdir = posixpath.normpath(posixpath.join(s.workdir, raw))
        else:
            s.workdir = None
    elif ins.keyword in ("ENV", "ARG"):
        if ins.keyword == "ENV":
            pairs = env_pairs(ins)
        else:
            pairs = [(w.split("=", 1)[0], w.split("=", 1)[1]) for w in ins.value if "=" in w]
        for k, v in pairs:
            val = expand(_unquote(v), s.env)
            if val is None:
                s.env.pop(k, None)
            else:
                s.env[k] = val
    return s


def copy_dest(ins: Instruction, state: State) -> str | None:
    """Where a COPY/ADD writes, as an absolute normalised path (None: unknown)."""
    if not ins.value:
        return None
    dest = expand(ins.value[-1], state.env)
    if dest is None:
        return None
    if not dest.startswith("/"):
        if state.workdir is None:
            return None
        dest = posixpath.join(state.workdir, dest)
    return posixpath.normpath(dest)


# ----------------------------------------------------------------------------------
# The repository: which stage is which image, who builds FROM it (through the graph)
# ----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class StageRef:
    path: str
    stage: int


def parent_stage(doc: Document, stage: Stage) -> Stage | None:
    """The earlier stage this stage is FROM, if any."""
    base = stage.base.lower()
    for s in doc.stages[: stage.index]:
        if s.name is not None and s.name == base:
            return s
    return None


def _graph(ctx: Context) -> "Graph":
    return ctx.graph()


def image_of_stage(ctx: Context, path: str, stage_index: int) -> StageRef | None:
    """The in-repo image stage this stage is FROM (not following earlier stages)."""
    g = _graph(ctx)
    base = g.base_of(path, stage_index)
    if base is None or base.kind != "internal" or base.image is None:
        return None
    node = g.dockerfiles.get(base.image.dockerfile)
    if node is None or node.document is None:
        return None
    index = g.image_stage(base.image)
    return None if index is None else StageRef(base.image.dockerfile, index)


def resolved_base(ctx: Context, path: str, stage_index: int) -> str:
    """The stage's FROM with its ARGs resolved (as the graph resolved them)."""
    base = _graph(ctx).base_of(path, stage_index)
    return base.ref if base is not None else ctx.document(path).stages[stage_index].base


def in_repo_bases(ctx: Context) -> dict[StageRef, list[StageRef]]:
    """The stage of each in-repo image that other Dockerfiles build FROM -> the stages
    built on it (in other files, and later stages of its own file FROM it)."""
    out: dict[StageRef, list[StageRef]] = {}
    for path in ctx.dockerfiles():
        doc = ctx.document(path)
        for stage in doc.stages:
            base = image_of_stage(ctx, path, stage.index)
            if base is not None and base.path != path:
                out.setdefault(base, []).append(StageRef(path, stage.index))
    for base in list(out):
        doc = ctx.document(base.path)
        for stage in doc.stages[base.stage + 1:]:
            parent = parent_stage(doc, stage)
            if parent is not None and parent.index == base.stage:
                out[base].append(StageRef(base.path, stage.index))
    return out


def chain(ctx: Context, path: str, stage_index: int, limit: int = 32) -> list[StageRef]:
    """This stage, then what it is FROM, and so on, through earlier stages and in-repo
    images (nearest first). Ends at an external image."""
    out: list[StageRef] = []
    ref: StageRef | None = StageRef(path, stage_index)
    while ref is not None and len(out) < limit and ref not in out:
        out.append(ref)
        doc = ctx.document(ref.path)
        stage = doc.stages[ref.stage]
        parent = parent_stage(doc, stage)
        if parent is not None:
            ref = StageRef(ref.path, parent.index)
        else:
            ref = image_of_stage(ctx, ref.path, ref.stage)
    return out


def external_base(ctx: Context, refs: list[StageRef]) -> str:
    """The FROM of the last stage of a chain (the external image everything starts from)."""
    last = refs[-1]
    return resolved_base(ctx, last.path, last.stage)


def in_repo_origin(ctx: Context, path: str, stage_index: int,
                   bases: dict[StageRef, list[StageRef]] | None = None) -> StageRef | None:
    """The first in-repo base stage reached from this stage: an in-repo image it is FROM,
    or an earlier stage of the same file that is itself an in-repo base image's stage."""
    bases = in_repo_bases(ctx) if bases is None else bases
    doc = ctx.document(path)
    stage = doc.stages[stage_index]
    for _ in range(32):
        img = image_of_stage(ctx, path, stage.index)
        if img is not None:
            return img
        parent = parent_stage(doc, stage)
        if parent is None:
            return None
        if StageRef(path, parent.index) in bases:
            return StageRef(path, parent.index)
        stage = parent
    return None


def state_before(ctx: Context, path: str, stage_index: int) -> State:
    """WORKDIR and ENV a stage starts with: what its chain of parents set."""
    refs = chain(ctx, path, stage_index)
    state = State()
    for ref in reversed(refs[1:]):
        doc = ctx.document(ref.path)
        for ins in doc.stage_instructions(doc.stages[ref.stage])[1:]:
            state = step(state, ins)
    return state


def walk_stage(ctx: Context, path: str, doc: Document, stage: Stage) -> list[tuple[Instruction, State]]:
    state = state_before(ctx, path, stage.index)
    out = []
    for ins in doc.stage_instructions(stage)[1:]:
        out.append((ins, state))
        state = step(state, ins)
    return out


def last_user(ctx: Context, refs: list[StageRef]) -> tuple[str | None, StageRef | None]:
    """The USER in force at the end of the first stage of `refs` (None: never set)."""
    for ref in refs:
        doc = ctx.document(ref.path)
        for ins in reversed(doc.stage_instructions(doc.stages[ref.stage])):
            if ins.keyword == "USER":
                return (ins.value[0] if ins.value else ""), ref
    return None, None


def start_user_of(ctx: Context, path: str, stage_index: int) -> str:
    """'root' or 'user': what the stage runs as at its start, as the files are written."""
    refs = chain(ctx, path, stage_index)
    value, _ = last_user(ctx, refs[1:])
    return "user" if value is not None and not is_root(value) else "root"


def runtime_user(ctx: Context, origin: StageRef) -> RuntimeUser | None:
    """The non-root user an in-repo image stage ends as, and what it owns (None: root)."""
    refs = chain(ctx, origin.path, origin.stage)
    # Every image built on one base asks this; the answer depends only on the chain's files.
    key = ("runtime_user", origin, tuple((r, ctx.tree.read(r.path)) for r in refs))
    if key not in ctx.cache:
        ctx.cache[key] = _runtime_user(ctx, refs)
    return ctx.cache[key]


@dataclass
class _Owner:
    """What the chain's stages say about the user: its home, uid, groups, the directories it owns."""

    name: str
    uid: str | None
    home: str | None
    chown: str | None = None
    groups: set[str] = field(default_factory=set)
    owned: list[str] = field(default_factory=list)


def _runtime_user(ctx: Context, refs: list[StageRef]) -> RuntimeUser | None:
    value, where = last_user(ctx, refs)
    if value is None or is_root(value):
        return None
    value = value.strip()
    name, _, group = value.partition(":")
    owner = _Owner(name, name if name.isdigit() else None, None if name.isdigit() else f"/home/{name}")
    _read_chain(ctx, refs, owner)
    chown = owner.chown or _chown_of(value, group, owner)
    dirs = ([owner.home] if owner.home else []) + owner.owned
    uniq = tuple(dict.fromkeys(d for d in dirs if d and d != "/"))
    return RuntimeUser(user=value, name=name, chown=chown, home=owner.home, owned=uniq, uid=owner.uid)


def _read_chain(ctx: Context, refs: list[StageRef], owner: _Owner) -> None:
    """Walk the chain from the outside in: the ownership its stages gave the user."""
    final = State()
    for ref in reversed(refs):
        doc = ctx.document(ref.path)
        state = final if ref != refs[-1] else State()
        for ins in doc.stage_instructions(doc.stages[ref.stage])[1:]:
            if ins.keyword in ("COPY", "ADD"):
                _owned_by_copy(ins, state, owner)
            elif ins.keyword == "RUN":
                _owned_by_run(doc, ins, state, owner)
            state = step(state, ins)
        final = state


def _chown_of(value: str, group: str, owner: _Owner) -> str:
    """`--chown=` for the user: as USER says it, else user:user when that group was made."""
    if group:
        return value
    return f"{owner.name}:{owner.name}" if owner.name in owner.groups else owner.name


def _owned_by_copy(ins: Instruction, state: State, owner: _Owner) -> None:
    ch = ins.flag("chown")
    if ch and ch.split(":", 1)[0] == owner.name:
        owner.chown = owner.chown or ch
        dest = copy_dest(ins, state)
        if dest is not None and state.workdir and _under(dest, state.workdir):
            owner.owned.append(state.workdir)


def _owned_by_run(doc: Document, ins: Instruction, state: State, owner: _Owner) -> None:
    """groupadd/addgroup, useradd/adduser (home, uid) and chown in a RUN, read by the model."""
    scripts = run_scripts(ins, Where(state.workdir, env=dict(state.env)), _run.shell_at(doc, ins) or ("?",))
    for c in (c for script in scripts or () for c in script.commands):
        name = posixpath.basename(c.name or "")
        words = [w for w in c.args[1:] if w is not None]
        if name in ("groupadd", "addgroup") and words:
            owner.groups.add(words[-1])
        elif name in ("useradd", "adduser") and words and words[-1] == owner.name:
            _user_options(words[:-1], owner)
        elif name == "chown":
            _owned_by_chown(c.args[1:], c.cwd, owner)


def _user_options(words: list[str], owner: _Owner) -> None:
    for i, w in enumerate(words):
        if w in ("-d", "--home-dir", "-h", "--home") and i + 1 < len(words):
            owner.home = words[i + 1]
        elif w.startswith("--home-dir="):
            owner.home = w.split("=", 1)[1]
        elif w in ("-u", "--uid") and i + 1 < len(words):
            owner.uid = words[i + 1]


def _owned_by_chown(args: tuple[str | None, ...], cwd: str | None, owner: _Owner) -> None:
    words = [w for w in args if w is None or not w.startswith("-")]
    if not words or words[0] is None or words[0].split(":", 1)[0] not in (owner.name, owner.uid):
        return
    for w in words[1:]:
        d = None if w is None else w if w.startswith("/") else posixpath.join(cwd, w) if cwd else None
        if d:
            owner.owned.append(posixpath.normpath(d))
