"""`RUN --mount=…` as BuildKit reads it (instructions/commands_runmount.go `parseMount`,
dockerfile2llb `dispatchRunMounts` and `dispatchSecret`): what each mount puts where while the
RUN runs, none of it left in the image.

A value is CSV (Go's encoding/csv: commas, double quotes), keys are case-insensitive, `type`
defaults to bind; a relative target is joined to the WORKDIR; a secret without a target lands
at `/run/secrets/<id>` (its id defaulting to its target's base name). A key BuildKit rejects,
or a `$` in the type, leaves the mount unknown (`type` and `target` None); a `$` in another
value (BuildKit expands it from ARG/ENV) leaves where it mounts what unknown (`target` None)
and keeps its type: `type=cache,target=$PIP_CACHE_DIR` is a cache mount.
"""

from __future__ import annotations

import csv
import posixpath
from dataclasses import dataclass
from enum import Enum


class MountType(Enum):
    BIND = "bind"
    CACHE = "cache"
    TMPFS = "tmpfs"
    SECRET = "secret"
    SSH = "ssh"


@dataclass(frozen=True)
class RunMount:
    """One mount of a RUN. `target`: absolute, or None when it cannot be read. For a bind or
    cache mount, `from_` names the stage or image it reads (None: the build context for a
    bind, a fresh cache directory for a cache), `source` the path in it ("" for its root)."""

    type: MountType | None  # None: a type BuildKit rejects (the build fails) or not read
    target: str | None
    source: str = ""
    from_: str | None = None

    def holds(self, image_path: str) -> bool:
        """Whether the RUN sees `image_path` in this mount rather than in the image (True when
        the target is not known)."""
        if self.target is None:
            return True
        return image_path == self.target or image_path.startswith(self.target.rstrip("/") + "/")

    def context_path(self, image_path: str) -> str | None:
        """The build context's path a bind mount of the context shows at `image_path`."""
        if self.type is not MountType.BIND or self.from_ is not None or self.target is None or not self.holds(image_path):
            return None
        rest = image_path[len(self.target):].lstrip("/")
        path = posixpath.normpath(posixpath.join("/", self.source, rest)).lstrip("/")
        return path or "."


_KEYS = {"source": "source", "src": "source", "target": "target", "dst": "target", "destination": "target",
         "from": "from", "id": "id"}
_FLAGS_WITHOUT_VALUE = frozenset({"readonly", "ro", "readwrite", "rw", "required"})
_KNOWN_KEYS = frozenset({"type", *_KEYS, *_FLAGS_WITHOUT_VALUE, "size", "sharing", "mode", "uid", "gid"})
_TYPES = {t.value: t for t in MountType}


def run_mount(value: str, workdir: str | None) -> RunMount:
    """One `--mount` value in the WORKDIR (None: unknown)."""
    read = _fields(value)
    if read is None:
        return RunMount(None, None)
    kind, got = read
    if any("$" in v for v in got.values()):  # expanded by BuildKit from ARG/ENV: not read here
        return RunMount(kind, None)
    target = got.get("target", "")
    if kind is MountType.SECRET and not target:
        ident = got.get("source") or got.get("id") or ""
        target = f"/run/secrets/{posixpath.basename(ident)}" if ident else ""
    if not target:  # BuildKit requires one (an ssh socket's default path is not read here)
        return RunMount(kind, None)
    if not posixpath.isabs(posixpath.normpath(target)):
        if workdir is None:
            return RunMount(kind, None, got.get("source", ""), got.get("from"))
        target = posixpath.join("/", workdir, target)
    return RunMount(kind, posixpath.normpath(target), got.get("source", ""), got.get("from"))


def _fields(value: str) -> tuple[MountType, dict[str, str]] | None:
    """The mount's type and its source, target, from and id values, as written; None when the
    model cannot read it (a key BuildKit rejects, a type it expands)."""
    try:
        fields = next(csv.reader([value]), [])
    except csv.Error:
        return None
    kind, got = MountType.BIND, {}
    for field in fields:
        key, eq, val = field.partition("=")
        key = key.lower()
        if not eq and key in _FLAGS_WITHOUT_VALUE:
            continue
        if not eq or key not in _KNOWN_KEYS:
            return None
        if key == "type":
            kind = _TYPES.get(val.lower())  # None for `$T`: expanded by BuildKit, not read here
            if kind is None:
                return None
        elif key in _KEYS:
            got[_KEYS[key]] = val
    return kind, got


def run_mounts(values: list[str], workdir: str | None) -> tuple[RunMount, ...]:
    return tuple(run_mount(v, workdir) for v in values)
