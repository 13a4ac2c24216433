"""non-root: the in-repo base image's runtime stage creates a user and ends as it.

What it does. On the stage that an in-repo base image is (a Dockerfile other in-repo
Dockerfiles build FROM; the stage is the image's build target, else the last stage) it
  - creates a group and a user (`appuser`, uid/gid 1000, configurable) with one RUN,
    placed just before the first instruction that needs the user, so every layer above
    it (apt and other root-only RUNs) keeps its cache; the same RUN hands the app
    directory itself (the final WORKDIR, still empty there) to the user;
  - relocates a `pip --user` site copied from a builder: `COPY --from=b /root/.local
    /root/.local` becomes `COPY --from=b --chown=u:g /root/.local /home/u/.local`, and the
    PATH entries under `/root/.local` follow it;
  - gives the app code to the user with `COPY --chown=u:g` (never `RUN chown -R`, which
    writes a second copy of every file into a new layer);
  - ends the stage with `USER u`, after the last RUN/COPY and before the trailing
    CMD/ENTRYPOINT/HEALTHCHECK/EXPOSE metadata. Images built on the base inherit it.

When it must not fire. Nothing in the repo builds FROM the image (not considered);
`# dockfix: ignore[non-root]` above the stage's FROM; the stage already ends as a
non-root user (inherited or its own USER); the stage sets USER root itself, or creates a
user without switching to it; FROM scratch, distroless, busybox or ubi-minimal (no
useradd); a base whose uid/gid 1000 is taken (node, ubuntu ≥ 24.04); the stage or an
image built on it evidently needs root at run time (binds a port below 1024); the stage
runs `pip install --user` itself, copies other files into /root, or refers to /root
in CMD/ENTRYPOINT/HEALTHCHECK/ENV; ONBUILD triggers. Each skip is reported.

Why the result is equivalent. The files, their bytes and paths, CMD, ENTRYPOINT,
WORKDIR and every ENV but the relocated PATH entry stay. The only run-time change is
the one asked for: the process runs as the new user, who owns the app directory, the
app files and the relocated site (which is now where that user's Python looks:
`~/.local` of HOME=/home/u), so everything it could read, import, execute or write
before it still can.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockfix.model.words import Binding, Origin, Value, expand_word
from dockfix.model.words import Scope as WordScope
from dockfix.model.shell import read_script
from dockfix.syntax import Document, Instruction, Stage
from dockfix.syntax.edit import Editor
from dockfix.transforms import _run
from dockfix.transforms._root_needs import Where, analyse_run, command_names, run_scripts
from dockfix.transforms._text import file_style, join_commands
from dockfix.transforms.base import Context, Safety, Transform

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
# Text: the file's own style
# ----------------------------------------------------------------------------------


def keyword(doc: Document, word: str) -> str:
    """`word` in the file's keyword case (all lower case files stay lower case)."""
    kws = [i.cmd for i in doc.instructions]
    if kws and all(k == k.lower() for k in kws):
        return word.lower()
    return word.upper()


def format_run(doc: Document, commands: list[str]) -> str:
    """One RUN of `commands` joined by `&&`, in the file's style (shared with the other
    transforms: one line up to 100 characters, else the file's continuation indent and
    `&&` placement)."""
    return join_commands(keyword(doc, "RUN") + " ", commands, file_style(doc))


def _blank(doc: Document, line: int) -> bool:
    return 1 <= line <= doc.line_count and doc.line_bytes(line).strip() == b""


def insert_paragraph(ed: Editor, doc: Document, ins: Instruction, text: str) -> None:
    """Insert `text` above `ins` and its comment block; when a blank line separates that
    block from what precedes it, the new text becomes a paragraph of its own."""
    line = doc.leading_comment_start(ins)
    ed.insert_at_line(line, text, like=ins)
    if _blank(doc, line - 1):
        ed.insert_at_line(line, "", like=ins)


# Instructions that only set metadata: a USER placed before them changes nothing they do.
TRAILING = frozenset({"CMD", "ENTRYPOINT", "HEALTHCHECK", "EXPOSE", "LABEL", "STOPSIGNAL",
                      "VOLUME", "ENV", "ARG", "SHELL", "MAINTAINER"})


