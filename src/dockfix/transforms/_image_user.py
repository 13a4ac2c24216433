"""Who an image runs as, read from the Dockerfiles of its in-repo chain: the user non-root
creates, each stage's WORKDIR and ENV, which stage is which image (through the graph), and
the USER a chain ends with (the user an in-repo base gives its images: `_runtime_user`).
Shared by non-root and root-swap; imports no transform."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockfix.model.words import Binding, Origin, Value, expand_word
from dockfix.model.words import Scope as WordScope
from dockfix.syntax import Document, Instruction, Stage
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
    numeric: bool = False  # USER as `uid:gid` (the config's `user.numeric`)

    @property
    def user_value(self) -> str:
        """What USER says: the name, or `uid:gid` (Kubernetes' runAsNonRoot can verify only a
        number, and hadolint's DL3066 reports a name: "may not be resolvable by host system")."""
        return f"{self.uid}:{self.gid}" if self.numeric else self.name

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
        numeric = u.get("numeric", False) if isinstance(u, dict) else getattr(u, "numeric", False)
        return NewUser(str(name), int(uid), int(gid), str(group), bool(numeric))
    return NewUser(name, uid, gid, name)


def is_root(value: str) -> bool:
    user = value.strip().split(":", 1)[0].strip()
    return user in ("root", "0", "")


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
    hit = ctx.linked.get("in_repo_bases")
    if hit is None:  # read from the graph and the stages only (`Context.linked`)
        hit = ctx.linked["in_repo_bases"] = _in_repo_bases(ctx)
    return {base: list(built) for base, built in hit.items()}


def _in_repo_bases(ctx: Context) -> dict[StageRef, list[StageRef]]:
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
    key = ("chain", path, stage_index, limit)
    hit = ctx.linked.get(key)
    if hit is None:  # read from the graph and the stages only (`Context.linked`)
        hit = ctx.linked[key] = tuple(_chain(ctx, path, stage_index, limit))
    return list(hit)


def _chain(ctx: Context, path: str, stage_index: int, limit: int) -> list[StageRef]:
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
    # Every stage built on one base asks this; the answer depends only on the chain's files.
    key = ("state_before", tuple((r, ctx.tree.read(r.path)) for r in refs[1:]))
    state = ctx.cache.get(key)
    if state is None:
        state = State()
        for ref in reversed(refs[1:]):
            doc = ctx.document(ref.path)
            for ins in doc.stage_instructions(doc.stages[ref.stage])[1:]:
                state = step(state, ins)
        ctx.cache[key] = state
    return state.copy()


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
