"""non-root: an image's runtime stage creates a user and ends as it.

What it does. On the stage that an in-repo base image is (a Dockerfile other in-repo
Dockerfiles build FROM; the stage is the image's build target, else the last stage), and on
the image stage of a standalone image (built on no in-repo image, on an external base
`model.bases` knows to run as root), it
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

When it must not fire. The image is built on an in-repo image (root-swap's; not considered);
`# dockfix: ignore[non-root]` above the stage's FROM; the stage (or a stage it is FROM)
sets USER itself, root or not, or creates a user without switching to it; the external base's user is not known to be root (a FROM that
cannot be resolved, an image `model.bases` does not know); an image built on it sets its own
USER, ends in a WORKDIR of its own the user would not own (`/srv`), or has a RUN that would
change what it does as the user when root-swap does not follow in the same run (or that
needs root and the user at once); FROM scratch, distroless, busybox or ubi-minimal (no
useradd); a base whose uid/gid 1000 is taken (node, ubuntu ≥ 24.04); the stage or an
image built on it evidently needs root at run time (binds a port below 1024); the stage
runs `pip install --user` itself, copies other files into /root, or refers to /root
in CMD/ENTRYPOINT/HEALTHCHECK/ENV; ONBUILD triggers; the final WORKDIR is a system
directory or is made after the first COPY that needs the user (the user could not write
it). Each skip is reported.

Why the result is equivalent. The files, their bytes and paths, CMD, ENTRYPOINT,
WORKDIR and every ENV but the relocated PATH entry stay. The only run-time change is
the one asked for: the process runs as the new user, who owns the app directory, the
app files and the relocated site (which is now where that user's Python looks:
`~/.local` of HOME=/home/u), so everything it could read, import, execute or write
before it still can.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dockfix.model.bases import facts_of
from dockfix.syntax import Document, Instruction, Stage
from dockfix.syntax.edit import Editor
from dockfix.transforms import _run
from dockfix.transforms._image_user import (PIP_SITE, NewUser, StageRef, chain, configured_user, copy_dest,
                                            external_base, in_repo_bases, is_root, last_user, state_after,
                                            walk_stage)
from dockfix.transforms._derived import (copied_mode_refusal, descendants, entry_refusal, own_user,
                                        report_split_layers, shared_steps, standalone_images, unowned_workdir)
from dockfix.transforms._root_needs import Where, analyse_run, command_names
from dockfix.transforms._root_needs import under as _under
from dockfix.transforms._user_edits import (_SITE_RE, add_flag, env_pairs, format_run, insert_paragraph, keyword,
                                            low_port_evidence, relocate_env, replace_last, stage_end)
from dockfix.transforms._user_tools import create_user_commands, family, uid_taken
from dockfix.transforms.base import Context, Safety, Transform

# Directories that are the system's, never an app directory to give away.
_SYSTEM = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
           "/root", "/run", "/sbin", "/sys", "/usr", "/tmp", "/var/tmp", "/var/lib", "/var/cache",
           "/var/log", "/var/run")


def is_app_dir(path: str | None) -> bool:
    if path is None or path in ("/", "/var", "/opt", "/home", "/mnt", "/media"):
        return False
    return not any(_under(path, d) for d in _SYSTEM)


# ----------------------------------------------------------------------------------
# The transform
# ----------------------------------------------------------------------------------


class NonRoot(Transform):
    name = "non-root"
    summary = ("Make the in-repo base image's runtime stage, and each standalone image on a known "
               "official base, create a user and end as it (COPY --chown, pip --user site moved to its home).")
    safety = Safety.UNSAFE  # the process's user changes: that is the point, and an opt-in
    answers = "hadolint DL3002 (last USER should not be root); CIS Docker 4.1 (create a user for the container)"

    def apply(self, ctx: Context) -> None:
        user = configured_user(ctx.config)
        by_file: dict[str, list[int]] = {}
        bases = in_repo_bases(ctx)
        for ref in sorted(set(bases) | set(standalone_images(ctx, bases))):
            by_file.setdefault(ref.path, []).append(ref.stage)
        shared = {(p, i): shared_steps(ctx, p, i) for p, stages in by_file.items() for i in stages}
        edited: dict[str, list[int]] = {}
        for path, stages in sorted(by_file.items()):
            doc = ctx.document(path)
            if ctx.file_ignored(doc):
                continue
            ed = Editor(doc)
            edited[path] = [i for i in stages if self._stage(ctx, ed, path, doc, doc.stages[i], user)]
            if ed:
                ctx.write(path, ed.apply())
        for path, stages in sorted(edited.items()):
            report_split_layers(ctx, path, stages, shared)

    def _stage(self, ctx: Context, ed: Editor, path: str, doc: Document, stage: Stage,
               user: NewUser) -> bool:
        """Plan the stage's edits; False when it is left as it is."""
        instrs = doc.stage_instructions(stage)
        head, body = instrs[0], instrs[1:]
        label = f"stage '{stage.name}'" if stage.name else "the stage"
        if ctx.ignored(doc, head):
            return False
        refs = chain(ctx, path, stage.index)
        value, where = last_user(ctx, refs)
        if value is not None:  # root or not, the file manages its user (also: a second run)
            line = next(i.start_line for i in reversed(doc.stage_instructions(doc.stages[where.stage]))
                        if i.keyword == "USER") if where.path == path else head.start_line
            ctx.skip(path, line, f"{label} sets USER {value} itself; left as it is")
            return False
        skip = self._why_not(ctx, path, doc, stage, body, refs, user, label)
        if skip is not None:
            line, msg = skip
            ctx.skip(path, line, msg)
            return False
        self._edit(ctx, ed, path, doc, stage, body, refs, user)
        return True

    # -- when not
    def _why_not(self, ctx: Context, path: str, doc: Document, stage: Stage, body: list[Instruction],
                 refs: list[StageRef], user: NewUser, label: str) -> tuple[int, str] | None:
        head = doc.instructions[stage.from_index]
        refusal = _base_refusal(ctx, refs, user)
        if refusal is not None:
            return head.start_line, refusal
        for ins in body:
            refusal = _instruction_refusal(doc, ins, user, label)
            if refusal is not None:
                return ins.start_line, refusal
        walk = walk_stage(ctx, path, doc, stage)
        final = state_after(ctx, path, doc, stage)
        owned = (user.home,) + ((final.workdir,) if is_app_dir(final.workdir) else ())
        for ins, st in walk:
            refusal = _copy_refusal(ctx, doc, ins, st, user, owned) if ins.keyword in ("COPY", "ADD") else None
            if refusal is not None:
                return ins.start_line, refusal
        ports = low_port_evidence(doc, body)
        if ports:
            ins, port, what = ports[0]
            return ins.start_line, (f"{what}: port {port} (< 1024) needs root at run time; a non-root "
                                    "user cannot bind it")
        refusal = _base_user_unknown(ctx, refs)
        if refusal is not None:
            return head.start_line, refusal
        refusal = (_descendants_refusal(ctx, doc, StageRef(path, stage.index), user, owned)
                   or entry_refusal(ctx, StageRef(path, stage.index), user.name)
                   or copied_mode_refusal(ctx, StageRef(path, stage.index), user.name, PIP_SITE)
                   or _workdir_refusal(ctx, doc, stage, walk, final, user))
        return None if refusal is None else (head.start_line, refusal)

    # -- the edit
    def _edit(self, ctx: Context, ed: Editor, path: str, doc: Document, stage: Stage,
              body: list[Instruction], refs: list[StageRef], user: NewUser) -> None:
        walk = walk_stage(ctx, path, doc, stage)
        final = state_after(ctx, path, doc, stage)
        appdir = final.workdir if is_app_dir(final.workdir) else None
        needing = _chown_copies(ctx, ed, doc, walk, body, user, [d for d in (appdir, user.home) if d])
        # the user: before the first instruction that needs it, else before USER
        first_meta, last = stage_end(doc, stage)
        anchor = needing[0] if needing else first_meta
        fam, _ = family(external_base(ctx, refs), _run_command_names(ctx, refs))
        chown_dir = appdir if _workdir_before(walk, anchor, last) else None
        create = format_run(doc, create_user_commands(fam, user, chown_dir))
        user_line = f"{keyword(doc, 'USER')} {user.user_value}"
        if anchor is not None:
            insert_paragraph(ed, doc, anchor, create)
        if first_meta is not None:
            insert_paragraph(ed, doc, first_meta, user_line)
        elif anchor is not None:
            ed.insert_after(last, user_line)
        else:
            ed.insert_after(last, create + "\n" + user_line)