def stage_end(doc: Document, stage: Stage) -> tuple[Instruction | None, Instruction]:
    """(first instruction of the trailing metadata block or None, last instruction before it)."""
    instrs = doc.stage_instructions(stage)
    k = len(instrs)
    while k > 1 and instrs[k - 1].keyword in TRAILING:
        k -= 1
    first_meta = instrs[k] if k < len(instrs) else None
    return first_meta, instrs[k - 1]


def insert_at_stage_end(ed: Editor, doc: Document, stage: Stage, text: str) -> None:
    first_meta, last = stage_end(doc, stage)
    if first_meta is not None:
        insert_paragraph(ed, doc, first_meta, text)
    else:
        ed.insert_after(last, text)


def add_flag(ed: Editor, doc: Document, ins: Instruction, flag: str) -> None:
    """Add `flag` after the instruction's existing flags (those on its first line)."""
    first = doc.line_bytes(ins.start_line).decode("utf-8", "surrogateescape")
    at = re.match(r"[ \t]*\S+", first).end()
    for _ in ins.flags:
        fm = re.match(r"[ \t]+--\S+", first[at:])
        if fm is None:
            break
        at += fm.end()
    offset = len(first[:at].encode("utf-8", "surrogateescape"))
    ed.replace_span(ins.start + offset, ins.start + offset, f" {flag}".encode())


def replace_last(ed: Editor, doc: Document, ins: Instruction, old: str, new: str) -> bool:
    """Replace the last occurrence of `old` in the instruction's own text (not heredocs)."""
    text = doc.text(ins)
    head_end = len(text)
    if ins.heredocs:
        first_line_end = doc.line_span(ins.start_line)[1] - ins.start
        head_end = first_line_end
    k = text.rfind(old.encode(), 0, head_end)
    if k < 0:
        return False
    ed.replace_span(ins.start + k, ins.start + k + len(old.encode()), new.encode())
    return True


_SITE_RE = r"{old}(?=[/:\"'\s]|$)"


def env_pairs(ins: Instruction) -> list[tuple[str, str]]:
    v = list(ins.value)
    return [(v[i], v[i + 1]) for i in range(0, len(v) - 1, 2)]


def relocate_env(ed: Editor, doc: Document, ins: Instruction, old: str, new: str) -> bool:
    """Rewrite `old` to `new` in the PATH / PYTHONUSERBASE values of an ENV instruction.
    Returns False (and changes nothing) when another key of the same ENV mentions `old`."""
    pairs = env_pairs(ins)
    pat = re.compile(_SITE_RE.format(old=re.escape(old)))
    hits = [k for k, v in pairs if pat.search(v)]
    if not hits:
        return True
    if any(k not in ("PATH", "PYTHONUSERBASE") for k in hits):
        return False
    text = doc.text(ins).decode("utf-8", "surrogateescape")
    for m in reversed(list(pat.finditer(text))):
        s = len(text[: m.start()].encode("utf-8", "surrogateescape"))
        ed.replace_span(ins.start + s, ins.start + s + len(old.encode()), new.encode())
    return True


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
    final = State()
    # walk the chain from the outside in: ownership the stages gave the user
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
    chown = owner.chown or (value if group else f"{name}:{name}" if name in owner.groups else name)
    dirs = ([owner.home] if owner.home else []) + owner.owned
    uniq = tuple(dict.fromkeys(d for d in dirs if d and d != "/"))
    return RuntimeUser(user=value, name=name, chown=chown, home=owner.home, owned=uniq, uid=owner.uid)


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


def _under(path: str, directory: str) -> bool:
    d = directory.rstrip("/") or "/"
    return d == "/" or path == d or path.startswith(d + "/")


# ----------------------------------------------------------------------------------
# Evidence that a process needs root at run time: ports below 1024
# ----------------------------------------------------------------------------------

_HOSTPORT = re.compile(r"(?:\[[0-9a-fA-F:.]*\]|[A-Za-z0-9_.-]*):(\d{1,5})")
_PORT_FLAGS = frozenset({"--port", "-p", "--listen", "--http-port", "--bind", "-b", "--host-port"})


def _words(ins: Instruction) -> list[str]:
    """The words of a CMD/ENTRYPOINT, read by the model (shell form: every command's words,
    as written where the value is not known)."""
    if ins.json:
        return list(ins.value)
    script = read_script(ins.value[-1] if ins.value else "", workdir=None)
    return [w.value if w.value is not None else w.text for c in script.commands for w in c.argv]


