"""What an image is, as far as verification cares: its config, its layers, their sizes.

Engines describe images in two shapes, both parsed here into one `ImageInfo`:

* buildah (``buildah inspect --type image``): the image's Docker-format config under
  ``Docker.config`` (the OCI config has no Healthcheck, which is why dockfix builds with
  ``--format docker``), diff IDs under ``Docker.rootfs``, and the storage manifest, whose
  layer sizes are the uncompressed tar sizes for images built locally.
* docker and podman (``image inspect``): ``Config``, ``RootFS.Layers`` and a total ``Size``;
  neither reports per-layer sizes, so their layers carry ``size=None``.

Sizes are only comparable between images measured by the same engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Layer:
    """One file-system layer, identified by its diff ID (digest of the uncompressed tar)."""

    diff_id: str
    size: int | None  # bytes of the uncompressed layer tar; None when the engine does not say


@dataclass(frozen=True)
class ImageInfo:
    """The parts of an image's config that define how it runs, plus its layers."""

    id: str  # "sha256:<hex>"
    cmd: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # "KEY=value", in image order
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()  # sorted, e.g. ("8000/tcp",)
    healthcheck: Mapping[str, Any] | None = None  # Docker's {"Test": [...], "Interval": ns, ...}
    labels: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None  # bytes; the engine's total
    layers: tuple[Layer, ...] = ()
    stop_signal: str = ""
    volumes: tuple[str, ...] = ()  # sorted
    on_build: tuple[str, ...] = ()
    shell_argv: tuple[str, ...] = ()  # the config's Shell; () when the image keeps the default

    @property
    def env_dict(self) -> dict[str, str]:
        """Env as a mapping (a later duplicate wins, as it does at run time)."""
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in self.env)


@dataclass(frozen=True)
class ImageRecord:
    """An image in local storage: its ID and every name pointing at it."""

    id: str
    names: tuple[str, ...]


def normalize_id(image_id: str) -> str:
    """Engines print IDs with and without the ``sha256:`` prefix; dockfix always keeps it."""
    image_id = image_id.strip()
    return image_id if ":" in image_id else f"sha256:{image_id}"


def parse_buildah_inspect(text: str) -> ImageInfo:
    """Parse ``buildah inspect --type image REF`` JSON."""
    data = json.loads(text)
    docker = data.get("Docker") or {}
    oci = data.get("OCIv1") or {}
    config = docker.get("config") or oci.get("config") or {}
    diff_ids = (docker.get("rootfs") or oci.get("rootfs") or {}).get("diff_ids") or []
    manifest = json.loads(data["Manifest"]) if data.get("Manifest") else {}
    layers = _sized_layers(diff_ids, manifest.get("layers") or [])
    sizes = [layer.size for layer in layers]
    total = sum(sizes) if layers and None not in sizes else None  # type: ignore[arg-type]
    return _info(data["FromImageID"], config, total, layers)


def _sized_layers(diff_ids: list[str], manifest_layers: list[dict]) -> list[Layer]:
    """Each diff ID with its size from the manifest entry at the same index. A compressed
    blob's size is not the layer's size: only an uncompressed tar of that digest is trusted."""
    layers = []
    for index, diff_id in enumerate(diff_ids):
        entry = manifest_layers[index] if index < len(manifest_layers) else {}
        trusted = entry.get("mediaType", "").endswith(".tar") and entry.get("digest") == diff_id
        layers.append(Layer(diff_id=diff_id, size=int(entry["size"]) if trusted else None))
    return layers


def parse_docker_inspect(text: str) -> ImageInfo:
    """Parse ``docker image inspect REF`` / ``podman image inspect REF`` JSON (a list of one)."""
    data = json.loads(text)
    if isinstance(data, list):
        data = data[0]
    config = data.get("Config") or {}
    layers = [Layer(diff_id=d, size=None) for d in (data.get("RootFS") or {}).get("Layers") or []]
    return _info(data["Id"], config, data.get("Size"), layers)


def _info(image_id: str, config: Mapping[str, Any], size: int | None, layers: list[Layer]) -> ImageInfo:
    return ImageInfo(
        id=normalize_id(image_id),
        cmd=tuple(config.get("Cmd") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        env=tuple(config.get("Env") or ()),
        working_dir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        exposed_ports=tuple(sorted(config.get("ExposedPorts") or {})),
        healthcheck=config.get("Healthcheck") or None,
        labels=dict(config.get("Labels") or {}),
        size=int(size) if size is not None else None,
        layers=tuple(layers),
        stop_signal=config.get("StopSignal") or "",
        volumes=tuple(sorted(config.get("Volumes") or {})),
        on_build=tuple(config.get("OnBuild") or ()),
        shell_argv=tuple(config.get("Shell") or ()),
    )


def distinct_layer_bytes(images: Iterable[ImageInfo]) -> int:
    """Bytes a set of images occupies when shared layers are stored once.

    This is what a registry or a host pays for a family of images built on a common base:
    a layer present in several images (same diff ID) is counted once.
    Raises ValueError when a layer's size is unknown (docker/podman do not report it).
    """
    sizes: dict[str, int] = {}
    for image in images:
        for layer in image.layers:
            if layer.size is None:
                raise ValueError(
                    f"layer {layer.diff_id} of image {image.id} has no known size; "
                    "per-layer sizes are only measured with the buildah engine"
                )
            sizes[layer.diff_id] = layer.size
    return sum(sizes.values())
