"""apt-get-for-apt: `apt` becomes `apt-get` in RUN, answering hadolint DL3027.

What it does: a command of a shell-form RUN read exactly (`model.shell`) whose program word is
written `apt` and whose `apt` reading (`model.packages.read_system_packages`) is exact and one of
update, install, remove, purge, autoremove, clean gets `apt-get` in that word's span.

When it must not fire: `apt upgrade`/`full-upgrade` (apt's upgrade installs new dependencies,
apt-get's does not), `apt list/search/show` (no apt-get equivalent), an inexact reading, an
unknown word, `apt` spelled as a path or quoted; `apt install` unless the downloaded packages are
cleaned in the same RUN after it or the stage's base is an official debian/ubuntu image.

Why it is equivalent: apt and apt-get are two front ends of libapt with the same option table and
the same solver for these sub-commands; apt differs in output (progress bar, colour) and in one
setting: it deletes the downloaded .deb files after installing (Binary::apt::APT::Keep-Downloaded-
Packages "false"). Where that matters the transform requires the cache to be removed anyway (a
later clean in the RUN, or debian/ubuntu's docker-clean configuration).
"""

from __future__ import annotations

from dockfix.model.packages import PackageAction, PackageManager, read_system_packages
from dockfix.model.shell import Command, Script
from dockfix.syntax import Document, Instruction
from dockfix.transforms import _run_words as rw
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_SAME = (PackageAction.UPDATE, PackageAction.INSTALL, PackageAction.REMOVE, PackageAction.PURGE,
         PackageAction.AUTOREMOVE, PackageAction.CLEAN)
# Official images whose /etc/apt/apt.conf.d/docker-clean deletes downloaded packages after apt-get.
_CLEAN_BASES = ("debian", "ubuntu", "docker.io/library/debian", "docker.io/library/ubuntu",
                "library/debian", "library/ubuntu")


def _cleans_after(script: Script, cmd: Command) -> bool:
    """A later command of the script that always runs when the install succeeded cleans the cache."""
    for other in script.commands:
        if other.start <= cmd.start or not other.checked or not rw.words_known(other):
            continue
        reading = read_system_packages([w.value for w in other.argv])
        if reading is not None and reading.exact and reading.cleans_cache and reading.manager in (
                PackageManager.APT, PackageManager.APT_GET):
            return True
    return False


def _clean_base(doc: Document, ins: Instruction) -> bool:
    if ins.stage < 0:
        return False
    base = doc.stages[ins.stage].base
    return "$" not in base and base.split("@")[0].split(":")[0] in _CLEAN_BASES


def _edit(doc: Document, cmd: Command, ins: Instruction, script: Script) -> rw.WordEdit | str | None:
    head = cmd.argv[0]
    if head.value != "apt" or head.text != "apt":
        return None
    if not rw.words_known(cmd):
        return "apt: a word of the command is unknown"
    reading = read_system_packages([w.value for w in cmd.argv])
    if reading is None or not reading.exact:
        return "apt: the command is not read exactly"
    if reading.action not in _SAME:
        return f"apt {reading.subcommand}: apt-get's {reading.subcommand} differs or does not exist"
    if reading.action is PackageAction.INSTALL and not (_cleans_after(script, cmd) or _clean_base(doc, ins)):
        return "apt install: apt-get would keep the downloaded packages (no clean after it, base not debian/ubuntu)"
    new = read_system_packages(["apt-get", *(w.value for w in cmd.argv[1:])])
    if new is None or (new.action, new.arguments, new.options) != (reading.action, reading.arguments, reading.options):
        return "apt: apt-get reads the command differently"
    return rw.WordEdit(head.start, head.end, "apt-get")


class AptGetForApt(DockerfileTransform):
    name = "apt-get-for-apt"
    summary = "Use apt-get, the stable interface for scripts, where a RUN calls apt."
    safety = Safety.SAFE
    answers = "DL3027"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        # `doc` is re-parsed after each edited RUN; the stage of an instruction does not move.
        return rw.fix_runs(ctx, path, doc, "apt ", lambda cmd, ins, script: _edit(doc, cmd, ins, script))
