"""root-swap: images built on a non-root in-repo base switch to root only where they must.

What it does. For every stage whose base is an in-repo image that ends as a non-root
user because `non-root` made it so in this run (found through the graph on the current
tree: after `non-root` the base's Dockerfile ends with `USER appuser`; on disk it ends as
root), it
  - wraps every RUN in `USER root` … `USER <user>`, as it ran before non-root, except a
    RUN that must run as the user (`pip install --user`) or touches no file (`echo`, …).
    Consecutive root RUNs share one wrap;
  - makes `pip install --user` run as the user, so packages land in the home CMD uses
    (closing a wrap, or the file's own `USER root`, before it);
  - adds `--chown=<user>:<group>` to COPY/ADD of new files into the user's directories
    (its home and the WORKDIR the base gave it, e.g. `/app`);
  - moves a pip `--user` site copied from a builder stage (`COPY --from=b /root/.local
    /root/.local`) to the user's home, and rewrites `ENV PATH` entries under
    `/root/.local` to follow it;
  - ends every such stage as the base's user again (never as root).

When it must not fire. The base ends as root (or its user is unknown); the base ends as
a non-root user in the repository itself (its authors made it so); the stage is
ignored with `# dockfix: ignore[root-swap]` above its FROM (above a RUN or COPY: that
instruction is left alone); the stage sets any USER itself; the base's USER has
variables; a RUN must run as root and as the user (`apt-get … && pip install --user …`);
the stage evidently needs root at run time (binds a port below 1024). Each skip is reported.

Why the result is equivalent. Before `non-root`, every step ran as root. The wrap gives
root back to every step but those that must be the user's, so each RUN runs as it ran;
`pip --user` now installs into the home the runtime user's Python reads, so the packages
stay importable and their scripts stay on PATH; `--chown` keeps new
files in the app directory writable by the process, as they were when it ran as root.
CMD, ENTRYPOINT, ENV (other than the relocated PATH entry), WORKDIR and the files' bytes
do not change.
"""

from __future__ import annotations

from dockfix.model.stage_state import state_before
from dockfix.syntax import Document, Instruction, Stage
from dockfix.syntax.edit import Editor
from dockfix.transforms import _run
from dockfix.transforms import _image_user as nr
from dockfix.transforms import _user_edits as edits
from dockfix.transforms._derived import original_last_user
from dockfix.transforms._runtime_user import RuntimeUser, runtime_user
from dockfix.transforms._root_needs import Needs, Where, analyse_run, under
from dockfix.transforms.base import Context, Safety, Transform

__all__ = ["Needs", "RootSwap", "Where", "analyse_run"]


# ----------------------------------------------------------------------------------
# The transform
# ----------------------------------------------------------------------------------

class RootSwap(Transform):
    name = "root-swap"
    summary = ("In images built on a non-root in-repo base, wrap the RUNs that need root in "
               "USER root … USER <user>, run pip --user as the user, COPY --chown into its dirs.")
    safety = Safety.SAFE
    answers = "hadolint DL3002 (last USER should not be root); build failures of apt/pip as a non-root user"

    def apply(self, ctx: Context) -> None:
        bases = nr.in_repo_bases(ctx)
        for path in ctx.dockerfiles():
            doc = ctx.document(path)
            if ctx.file_ignored(doc):
                continue
            ed = Editor(doc)
            done: set[int] = set()  # stages of this file that now end as the base's user
            for stage in doc.stages:
                origin = nr.in_repo_origin(ctx, path, stage.index, bases)
                base = runtime_user(ctx, origin) if origin is not None else None
                if base is None:
                    continue
                refusal = _not_this_runs_user(ctx, doc, stage, origin, base)
                if refusal is not None:
                    ctx.skip(path, *refusal)
                    continue
                parent = nr.parent_stage(doc, stage)
                start = "user" if parent is not None and parent.index in done else None
                if self._stage(ctx, ed, path, doc, stage, base, start):
                    done.add(stage.index)
            if ed:
                ctx.write(path, ed.apply())

    def _stage(self, ctx: Context, ed: Editor, path: str, doc: Document, stage: Stage,
               base: RuntimeUser, start: str | None) -> bool:
        """Plan the stage's edits; False when it is skipped or ignored."""
        instrs = doc.stage_instructions(stage)
        head = instrs[0]
        if ctx.ignored(doc, head):
            return False
        body = instrs[1:]
        refusal = _refusal(doc, head, body, base)
        if refusal is not None:
            ctx.skip(path, *refusal)
            return False
        # what the stage starts as: the user, unless a parent stage (as written) ends as root
        start_user = start or nr.start_user_of(ctx, path, stage.index)
        walk = nr.walk_stage(ctx, path, doc, stage)
        desired = _desired_users(ctx, doc, walk, base, start_user)
        if isinstance(desired, tuple):
            ctx.skip(path, *desired)
            return False
        _chown_copies(ctx, ed, doc, walk, base)
        _realise_users(ed, doc, stage, body, desired, base, start_user)
        return True