def _instruction_refusal(doc: Document, ins: Instruction, user: NewUser, label: str) -> str | None:
    """Why one instruction of the stage keeps it as root (ONBUILD, a RUN that creates a user
    or installs with --user, /root in CMD/ENTRYPOINT/HEALTHCHECK/ENV)."""
    if ins.keyword == "ONBUILD":
        return f"ONBUILD triggers would run as {user.name} in derived images"
    if ins.keyword == "RUN":
        shell = _run.shell_at(doc, ins) or ("?",)
        if command_names(ins, shell) & {"useradd", "adduser"}:
            return f"{label} creates a user without switching to it; finish it by hand"
        if analyse_run(ins, Where(cwd=None), shell).user:
            return (f"`pip install --user` in {label} installs into /root/.local as root, which "
                    f"{user.name} cannot read; install it in a builder stage and COPY the site")
    if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and "/root" in ins.original:
        return f"{ins.keyword} refers to /root, which {user.name} cannot read"
    if ins.keyword == "ENV":
        for k, v in env_pairs(ins):
            if k == "HOME":
                return f"{label} sets HOME itself; left as it is"
            if "/root" in v and not (k in ("PATH", "PYTHONUSERBASE")
                                     and re.search(_SITE_RE.format(old=re.escape(PIP_SITE)), v)):
                return f"ENV {k} refers to /root, which {user.name} cannot read"
    return None


