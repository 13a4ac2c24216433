"""Who the container runs as, and what that user can read and write (issue 14, item 2).

Users are compared as the kernel sees them (`model.identity`: root is uid 0, a login a RUN
created with `-u N` is uid N). A change of the runtime user is judged by what the new user
can do that the old one could: read every file the image holds, read every pip site, write
the WORKDIR; and by whether the entry point is one the model reads (a Python module or
script, a program pip installed): an executable or script the model does not read may
need the user it ran as (root to start cron, bind a low port, chown a volume).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterator
from enum import Enum

from dockfix.model.entry_point import EntryProgram, entry_program, named_ports
from dockfix.prover.model import FileEntry, ImageModel, StageState, identity, ultimate_origin
from dockfix.prover.rules import Diff
from dockfix.tree import Tree


class Access(str, Enum):
    """Whether the runtime user can read (or write) a path."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


_HOME = re.compile(r"^/home/([^/]+)(?:/|$)")


def runtime_user(state: StageState) -> str:
    """The CMD user as the kernel sees it; `?…` when the model cannot read it (a USER of
    unknown words, or an external base whose user the base table does not know)."""
    if "USER" in state.unknown:
        return "?" + state.unknown["USER"].render()
    return identity(state, (state.user or "root").split(":")[0])


def _below_a_home(state: StageState, user: str, path: str) -> Access | None:
    """/root is 0700 in every base the model knows; a home below /home is its login's, and
    whether another user enters it depends on the tool that made it (not known)."""
    if path == "/root" or path.startswith("/root/"):
        return Access.NO
    home = _HOME.match(path)
    if home and identity(state, home.group(1)) != user and home.group(0).rstrip("/") not in state.open_dirs:
        return Access.UNKNOWN
    return None


def site_access(state: StageState, site: str) -> Access:
    """Whether the CMD user reads a pip site ("system" is world-readable)."""
    user = runtime_user(state)
    if site == "system" or user == "0":
        return Access.YES
    if user.startswith("?"):
        return Access.UNKNOWN
    return _below_a_home(state, user, site) or Access.YES


def file_access(state: StageState, tree: Tree, path: str, entry: FileEntry,
                written: Collection[str] | None = None) -> Access:
    """Whether the CMD user reads a file the image holds: its owner (`--chown`, else root)
    and mode (`--chmod`, else the source's: a context file's mode on disk, 0644 for a
    heredoc, 0600 for a URL), below directories it can enter. `written`: the files a
    transform wrote in `tree` (`Tree.differing`), when the caller asks about many files."""
    user = runtime_user(state)
    if user == "0":
        return Access.YES
    if user.startswith("?"):
        return Access.UNKNOWN
    where = _below_a_home(state, user, path)
    if where is not None:
        return where
    mode = _mode(tree, entry, tree.differing(tree) or () if written is None else written)
    if mode is None:
        return Access.UNKNOWN
    owner = identity(state, (entry.owner or "root").split(":")[0])
    if owner == user:
        return Access.YES if mode & 0o400 else Access.NO
    if mode & 0o004:
        return Access.YES
    return Access.UNKNOWN if mode & 0o040 else Access.NO  # group membership is not modelled


_OCTAL = re.compile(r"[0-7]{3,4}")


def _mode(tree: Tree, entry: FileEntry, written: Collection[str]) -> int | None:
    if entry.mode is not None:
        return int(entry.mode, 8) if _OCTAL.fullmatch(entry.mode) else None
    origin = ultimate_origin(entry.origin)  # a file of an in-repo base: its own origin
    if origin.startswith("heredoc:"):
        return 0o644
    if origin.startswith("url:"):
        return 0o600
    if not origin.startswith("context:"):
        return None  # made by a RUN, a member of an archive, an unknown source
    source = origin[len("context:"):]
    if source in written:
        return 0o644  # written by a transform: a text file, as dockfix writes it
    return tree.mode(source)


