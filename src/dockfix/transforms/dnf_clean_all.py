"""dnf-clean-all (hadolint DL3040): `&& dnf clean all` after a RUN's `dnf install` (microdnf
too). What it does, when it must not fire and why it is equivalent:
transforms/dnf-clean-all/README.md (the one place)."""

from __future__ import annotations

from dockfix.model.packages import PackageManager
from dockfix.syntax import Document
from dockfix.transforms import _cleanup
from dockfix.transforms.base import Context, DockerfileTransform, Safety

# hadolint DL3040's install sub-commands.
_INSTALLS = frozenset({"install", "in", "upgrade", "up", "upgrade-minimal", "up-min", "reinstall", "rei"})
RULE = _cleanup.rpm_rule("dnf cache", (PackageManager.DNF, PackageManager.MICRODNF), _INSTALLS,
                         ("/var/cache/dnf", "/var/cache/libdnf5"))


class DnfCleanAll(DockerfileTransform):
    name = "dnf-clean-all"
    summary = "Clean dnf's cache at the end of a RUN that installs with dnf or microdnf."
    safety = Safety.SAFE
    answers = "DL3040"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        return _cleanup.fix(ctx, path, doc, RULE)