def _not_this_runs_user(ctx: Context, doc: Document, stage: Stage, origin: nr.StageRef,
                        base: RuntimeUser) -> tuple[int, str] | None:
    """(line, why) when the base's user is not one non-root gave it in this run: its authors
    made it non-root (the images built on it already build as that user), or the repository's
    own files cannot be read to tell."""
    if ctx.ignored(doc, doc.instructions[stage.from_index]):
        return None  # the pragma: left alone without a note (as below)
    line = doc.instructions[stage.from_index].start_line
    value, known = original_last_user(ctx, nr.chain(ctx, origin.path, origin.stage))
    if not known:
        return line, f"the base {origin.path} cannot be read as the repository has it; left as it is"
    if value is not None and not nr.is_root(value):
        return line, (f"the base {origin.path} sets USER {value} in the repository's own files (not "
                      "non-root in this run): the image already builds as that user; left as it is")
    return None


def _refusal(doc: Document, head: Instruction, body: list[Instruction],
             base: RuntimeUser) -> tuple[int, str] | None:
    """(line, why) when the stage is left alone: a USER of its own, a port below 1024."""
    if "$" in base.user:
        return head.start_line, f"the base's USER {base.user} has variables; root-swap cannot follow it"
    for ins in body:
        if ins.keyword == "USER":
            v = ins.value[0] if ins.value else ""
            return ins.start_line, f"the stage sets USER {v} itself: an image that manages its user is left alone"
    ports = edits.low_port_evidence(doc, body)
    if ports:
        ins, port, what = ports[0]
        return ins.start_line, f"{what}: port {port} (< 1024) needs root at run time; the stage is left as it is"
    return None


def _desired_users(ctx: Context, doc: Document, walk: list, base: RuntimeUser,
                   start_user: str) -> dict[int, str] | tuple[int, str]:
    """Instruction index -> "root" | "user" for every RUN; (line, why) when a RUN needs both.
    A RUN runs as root, as it did before non-root, unless it must run as the user (`pip
    install --user`: its site moved to the user's home); one that touches no file keeps the
    user the file gives it."""
    desired: dict[int, str] = {}
    for ins, state in walk:
        if ins.keyword == "RUN" and ctx.ignored(doc, ins):
            desired[ins.index] = _written_user(doc, ins, start_user)
        elif ins.keyword == "RUN":
            needs = analyse_run(ins, Where(state.workdir, base.owned, base.home, state.env), _shell(doc, ins))
            if needs.user and (needs.root or needs.other):
                why = needs.root[0] if needs.root else f"runs {needs.other[0]} as before"
                return ins.start_line, (f"this RUN needs root ({why}) and must run as {base.name} "
                                        f"({needs.user[0]}); split it in two")
            desired[ins.index] = ("user" if needs.user else "root" if needs.root or needs.other
                                  else _written_user(doc, ins, start_user))
    return desired