def workdir_writable(state: StageState) -> Access:
    """Whether the CMD user writes its WORKDIR: root does; another user when it owns it
    (made by WORKDIR as that user, or given by `chown`); otherwise it depends on modes the
    model does not follow, or the directory's owner is not known (the base image's, one an
    unknown base or a RUN may have made: `model._workdir_owner` records no owner)."""
    user = runtime_user(state)
    if user == "0":
        return Access.YES
    owner = state.dir_owners.get(state.workdir)
    if owner is None or user.startswith("?") or "WORKDIR" in state.unknown:
        return Access.UNKNOWN
    return Access.YES if identity(state, owner.split(":")[0]) == user else Access.UNKNOWN


def entry_point_read(state: StageState, argv: list[str]) -> bool:
    """The CMD/ENTRYPOINT is one the model reads (`model.entry_point`): Python itself, an app
    server that binds no port below 1024 (it needs root only for that), or a program pip
    installed. Not the base image's own, not another program."""
    program = entry_program(argv)
    if program is EntryProgram.PYTHON:
        return True
    if program is EntryProgram.APP_SERVER:
        return not any(port < 1024 for port in named_ports(argv))
    if program is EntryProgram.BASE_IMAGE:
        return False
    installed = {r.split("=")[0].split("[")[0].split(" ")[0].lower() for reqs in state.sites.values() for r in reqs}
    return posixpath.basename(argv[0]).lower().replace("_", "-") in installed


def access_diffs(b: ImageModel, a: ImageModel, tb: Tree, ta: Tree, argv_b: list[str]) -> Iterator[Diff]:
    """What the runtime user could do in BEFORE and cannot (or may not) in AFTER."""
    bs, as_ = b.state, a.state
    ub, ua = runtime_user(bs), runtime_user(as_)
    if ub != ua:
        if ub.startswith("?") or ua.startswith("?"):
            yield Diff("USER", "unproven", ub.lstrip("?"), ua.lstrip("?"), "USER",
                       "the runtime user changed, and the model cannot read it on one side "
                       "(an unknown base's user, or words it cannot expand)")
        elif not entry_point_read(bs, argv_b):
            yield Diff("USER", "unproven", bs.user or "root", as_.user or "root", "USER",
                       f"the runtime user changed, and the entry point ({' '.join(argv_b[:3]) or 'the base image’s'}) "
                       "is not one the model reads: it may need the user it ran as")
    yield from _lost_reads(bs, as_, tb, ta)
    if workdir_writable(bs) is Access.YES and workdir_writable(as_) is not Access.YES and bs.workdir == as_.workdir:
        yield Diff("WORKDIR access", "unproven", "writable", "perhaps not writable", "WORKDIR",
                   f"{as_.user or 'root'} may not write the WORKDIR {as_.workdir}, which {bs.user or 'root'} could")


def _lost_reads(bs: StageState, as_: StageState, tb: Tree, ta: Tree) -> Iterator[Diff]:
    lost: dict[Access, list[str]] = {Access.NO: [], Access.UNKNOWN: []}
    # What each tree's transforms wrote, once (a set of every written file per file asked was
    # most of the prover's time on a large monorepo); the trees do not change while it runs.
    written_b, written_a = tb.differing(tb) or (), ta.differing(ta) or ()
    for path in sorted(set(bs.files) & set(as_.files)):
        after = file_access(as_, ta, path, as_.files[path], written_a)
        if after is not Access.YES and file_access(bs, tb, path, bs.files[path], written_b) is Access.YES:
            lost[after].append(path)
    if lost[Access.NO]:
        yield Diff("file access", "broken", "readable", "unreadable", "USER",
                   f"{as_.user or 'root'} cannot read {_some(lost[Access.NO])}, which {bs.user or 'root'} could")
    if lost[Access.UNKNOWN]:
        yield Diff("file access", "unproven", "readable", "perhaps unreadable", "USER",
                   f"{as_.user or 'root'} may not read {_some(lost[Access.UNKNOWN])} (owner or mode not known), "
                   f"which {bs.user or 'root'} could")


def _some(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