def _copy_refusal(ctx: Context, doc: Document, ins: Instruction, st, user: NewUser,
                  owned: tuple[str, ...]) -> str | None:
    """Why a COPY/ADD keeps the stage as root: it writes into /root, it is the pip site and
    cannot move, or `--chmod` leaves files the user will not own unreadable by others."""
    dest = copy_dest(ins, st)
    mode = ins.flag("chmod")
    if mode is not None and not (dest is not None and any(_under(dest, d) for d in owned)) and not (
            re.fullmatch(r"[0-7]{3,4}", mode) and int(mode, 8) & 0o004):
        return f"--chmod={mode} leaves files root's that {user.name} may not read"
    if dest is not None and _under(dest, "/root") and not (ins.flag("from") is not None and dest == PIP_SITE):
        return f"copies into {dest}, which {user.name} cannot read"
    if dest == PIP_SITE and (ctx.ignored(doc, ins) or ins.flag("chown") is not None):
        return (f"the pip site COPY into {PIP_SITE} is ignored or has its own --chown: it cannot be "
                f"moved to {user.home}, and {user.name} cannot read /root")
    return None


def _base_refusal(ctx: Context, refs: list[StageRef], user: NewUser) -> str | None:
    """Why the external base the chain starts from cannot take the user: no user tools, or
    its uid/gid is taken."""
    base = external_base(ctx, refs)
    fam, why = family(base, _run_command_names(ctx, refs))
    if fam == "skip":
        return why
    taken = uid_taken(base, user)
    return None if taken is None else f"{taken}; set another uid/gid in the config"


def _base_user_unknown(ctx: Context, refs: list[StageRef]) -> str | None:
    """Why the user the external base runs as is not known to be root (model.bases): a FROM
    that cannot be resolved, an image the table does not know, an image that is not root."""
    last = refs[-1]
    ref = ctx.graph().base_of(last.path, last.stage)
    raw = ctx.document(last.path).stages[last.stage].base
    if ref is None or not ref.ref or "$" in ref.ref or "unset ARG" in ref.how:
        return f"FROM {raw} cannot be resolved: the user its image runs as is not known; left as it is"
    name = raw.split("@", 1)[0]
    name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    if "$" in name:  # a build may name any image (prefect's `FROM ${BASE_IMAGE}`, a conda stage)
        return (f"FROM {raw} names the image by a build argument (default {ref.ref}): whom a build's "
                "image runs as is not known; left as it is")
    facts = facts_of(ref.ref)
    if facts is None or facts.user is None:
        return (f"the user {ref.ref} runs as is not known (not an official image whose user dockfix "
                "knows): it may be non-root already; left as it is")
    if not is_root(facts.user):
        return f"{ref.ref} runs as {facts.user} already; left as it is"
    return None


