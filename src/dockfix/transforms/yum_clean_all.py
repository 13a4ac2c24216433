"""yum-clean-all (hadolint DL3032): `&& yum clean all` after a RUN's `yum install`. What it
does, when it must not fire and why it is equivalent: transforms/yum-clean-all/README.md (the
one place)."""

from __future__ import annotations

from dockfix.model.packages import PackageManager
from dockfix.syntax import Document
from dockfix.transforms import _cleanup
from dockfix.transforms.base import Context, DockerfileTransform, Safety

# yum is dnf on dnf-based systems: its cache is then /var/cache/dnf.
RULE = _cleanup.rpm_rule("yum cache", (PackageManager.YUM,), frozenset({"install"}),
                         ("/var/cache/yum", "/var/cache/dnf"))


class YumCleanAll(DockerfileTransform):
    name = "yum-clean-all"
    summary = "Clean yum's cache at the end of a RUN that installs with yum."
    safety = Safety.SAFE
    answers = "DL3032"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        return _cleanup.fix(ctx, path, doc, RULE)
