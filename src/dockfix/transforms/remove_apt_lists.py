"""remove-apt-lists (hadolint DL3009): `&& rm -rf /var/lib/apt/lists/*` after a RUN's
`apt-get update`. What it does, when it must not fire and why it is equivalent:
transforms/remove-apt-lists/README.md (the one place)."""

from __future__ import annotations

import posixpath

from dockfix.model.packages import PackageAction, PackageManager, read_system_packages
from dockfix.model.system_packages import cleans_apt_lists
from dockfix.syntax import Document
from dockfix.transforms import _cleanup
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_APT = (PackageManager.APT_GET, PackageManager.APT)
# Actions that do not read the package lists (dpkg's status file is enough, or they make them).
_LIST_FREE = (PackageAction.UPDATE, PackageAction.CLEAN, PackageAction.REMOVE, PackageAction.PURGE,
              PackageAction.AUTOREMOVE)
# Other programs that read /var/lib/apt/lists.
_LIST_READERS = frozenset({"apt-cache", "aptitude", "add-apt-repository", "apt-file", "apt-rdepends",
                           "apt-show-versions"})


def _update(args: _cleanup.Argv) -> bool:
    reading = read_system_packages(args)
    return reading is not None and reading.manager in _APT and reading.action is PackageAction.UPDATE


def _reads_lists(args: _cleanup.Argv) -> bool:
    """The command may read the lists: an apt program's reading action (or one not read
    exactly), another apt tool, or any command naming /var/lib/apt."""
    if any(a is not None and "/var/lib/apt" in a for a in args[1:]):
        return True
    if posixpath.basename(args[0] or "") in _LIST_READERS:
        return True
    reading = read_system_packages(args)
    if reading is None or reading.manager not in _APT:
        return False
    return not reading.exact or reading.action not in _LIST_FREE


RULE = _cleanup.CleanupRule(
    name="apt lists",
    writes=_update,
    cleans=cleans_apt_lists,
    reads=_reads_lists,
    refreshes=_update,
    cleanup=lambda cmd: "rm -rf /var/lib/apt/lists/*",
    mounts=("/var/lib/apt/lists", "/var/lib/apt"),
    mentions=("apt", "/var/lib/apt"),
    final_stages_only=True,
)


class RemoveAptLists(DockerfileTransform):
    name = "remove-apt-lists"
    summary = "Remove the apt lists at the end of a RUN that runs apt-get update."
    safety = Safety.SAFE
    answers = "DL3009"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        return _cleanup.fix(ctx, path, doc, RULE)