def _descendants_refusal(ctx: Context, doc: Document, ref: StageRef, user: NewUser,
                         owned: tuple[str, ...]) -> str | None:
    """Why the stages built on this one keep it as root: a standalone image's later stage
    (root-swap follows only in-repo bases), or what `_derived_refusal` finds."""
    built_on = descendants(ctx, ref)
    if built_on and ref not in in_repo_bases(ctx):
        later = doc.stages[built_on[0].stage]
        return (f"stage '{later.name or later.index}' is built on the image's stage, and root-swap "
                "follows only in-repo bases; left as it is")
    for other in built_on:
        refusal = _derived_refusal(ctx, other, user, owned)
        if refusal is not None:
            return refusal
    return None


def _derived_refusal(ctx: Context, ref: StageRef, user: NewUser, owned: tuple[str, ...]) -> str | None:
    """An image built on the stage that would inherit the user and that the user change would
    break or that root-swap (after non-root in the same run) would not repair."""
    ddoc = ctx.document(ref.path)
    stage = ddoc.stages[ref.stage]
    dins = ddoc.stage_instructions(stage)
    mine = own_user(ddoc, stage)
    if mine is not None:
        value = mine.value[0] if mine.value else ""
        return (f"{ref.path}:{mine.start_line}, built on it, sets USER {value} itself: an image that "
                f"manages its user is left alone, and it would start as {user.name}")
    ports = low_port_evidence(ddoc, dins)
    if ports:
        ins, port, what = ports[0]
        return (f"{ref.path}:{ins.start_line} ({what}) would inherit the user, and "
                f"port {port} (< 1024) needs root at run time")
    for i in dins:
        if i.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and "/root" in i.original:
            return f"{ref.path}:{i.start_line}: {i.keyword} refers to /root, which {user.name} cannot read"
    unowned = unowned_workdir(ctx, ref.path, ddoc, ddoc.stages[ref.stage], owned)
    if unowned is not None:  # root-swap cannot mend it: a WORKDIR made inside its USER root is root's
        return (f"{ref.path}:{unowned[0].start_line}, built on it, ends in WORKDIR {unowned[1] or '(not known)'}, "
                f"which {user.name} would not own: as {user.name} the process may not write it, as root it could")
    return _derived_run_refusal(ctx, ref, ddoc, user, owned)


def _derived_run_refusal(ctx: Context, ref: StageRef, ddoc: Document, user: NewUser,
                         owned: tuple[str, ...]) -> str | None:
    """A RUN of an image built on the stage that would change what it does as the user:
    root-swap (after non-root in the same run, and not told to leave it) gives it root back,
    unless it must also run as the user (`pip install --user` with other commands)."""
    swap = replace(ctx, transform="root-swap")  # root-swap's own pragma, read as root-swap reads it
    stage_ignored = swap.ignored(ddoc, ddoc.instructions[ddoc.stages[ref.stage].from_index])
    for ins, st in walk_stage(ctx, ref.path, ddoc, ddoc.stages[ref.stage]):
        if ins.keyword != "RUN":
            continue
        needs = analyse_run(ins, Where(st.workdir, owned, user.home, st.env), _run.shell_at(ddoc, ins) or ("?",))
        why = needs.root[0] if needs.root else f"{needs.other[0]} ran as root" if needs.other else None
        where = f"{ref.path}:{ins.start_line}"
        if why is not None and needs.user:
            return f"{where} needs root ({why}) and must run as {user.name} ({needs.user[0]}): no USER serves both"
        if why is not None and "root-swap" not in ctx.later:
            return f"{where} would run as {user.name} ({why}); run root-swap with non-root (option 3) to keep it root"
        if why is not None and (stage_ignored or swap.ignored(ddoc, ins)):
            return f"{where} would run as {user.name} ({why}), and root-swap is told to leave it alone"
    return None