def _port_of(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    m = _HOSTPORT.fullmatch(word)
    return int(m.group(1)) if m else None


def low_port_evidence(doc: Document, instrs: list[Instruction]) -> list[tuple[Instruction, int, str]]:
    """(instruction, port, what) for every sign the process binds a port below 1024."""
    out = []
    for ins in instrs:
        if ins.keyword == "EXPOSE":
            for tok in ins.value:
                p = tok.split("/", 1)[0].split("-", 1)[0]
                if p.isdigit() and 0 < int(p) < 1024:
                    out.append((ins, int(p), f"EXPOSE {tok}"))
        elif ins.keyword in ("CMD", "ENTRYPOINT"):
            words = _words(ins)
            for i, w in enumerate(words):
                port = None
                if "=" in w and w.startswith("-"):
                    flag, val = w.split("=", 1)
                    if flag in _PORT_FLAGS:
                        port = _port_of(val)
                elif w in _PORT_FLAGS or w in ("runserver", "http.server"):
                    if i + 1 < len(words):
                        port = _port_of(words[i + 1])
                elif _HOSTPORT.fullmatch(w) and ("." in w.split(":")[0] or w.startswith(":")
                                                 or w.split(":")[0] in ("localhost", "")):
                    port = _port_of(w)
                if port is not None and 0 < port < 1024:
                    shown = w if (":" in w or "=" in w) else f"{w} {words[i + 1]}"
                    out.append((ins, port, f"{ins.keyword} {shown}"))
    return out


# ----------------------------------------------------------------------------------
# Base images: which distribution family (how to create a user)
# ----------------------------------------------------------------------------------


def image_name_tag(ref: str) -> tuple[str, str]:
    ref = ref.split("@", 1)[0]
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    return name.lower(), tag.lower()


def family(base: str, commands: frozenset[str] = frozenset()) -> tuple[str, str | None]:
    """("shadow" | "busybox-adduser" | "skip", why-skip); `commands`: the names of the commands
    the image's RUNs run (`apk` says alpine)."""
    name, tag = image_name_tag(base)
    short = name.rsplit("/", 1)[-1]
    if name == "scratch":
        return "skip", "FROM scratch: no shell to create a user with"
    if "distroless" in name or short in ("static", "static-debian12", "base-debian12"):
        return "skip", f"{base} is distroless: no shell to create a user with (use its nonroot tag)"
    if short == "busybox":
        return "skip", f"{base} is busybox: no distribution whose user tools non-root knows"
    if short in ("ubi-minimal", "ubi-micro", "ubi8-minimal", "ubi9-minimal", "ubi8-micro", "ubi9-micro"):
        return "skip", f"{base} has no useradd (shadow-utils is not installed)"
    if "alpine" in short or "alpine" in tag or "apk" in commands:
        return "busybox-adduser", None
    return "shadow", None


def uid_taken(base: str, user: NewUser) -> str | None:
    name, tag = image_name_tag(base)
    short = name.rsplit("/", 1)[-1]
    if short == "node" and 1000 in (user.uid, user.gid):
        return f"{base} already has the user node with uid/gid 1000"
    if short == "ubuntu" and 1000 in (user.uid, user.gid) and (
            tag in ("latest", "rolling", "devel", "noble", "oracular", "plucky")
            or re.match(r"^(2[4-9]|[3-9]\d)\.\d\d", tag)):
        return f"{base} already has the user ubuntu with uid/gid 1000"
    return None


def create_user_commands(fam: str, user: NewUser, appdir: str | None) -> list[str]:
    if fam == "busybox-adduser":
        cmds = [f"addgroup -g {user.gid} {user.group}",
                f"adduser -D -u {user.uid} -G {user.group} {user.name}"]
    else:
        cmds = [f"groupadd --gid {user.gid} {user.group}",
                f"useradd --uid {user.uid} --gid {user.group} --create-home {user.name}"]
    if appdir is not None:
        cmds.append(f"chown {user.chown} {appdir}")
    return cmds


# Directories that are the system's, never an app directory to give away.
_SYSTEM = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
           "/root", "/run", "/sbin", "/sys", "/usr", "/tmp", "/var/tmp", "/var/lib", "/var/cache",
           "/var/log", "/var/run")


def is_app_dir(path: str | None) -> bool:
    if path is None or path in ("/", "/var", "/opt", "/home", "/mnt", "/media", "/srv"):
        return False
    return not any(_under(path, d) for d in _SYSTEM)


