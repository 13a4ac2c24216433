"""A run's private tag namespace, and the cleanup that removes everything the run created.

Every image a run builds is tagged ``localhost/dockfix-<runid>/<name>`` (for example
``localhost/dockfix-1a2b3c4d/academy-base:latest``), so a user's own tags are never
overwritten, and two runs never see each other's images.

Derived images must still find their in-repo base under the name their Dockerfile uses.
Two ways, in order of preference:

1. a build arg: ``FROM ${BASE_IMAGE}`` with ``build_args={"BASE_IMAGE": session.private_ref(
   "academy-base:latest")}``. Nothing outside the namespace is touched: always safe.
2. `alias`: tag the private image also under the literal name (``academy-base:latest``), for
   Dockerfiles whose FROM is not parameterised. Only done when that name resolves to nothing
   locally (an existing image of that name is the user's: `TagConflict`), recorded, and
   removed at cleanup only if it still points at the image we tagged (the user may have built
   over it meanwhile). The name is visible machine-wide while the run lasts.

Cleanup removes, in this order: aliases (as above); every name in the run's namespace (an
image goes with its last name, and the engine removes the unnamed parents it leaves); then
any image that did not exist when the session started and has no name left (intermediate
stages of multi-stage ``--layers`` builds); then containers named after the run.
An image the user tagged meanwhile keeps that tag and is not removed.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from dockfix.build.engines import DEFAULT_RUN_TIMEOUT, Engine, EngineError, RunResult
from dockfix.build.filesystem import Snapshot
from dockfix.build.images import ImageInfo
from dockfix.build.spec import BuildResult, BuildSpec

_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class TagConflict(RuntimeError):
    """An alias would overwrite (or shadow) an image name dockfix did not create."""


@dataclass
class CleanupReport:
    removed: list[str] = field(default_factory=list)  # names and image IDs removed
    kept: list[str] = field(default_factory=list)  # what was left alone, and why
    errors: list[str] = field(default_factory=list)


class BuildSession:
    """Builds, runs and inspects images for one dockfix run; use as a context manager."""

    def __init__(self, engine: Engine, run_id: str | None = None):
        self.engine = engine
        self.run_id = run_id or secrets.token_hex(4)
        if not _PATH_COMPONENT.match(f"dockfix-{self.run_id}"):
            raise ValueError(f"run id {self.run_id!r} is not usable in an image name")
        self.namespace = f"localhost/dockfix-{self.run_id}"
        self._images_before = {record.id for record in engine.list_images()}
        self._aliases: dict[str, str] = {}  # alias name -> image ID it was given to
        self._container_numbers = itertools.count(1)

    def __enter__(self) -> BuildSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()

    def private_ref(self, name: str) -> str:
        """The run-private reference for an image the repository calls `name`."""
        if "@" in name:
            raise ValueError(f"{name!r}: a digest reference cannot be built")
        repository, tag = name, "latest"
        last_slash = name.rfind("/")
        if name.rfind(":") > last_slash:
            repository, tag = name.rsplit(":", 1)
        components = repository.split("/")
        if not all(_PATH_COMPONENT.match(c) for c in components) or not _TAG.match(tag):
            raise ValueError(f"{name!r} is not a valid image name")
        return f"{self.namespace}/{repository}:{tag}"

    def build(self, spec: BuildSpec, *, timeout: float | None = None) -> BuildResult:
        """Build `spec` under `private_ref(spec.tag)`."""
        return self.engine.build(spec, self.private_ref(spec.tag), timeout=timeout)

    def alias(self, name: str, image: str) -> None:
        """Also name `image` `name` (what a literal FROM expects), unless `name` is taken."""
        if self.engine.image_exists(name):
            raise TagConflict(
                f"{name} already names a local image; dockfix does not overwrite tags it did not "
                f"create. Pass {image} as a build arg instead."
            )
        self.engine.tag(image, name)
        self._aliases[name] = self.engine.inspect(image).id

    def unalias(self, name: str) -> None:
        """Drop an alias before the session ends (two trees may each need `name` for their own
        base): removed only if it still points at the image dockfix tagged, as at cleanup."""
        image_id = self._aliases.pop(name, None)
        if image_id is not None and self.engine.image_id(name) == image_id:
            self.engine.remove_name(name)

    def inspect(self, image: str) -> ImageInfo:
        return self.engine.inspect(image)

    def run_as_user(
        self,
        image: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        workdir: str | None = None,
        timeout: float = DEFAULT_RUN_TIMEOUT,
    ) -> RunResult:
        """`Engine.run_as_user` with a container name cleanup can find if the run is killed."""
        name = f"dockfix-{self.run_id}-{next(self._container_numbers)}"
        return self.engine.run_as_user(
            image, argv, user=user, workdir=workdir, timeout=timeout, container_name=name
        )

    def snapshot(self, image: str) -> Snapshot:
        """`Engine.snapshot` through a container cleanup can find if the run is killed."""
        return self.engine.snapshot(image, f"dockfix-{self.run_id}-{next(self._container_numbers)}")

    def cleanup(self) -> CleanupReport:
        """Remove everything this session created; safe to call more than once."""
        report = CleanupReport()
        for name, image_id in list(self._aliases.items()):
            current = self.engine.image_id(name)
            if current == image_id:
                self._try(report, self.engine.remove_name, name)
            elif current is not None:
                report.kept.append(f"{name}: now names {current}, not the image dockfix tagged")
            del self._aliases[name]

        prefix = self.namespace + "/"
        for record in self.engine.list_images():
            for name in record.names:
                if name.startswith(prefix):
                    self._try(report, self.engine.remove_name, name)

        self._remove_leftovers(report)
        container_prefix = f"dockfix-{self.run_id}-"
        for container in self.engine.list_containers():
            if container.startswith(container_prefix):
                self._try(report, self.engine.remove_container, container)
        return report

    def _remove_leftovers(self, report: CleanupReport) -> None:
        """Unnamed images the session made; a parent can only go once its children have,
        hence the passes."""
        while True:
            leftovers = [
                r.id for r in self.engine.list_images() if r.id not in self._images_before and not r.names
            ]
            removed_any = False
            for image_id in leftovers:
                removed_any |= self._try(report, self.engine.remove_image, image_id, quiet=True)
            if not removed_any:
                report.errors += [f"could not remove {image_id}" for image_id in leftovers]
                return

    @staticmethod
    def _try(report: CleanupReport, action, target: str, quiet: bool = False) -> bool:
        try:
            action(target)
        except EngineError as error:
            if not quiet:
                report.errors.append(str(error))
            return False
        report.removed.append(target)
        return True
