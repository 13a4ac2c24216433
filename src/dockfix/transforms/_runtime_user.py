"""The non-root user an in-repo base ends as, read from the Dockerfiles of its chain: the USER
value, its home and uid (`useradd -d/-u`, else `/home/<login>`; a numeric USER through the
account a RUN creates with that uid), the `--chown` value its COPYs use, and the directories
it owns (`COPY --chown` into the WORKDIR, `chown`). root-swap follows it; imports no
transform. RUN is read through the model (`_root_needs.run_scripts`)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from dockfix.syntax import Document, Instruction
from dockfix.transforms import _run
from dockfix.transforms._image_user import State, StageRef, chain, copy_dest, is_root, last_user, walk_stage
from dockfix.transforms._root_needs import Where, run_scripts
from dockfix.transforms._root_needs import under as _under
from dockfix.transforms.base import Context


@dataclass(frozen=True)
class RuntimeUser:
    """What a non-root base gives the images built on it."""

    user: str  # the USER value as written: "appuser", "1000:1000"
    name: str
    chown: str  # the --chown value for new files of this user
    home: str | None
    owned: tuple[str, ...]  # directories the user owns: home, app dir
    uid: str | None = None
    login: str | None = None  # the account of a numeric USER, when a RUN of the chain creates it

    def same_user(self, value: str) -> bool:
        v = value.strip().split(":", 1)[0].strip()
        return v in (self.name, self.uid, self.login)


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
    login: str | None = None  # for a numeric USER: the account a RUN creates with that uid
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
    return RuntimeUser(user=value, name=name, chown=chown, home=owner.home, owned=uniq, uid=owner.uid,
                       login=owner.login)


def _read_chain(ctx: Context, refs: list[StageRef], owner: _Owner) -> None:
    """Walk the chain from the outside in: the ownership its stages gave the user."""
    for ref in reversed(refs):
        doc = ctx.document(ref.path)
        for ins, state in walk_stage(ctx, ref.path, doc, doc.stages[ref.stage]):
            if ins.keyword in ("COPY", "ADD"):
                _owned_by_copy(ins, state, owner)
            elif ins.keyword == "RUN":
                _owned_by_run(doc, ins, state, owner)


def _chown_of(value: str, group: str, owner: _Owner) -> str:
    """`--chown=` for the user: as USER says it, else user:user when that group was made."""
    if group:
        return value
    return f"{owner.name}:{owner.name}" if owner.name in owner.groups else owner.name


def _owned_by_copy(ins: Instruction, state: State, owner: _Owner) -> None:
    ch = ins.flag("chown")
    if ch and ch.split(":", 1)[0] in _names(owner):
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
        elif name in ("useradd", "adduser") and words:
            _account(words, owner)
        elif name == "chown":
            _owned_by_chown(c.args[1:], c.cwd, owner)


def _names(owner: _Owner) -> tuple[str, ...]:
    """What names the user: the USER value's user, its uid, its account."""
    return tuple(n for n in (owner.name, owner.uid, owner.login) if n)


def _account(words: list[str], owner: _Owner) -> None:
    """`useradd [options] LOGIN`: the user's own account, by its login or (a numeric USER)
    by its `-u` uid; that account's home is `-d`, else `/home/LOGIN` (useradd's and BusyBox
    adduser's default)."""
    probe = _Owner(words[-1], None, None)
    _user_options(words[:-1], probe)
    if words[-1] == owner.name:
        _user_options(words[:-1], owner)
    elif owner.name.isdigit() and probe.uid == owner.name and owner.login is None:
        owner.login = words[-1]
        owner.home = probe.home or f"/home/{words[-1]}"


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
    if not words or words[0] is None or words[0].split(":", 1)[0] not in _names(owner):
        return
    for w in words[1:]:
        d = None if w is None else w if w.startswith("/") else posixpath.join(cwd, w) if cwd else None
        if d:
            owner.owned.append(posixpath.normpath(d))
