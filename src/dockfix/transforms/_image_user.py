"""Who an image runs as, read from the Dockerfiles of its in-repo chain: the user non-root
creates, each stage's WORKDIR and ENV, which stage is which image (through the graph), and
the USER a chain ends with (the user an in-repo base gives its images: `_runtime_user`).
Shared by non-root and root-swap; imports no transform."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockfix.model.stage_state import BaseImage, StateBefore, stage_chain, state_at_end
from dockfix.model.stage_state import parent_stage
from dockfix.model.stage_state import state_before as _walker_state
from dockfix.model.words import Binding, Origin, Value, expand_word
from dockfix.model.words import Scope as WordScope
from dockfix.syntax import Document, Instruction, Stage
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


@dataclass
class State:
    workdir: str | None = None  # None: not known
    env: dict[str, str] = field(default_factory=dict)

    def copy(self) -> "State":
        return State(self.workdir, dict(self.env))

    @staticmethod
    def of(state: StateBefore) -> "State":
        """The walker's state (`model.stage_state`): the working directory when known, the
        variables known with ARG defaults as values."""
        return State(state.workdir.known, dict(state.env))


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
    doc = ctx.document(path)
    return State.of(_walker_state(doc, doc.instructions[doc.stages[stage_index].from_index],
                                  _base_image(ctx, path, stage_index)))


def walk_stage(ctx: Context, path: str, doc: Document, stage: Stage) -> list[tuple[Instruction, State]]:
    """Each instruction after FROM with the state before it (`model.stage_state`, from what an
    in-repo base image holds)."""
    base = _base_image(ctx, path, stage.index)
    return [(ins, State.of(_walker_state(doc, ins, base))) for ins in doc.stage_instructions(stage)[1:]]


def state_after(ctx: Context, path: str, doc: Document, stage: Stage) -> State:
    """WORKDIR and ENV at the stage's end."""
    return State.of(state_at_end(doc, stage.index, _base_image(ctx, path, stage.index)))


def _base_image(ctx: Context, path: str, stage_index: int) -> BaseImage | None:
    """What the in-repo image at the end of the stage's chain in this file is FROM holds (its
    end state, through the chain of in-repo images): None when that is an external image."""
    refs = chain(ctx, path, stage_index)
    if len(refs) <= len(stage_chain(ctx.document(path), stage_index)):
        return None  # the chain stays in this file: an external image
    # Every stage built on one base asks this; the answer depends only on the chain's files.
    key = ("base_image", tuple((r, ctx.tree.read(r.path)) for r in refs))
    if key in ctx.cache:
        return ctx.cache[key]
    heads, i = [], 0
    while i < len(refs):  # each file's part of the chain: a stage and the stages of that file it is FROM
        heads.append(refs[i])
        i += len(stage_chain(ctx.document(refs[i].path), refs[i].stage))
    base = None
    for head in reversed(heads[1:]):
        doc = ctx.document(head.path)
        end = state_at_end(doc, head.stage, base)
        base = BaseImage(end.workdir.known, tuple(sorted((k, v) for k, v in end.env.items()
                                                         if k in _env_names(doc, end.chain, base))))
    ctx.cache[key] = base
    return base


def _env_names(doc: Document, stages: tuple[int, ...], base: BaseImage | None) -> set[str]:
    """The names the image config's ENV holds: set by an ENV of these stages or by the base
    (an ARG's value is the build's, not the image's)."""
    from dockfix.transforms._user_edits import env_pairs  # a module of the user transforms: imported only here

    names = {k for k, _ in base.env} if base is not None else set()
    for index in stages:
        names |= {k for ins in doc.stage_instructions(doc.stages[index]) if ins.keyword == "ENV"
                  for k, _ in env_pairs(ins)}
    return names


def last_user(ctx: Context, refs: list[StageRef]) -> tuple[str | None, StageRef | None]:
    """The USER in force at the end of the first stage of `refs` (None: never set), as written:
    the walk of each file (`model.stage_state`) follows the stages of that file it is built on,
    which come next in `refs`."""
    for ref in refs:
        doc = ctx.document(ref.path)
        user = state_at_end(doc, ref.stage).user
        if user is not None:
            written = doc.instructions[user.at]
            return (written.value[0] if written.value else ""), StageRef(ref.path, written.stage)
    return None, None


def start_user_of(ctx: Context, path: str, stage_index: int) -> str:
    """'root' or 'user': what the stage runs as at its start, as the files are written."""
    refs = chain(ctx, path, stage_index)
    value, _ = last_user(ctx, refs[1:])
    return "user" if value is not None and not is_root(value) else "root"