def _gets_user(ctx: Context, doc: Document, ins: Instruction, st, owned: list[str]) -> str | None:
    """Whether a COPY/ADD gets `--chown` for the user: "site" (the pip site from a builder,
    which moves home), "owned" (into the app directory or the home), None (stays root's)."""
    if ins.keyword not in ("COPY", "ADD") or ctx.ignored(doc, ins) or ins.flag("chown") is not None:
        return None
    dest = copy_dest(ins, st)
    if dest is not None and ins.flag("from") is not None and dest == PIP_SITE:
        return "site"
    if dest is not None and any(_under(dest, d) for d in owned):
        return "owned"
    return None


def _workdir_before(walk: list, anchor: Instruction | None, last: Instruction) -> bool:
    """Whether the final WORKDIR exists where the user's RUN goes (set before `anchor`, or
    inherited), so that RUN can hand it to the user."""
    setter = [i for i, _ in walk if i.keyword == "WORKDIR"]
    anchor_index = anchor.index if anchor is not None else last.index + 1
    return not setter or setter[-1].index < anchor_index


def _workdir_refusal(ctx: Context, doc: Document, stage: Stage, walk: list, final, user: NewUser) -> str | None:
    """Why the user would not own the WORKDIR where the process runs, which root could write:
    a system directory (never given away), or one made after the first COPY that needs the
    user (the user's RUN, above that COPY, cannot hand it over)."""
    wd = final.workdir
    if not is_app_dir(wd):
        return (f"the WORKDIR {wd or '(the base image’s)'} is not a directory non-root gives away, and "
                f"{user.name} could not write it as root could; left as it is")
    home = re.match(r"/home/([^/]+)/", wd)
    if home and home.group(1) != user.name:
        return (f"the WORKDIR {wd} is below /home/{home.group(1)}, another login's home, whose mode is not "
                f"known: {user.name} may not enter it; left as it is")
    owned = [wd, user.home]
    needing = [ins for ins, st in walk if _gets_user(ctx, doc, ins, st, owned) is not None]
    first_meta, last = stage_end(doc, stage)
    if not _workdir_before(walk, needing[0] if needing else first_meta, last):
        return (f"the WORKDIR {wd} is made after the first COPY that needs {user.name}: the user's RUN "
                f"cannot hand it over, and {user.name} could not write it as root could; left as it is")
    return None


def _chown_copies(ctx: Context, ed: Editor, doc: Document, walk: list, body: list[Instruction],
                  user: NewUser, owned: list[str]) -> list[Instruction]:
    """COPY/ADD into the user's directories get --chown; a pip --user site moves to its home
    (and ENV PATH follows). The instructions that now need the user, in order."""
    needing: list[Instruction] = []
    relocated = False
    for ins, st in walk:
        gets = _gets_user(ctx, doc, ins, st, owned)
        if gets is None:
            continue
        add_flag(ed, doc, ins, f"--chown={user.chown}")
        if gets == "site":
            raw_dest = ins.value[-1]
            replace_last(ed, doc, ins, raw_dest, user.home + "/.local" + ("/" if raw_dest.endswith("/") else ""))
            relocated = True
        needing.append(ins)
    if relocated:
        for ins in body:
            if ins.keyword == "ENV":
                relocate_env(ed, doc, ins, PIP_SITE, user.home + "/.local")
    return needing


def _run_command_names(ctx: Context, refs: list[StageRef]) -> frozenset[str]:
    """The names of the commands every RUN of these stages runs, read by the model."""
    names: set[str] = set()
    for ref in refs:
        d = ctx.document(ref.path)
        for ins in d.stage_instructions(d.stages[ref.stage]):
            if ins.keyword == "RUN":
                names |= command_names(ins, _run.shell_at(d, ins) or ("?",))
    return frozenset(names)