def _written_user(doc: Document, ins: Instruction, start_user: str) -> str:
    """"root" | "user": who the file runs `ins` as: the USER in force in its stage
    (`model.stage_state`), else what the stage starts as."""
    user = state_before(doc, ins).user
    if user is None or doc.instructions[user.at].stage != ins.stage:
        return start_user
    written = doc.instructions[user.at]
    return "root" if nr.is_root(written.value[0] if written.value else "") else "user"


def _chown_copies(ctx: Context, ed: Editor, doc: Document, walk: list, base: RuntimeUser) -> None:
    """COPY --chown into the user's directories; a pip --user site and ENV PATH off /root/.local."""
    for ins, state in walk:
        if ins.keyword in ("COPY", "ADD") and not ctx.ignored(doc, ins):
            _chown_copy(ed, doc, ins, state, base)
        elif ins.keyword == "ENV" and base.home and not ctx.ignored(doc, ins):
            edits.relocate_env(ed, doc, ins, "/root/.local", base.home + "/.local")


def _chown_copy(ed: Editor, doc: Document, ins: Instruction, state, base: RuntimeUser) -> None:
    dest = nr.copy_dest(ins, state)
    if ins.flag("from") is not None and dest == nr.PIP_SITE and base.home:
        # a pip --user site built in a stage of this file: to the user's home
        raw = ins.value[-1]
        if ins.flag("chown") is None:
            edits.add_flag(ed, doc, ins, f"--chown={base.chown}")
        edits.replace_last(ed, doc, ins, raw, base.home + "/.local" + ("/" if raw.endswith("/") else ""))
    elif ins.flag("chown") is None and dest is not None and any(under(dest, d) for d in base.owned):
        edits.add_flag(ed, doc, ins, f"--chown={base.chown}")


def _realise_users(ed: Editor, doc: Document, stage: Stage, body: list[Instruction],
                   desired: dict[int, str], base: RuntimeUser, start_user: str) -> None:
    """Write the USER switches: `USER root` before a RUN that needs it, the base's user back
    after the last RUN of a root span, and the stage ends as the base's user."""
    user_kw = edits.keyword(doc, "USER")
    eff = start_user
    last_root_run: Instruction | None = None  # the last RUN that runs as root, in the current root span
    root_user_ins: Instruction | None = None  # the file's own USER root that opened that span
    for ins in body:
        if ins.keyword == "USER":
            eff = "root" if nr.is_root(ins.value[0] if ins.value else "") else "user"
            last_root_run, root_user_ins = None, (ins if eff == "root" else None)
            continue
        if ins.keyword != "RUN":
            continue
        want = desired[ins.index]
        if want == eff:
            last_root_run = ins if eff == "root" else last_root_run
        elif want == "root":
            ed.insert_before(ins, f"{user_kw} root")
            eff, last_root_run = "root", ins
        else:
            _back_to_user(ed, ins, last_root_run, f"{user_kw} {base.user}")
            eff, last_root_run, root_user_ins = "user", None, None
    if eff == "root":
        _end_as_user(ed, doc, stage, last_root_run, root_user_ins, user_kw, base)


def _back_to_user(ed: Editor, ins: Instruction, last_root_run: Instruction | None, line: str) -> None:
    if last_root_run is not None:
        ed.insert_after(last_root_run, line)
    else:
        ed.insert_before(ins, line)


def _end_as_user(ed: Editor, doc: Document, stage: Stage, last_root_run: Instruction | None,
                 root_user_ins: Instruction | None, user_kw: str, base: RuntimeUser) -> None:
    if last_root_run is not None:
        ed.insert_after(last_root_run, f"{user_kw} {base.user}")
    elif root_user_ins is not None:
        # the file's own USER root with no RUN after it: it only sets the runtime user
        ed.replace(root_user_ins, f"{root_user_ins.cmd} {base.user}")
    else:
        edits.insert_at_stage_end(ed, doc, stage, f"{user_kw} {base.user}")


def _shell(doc: Document, ins: Instruction) -> tuple[str, ...]:
    """The SHELL in force; an unreadable SHELL is one no POSIX reader follows (`analyse_run`
    then says root)."""
    return _run.shell_at(doc, ins) or ("?",)
