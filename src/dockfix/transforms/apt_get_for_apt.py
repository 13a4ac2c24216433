"""apt-get-for-apt: `apt` becomes `apt-get` in RUN, answering hadolint DL3027.

What it does: a command of a shell-form RUN read exactly (`model.shell`) whose program word is
written `apt` and whose `apt` reading (`model.packages.read_system_packages`) is exact and one of
update, install, remove, purge, autoremove, clean gets `apt-get` in that word's span.

When it must not fire: `apt upgrade`/`full-upgrade` (apt's upgrade installs new dependencies,
apt-get's does not), `apt list/search/show` (no apt-get equivalent), an inexact reading, an
unknown word, `apt` spelled as a path or quoted; an install that sets Keep-Downloaded-Packages
itself or reads a configuration file (`-c`), or names packages by glob or regex.

Why it is equivalent: apt and apt-get are two front ends of libapt with the same option table and
the same solver for these sub-commands; apt differs in output (progress bar, colour) and in one
setting: it deletes the downloaded .deb files after installing (Binary::apt::APT::Keep-Downloaded-
Packages "false"). An install becomes `apt-get -o APT::Keep-Downloaded-Packages=false install`,
which deletes them the same way, unless the cache is removed anyway (a later clean in the RUN, or
the docker-clean configuration of the debian/ubuntu images and of the official images built on
them). README: transforms/apt-get-for-apt/README.md.
"""

from __future__ import annotations

from dockfix.model.bases import facts_of, parse_ref
from dockfix.model.packages import PackageAction, PackageManager, read_system_packages
from dockfix.model.shell import Command, Script
from dockfix.syntax import Document, Instruction
from dockfix.transforms import _run_words as rw
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_SAME = (PackageAction.UPDATE, PackageAction.INSTALL, PackageAction.REMOVE, PackageAction.PURGE,
         PackageAction.AUTOREMOVE, PackageAction.CLEAN)
# Official images whose /etc/apt/apt.conf.d/docker-clean (debuerreotype's, in debian and ubuntu)
# deletes downloaded packages after apt-get: debian, ubuntu, and those whose Dockerfiles start FROM
# them and leave /etc/apt alone (model.bases reads their distribution from the tag).
_CLEAN_BASES = frozenset({"debian", "ubuntu", "python", "node", "golang"})
# apt-get's spelling of what apt does by default: delete the .deb files it downloaded.
_DELETE_DOWNLOADS = "apt-get -o APT::Keep-Downloaded-Packages=false"
_KEEP_OPTION = "apt::keep-downloaded-packages"
# Globs and regular expressions: apt (APT::Cmd::Pattern-Only) refuses them, apt-get matches them.
_PATTERN = frozenset("*[]^$|")


def _cleans_after(script: Script, cmd: Command) -> bool:
    """A later command of the script that always runs when the install succeeded cleans the cache
    (never when a part of the script reads otherwise in bash: which commands run is not known)."""
    if script.opaque:
        return False
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
    ref = parse_ref(base) if "$" not in base else None
    facts = facts_of(ref) if ref is not None and ref.official_name in _CLEAN_BASES else None
    return facts is not None and facts.distribution in ("debian", "ubuntu")


def _install_refusal(reading) -> str | None:
    """Why `apt install` cannot become apt-get with apt's Keep-Downloaded-Packages written out."""
    for o in reading.options:
        if o.dest == "config_file":
            return "apt install: it reads a configuration file (-c), which may set Keep-Downloaded-Packages"
        if o.dest == "option" and (not isinstance(o.value, str) or o.value.lower().startswith(_KEEP_OPTION)):
            return "apt install: an -o option may set Keep-Downloaded-Packages"
    if any(w is None or _PATTERN & set(w) for w in reading.arguments):
        return "apt install: a package is named by a pattern, which apt refuses and apt-get matches"
    return None


def _spelling(doc: Document, cmd: Command, ins: Instruction, script: Script, reading) -> str:
    """What `apt` becomes: apt-get, with apt's deletion of downloaded packages written out for
    an install whose downloads nothing else removes; or why an install cannot change."""
    if reading.action is not PackageAction.INSTALL:
        return "apt-get"
    why = _install_refusal(reading)
    if why is not None:
        return why
    return "apt-get" if _cleans_after(script, cmd) or _clean_base(doc, ins) else _DELETE_DOWNLOADS


def _unread(cmd: Command, script: Script) -> str | None:
    if any(o.start < cmd.end and cmd.start < o.end for o in script.opaque):
        return "apt: bash reads part of the command otherwise than sh"
    if not rw.words_known(cmd):
        return "apt: a word of the command is unknown"
    return None


def _edit(doc: Document, cmd: Command, ins: Instruction, script: Script) -> rw.WordEdit | str | None:
    head = cmd.argv[0]
    if head.value != "apt" or head.text != "apt":
        return None
    why = _unread(cmd, script)
    if why is not None:
        return why
    reading = read_system_packages([w.value for w in cmd.argv])
    if reading is None or not reading.exact:
        return "apt: the command is not read exactly"
    if reading.action not in _SAME:
        return f"apt {reading.subcommand}: apt-get's {reading.subcommand} differs or does not exist"
    spelling = _spelling(doc, cmd, ins, script, reading)
    if spelling.startswith("apt install:"):
        return spelling  # why it stays
    new = read_system_packages([*spelling.split(), *(w.value for w in cmd.argv[1:])])
    if new is None or (new.action, new.arguments) != (reading.action, reading.arguments) \
            or new.options[int(spelling != "apt-get"):] != reading.options:
        return "apt: apt-get reads the command differently"
    return rw.WordEdit(head.start, head.end, spelling)


class AptGetForApt(DockerfileTransform):
    name = "apt-get-for-apt"
    summary = "Use apt-get, the stable interface for scripts, where a RUN calls apt."
    safety = Safety.SAFE
    answers = "DL3027"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        # `doc` is re-parsed after each edited RUN; the stage of an instruction does not move.
        # A part bash reads otherwise than sh elsewhere in the RUN (`rm -rf /var/lib/{apt,dpkg}`)
        # runs the same in both images: the same shell, from the state apt and apt-get leave alike.
        return rw.fix_runs(ctx, path, doc, "apt ", lambda cmd, ins, script: _edit(doc, cmd, ins, script),
                           dialect=True)