# ----------------------------------------------------------------------------------
# The transform
# ----------------------------------------------------------------------------------


class NonRoot(Transform):
    name = "non-root"
    summary = ("Make the in-repo base image's runtime stage create a user and end as it "
               "(COPY --chown, pip --user site moved to its home); derived images inherit it.")
    safety = Safety.UNSAFE  # the process's user changes: that is the point, and an opt-in
    answers = "hadolint DL3002 (last USER should not be root); CIS Docker 4.1 (create a user for the container)"

    def apply(self, ctx: Context) -> None:
        user = configured_user(ctx.config)
        by_file: dict[str, list[tuple[int, list[StageRef]]]] = {}
        for ref, derived in sorted(in_repo_bases(ctx).items()):
            by_file.setdefault(ref.path, []).append((ref.stage, derived))
        for path, stages in sorted(by_file.items()):
            doc = ctx.document(path)
            if ctx.file_ignored(doc):
                continue
            ed = Editor(doc)
            for index, derived in stages:
                self._stage(ctx, ed, path, doc, doc.stages[index], derived, user)
            if ed:
                ctx.write(path, ed.apply())

    def _stage(self, ctx: Context, ed: Editor, path: str, doc: Document, stage: Stage,
               derived: list[StageRef], user: NewUser) -> None:
        instrs = doc.stage_instructions(stage)
        head, body = instrs[0], instrs[1:]
        label = f"stage '{stage.name}'" if stage.name else "the stage"
        if ctx.ignored(doc, head):
            return
        refs = chain(ctx, path, stage.index)
        value, where = last_user(ctx, refs)
        if value is not None and not is_root(value):
            return  # already non-root (its own USER or inherited): nothing to do
        if value is not None:
            line = next(i.start_line for i in reversed(doc.stage_instructions(doc.stages[where.stage]))
                        if i.keyword == "USER") if where.path == path else head.start_line
            ctx.skip(path, line, f"{label} sets USER {value} itself; left as it is")
            return
        skip = self._why_not(ctx, path, doc, stage, body, refs, derived, user, label)
        if skip is not None:
            line, msg = skip
            ctx.skip(path, line, msg)
            return
        self._edit(ctx, ed, path, doc, stage, body, refs, user)

    # -- when not
    def _why_not(self, ctx: Context, path: str, doc: Document, stage: Stage, body: list[Instruction],
                 refs: list[StageRef], derived: list[StageRef], user: NewUser,
                 label: str) -> tuple[int, str] | None:
        head = doc.instructions[stage.from_index]
        base = external_base(ctx, refs)
        fam, why = family(base, _run_command_names(ctx, refs))
        if fam == "skip":
            return head.start_line, why
        taken = uid_taken(base, user)
        if taken is not None:
            return head.start_line, f"{taken}; set another uid/gid in the config"
        for ins in body:
            if ins.keyword == "ONBUILD":
                return ins.start_line, f"ONBUILD triggers would run as {user.name} in derived images"
            if ins.keyword == "RUN":
                if command_names(ins, _run.shell_at(doc, ins) or ("?",)) & {"useradd", "adduser"}:
                    return ins.start_line, f"{label} creates a user without switching to it; finish it by hand"
                needs = analyse_run(ins, Where(cwd=None), _run.shell_at(doc, ins) or ("?",))
                if needs.user:
                    return ins.start_line, (f"`pip install --user` in {label} installs into /root/.local as "
                                            f"root, which {user.name} cannot read; install it in a builder "
                                            "stage and COPY the site")
            if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and "/root" in ins.original:
                return ins.start_line, f"{ins.keyword} refers to /root, which {user.name} cannot read"
            if ins.keyword == "ENV":
                for k, v in env_pairs(ins):
                    if k == "HOME":
                        return ins.start_line, f"{label} sets HOME itself; left as it is"
                    if "/root" in v and not (k in ("PATH", "PYTHONUSERBASE")
                                             and re.search(_SITE_RE.format(old=re.escape(PIP_SITE)), v)):
                        return ins.start_line, f"ENV {k} refers to /root, which {user.name} cannot read"
        for ins, st in walk_stage(ctx, path, doc, stage):
            if ins.keyword in ("COPY", "ADD"):
                dest = copy_dest(ins, st)
                if dest is not None and _under(dest, "/root") and not (
                        ins.flag("from") is not None and dest == PIP_SITE):
                    return ins.start_line, f"copies into {dest}, which {user.name} cannot read"
                if dest == PIP_SITE and (ctx.ignored(doc, ins) or ins.flag("chown") is not None):
                    return ins.start_line, (f"the pip site COPY into {PIP_SITE} is ignored or has its own "
                                            f"--chown: it cannot be moved to {user.home}, and "
                                            f"{user.name} cannot read /root")
        ports = low_port_evidence(doc, body)
        if ports:
            ins, port, what = ports[0]
            return ins.start_line, (f"{what}: port {port} (< 1024) needs root at run time; a non-root "
                                    "user cannot bind it")
        for ref in derived:
            ddoc = ctx.document(ref.path)
            dstage = ddoc.stages[ref.stage]
            dins = ddoc.stage_instructions(dstage)
            if any(i.keyword == "USER" for i in dins):
                continue
            ports = low_port_evidence(ddoc, dins)
            if ports:
                ins, port, what = ports[0]
                return head.start_line, (f"{ref.path}:{ins.start_line} ({what}) would inherit the user, and "
                                         f"port {port} (< 1024) needs root at run time")
            for i in dins:
                if i.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and "/root" in i.original:
                    return head.start_line, (f"{ref.path}:{i.start_line}: {i.keyword} refers to /root, "
                                             f"which {user.name} cannot read")
        return None

    # -- the edit
    def _edit(self, ctx: Context, ed: Editor, path: str, doc: Document, stage: Stage,
              body: list[Instruction], refs: list[StageRef], user: NewUser) -> None:
        walk = walk_stage(ctx, path, doc, stage)
        final = step(walk[-1][1], walk[-1][0]) if walk else state_before(ctx, path, stage.index)
        appdir = final.workdir if is_app_dir(final.workdir) else None
        owned = [d for d in (appdir, user.home) if d]
        needing: list[Instruction] = []
        relocated = False
        for ins, st in walk:
            if ins.keyword not in ("COPY", "ADD") or ctx.ignored(doc, ins):
                continue
            if ins.flag("chown") is not None:
                continue
            dest = copy_dest(ins, st)
            if dest is None:
                continue
            if ins.flag("from") is not None and dest == PIP_SITE:
                raw_dest = ins.value[-1]
                new_dest = user.home + "/.local" + ("/" if raw_dest.endswith("/") else "")
                add_flag(ed, doc, ins, f"--chown={user.chown}")
                replace_last(ed, doc, ins, raw_dest, new_dest)
                relocated = True
                needing.append(ins)
            elif any(_under(dest, d) for d in owned):
                add_flag(ed, doc, ins, f"--chown={user.chown}")
                needing.append(ins)
        if relocated:
            for ins in body:
                if ins.keyword == "ENV":
                    relocate_env(ed, doc, ins, PIP_SITE, user.home + "/.local")
        # the user: before the first instruction that needs it, else before USER
        first_meta, last = stage_end(doc, stage)
        anchor = needing[0] if needing else first_meta
        fam, _ = family(external_base(ctx, refs), _run_command_names(ctx, refs))
        chown_dir = None
        if appdir is not None:
            setter = [i for i, _ in walk if i.keyword == "WORKDIR"]
            anchor_index = anchor.index if anchor is not None else last.index + 1
            if not setter or setter[-1].index < anchor_index:
                chown_dir = appdir
        create = format_run(doc, create_user_commands(fam, user, chown_dir))
        user_line = f"{keyword(doc, 'USER')} {user.name}"
        if anchor is not None:
            insert_paragraph(ed, doc, anchor, create)
        if first_meta is not None:
            insert_paragraph(ed, doc, first_meta, user_line)
        elif anchor is not None:
            ed.insert_after(last, user_line)
        else:
            ed.insert_after(last, create + "\n" + user_line)


def _run_command_names(ctx: Context, refs: list[StageRef]) -> frozenset[str]:
    """The names of the commands every RUN of these stages runs, read by the model."""
    names: set[str] = set()
    for ref in refs:
        d = ctx.document(ref.path)
        for ins in d.stage_instructions(d.stages[ref.stage]):
            if ins.keyword == "RUN":
                names |= command_names(ins, _run.shell_at(d, ins) or ("?",))
    return frozenset(names)
