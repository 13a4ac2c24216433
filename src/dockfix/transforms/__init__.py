"""The transform registry: one table from stable name to class, and the presets.

Modules are imported on first use, so `dockfix --help` stays fast.
"""

from __future__ import annotations

import importlib

from dockfix.errors import DockfixError
from dockfix.transforms.base import Context, DockerfileTransform, Note, Safety, Transform

# name -> "module:Class". One module per transform, named after it.
REGISTRY: dict[str, str] = {
    "apk-no-cache": "dockfix.transforms.apk_no_cache:ApkNoCache",
    "apt-get-for-apt": "dockfix.transforms.apt_get_for_apt:AptGetForApt",
    "copy-absolute-dest": "dockfix.transforms.copy_absolute_dest:CopyAbsoluteDest",
    "copy-for-add": "dockfix.transforms.copy_for_add:CopyForAdd",
    "dnf-clean-all": "dockfix.transforms.dnf_clean_all:DnfCleanAll",
    "merge-apt-runs": "dockfix.transforms.merge_apt_runs:MergeAptRuns",
    "merge-pip-runs": "dockfix.transforms.merge_pip_runs:MergePipRuns",
    "merge-runs": "dockfix.transforms.merge_runs:MergeRuns",
    "non-root": "dockfix.transforms.non_root:NonRoot",
    "pip-no-cache-dir": "dockfix.transforms.pip_no_cache_dir:PipNoCacheDir",
    "prune-dockerignore": "dockfix.transforms.prune_dockerignore:PruneDockerignore",
    "rebase-onto-base": "dockfix.transforms.rebase_onto_base:RebaseOntoBase",
    "remove-apt-lists": "dockfix.transforms.remove_apt_lists:RemoveAptLists",
    "root-swap": "dockfix.transforms.root_swap:RootSwap",
    "share-layers": "dockfix.transforms.share_layers:ShareLayers",
    "yarn-cache-clean": "dockfix.transforms.yarn_cache_clean:YarnCacheClean",
    "yum-clean-all": "dockfix.transforms.yum_clean_all:YumCleanAll",
}

# hadolint code -> the transform that answers it: `--select DL3042` (or `--only DL3042`) runs it.
# Each transform's class also says `answers = "<code>"`; tests check the two agree.
CODES: dict[str, str] = {
    "DL3009": "remove-apt-lists",
    "DL3019": "apk-no-cache",
    "DL3020": "copy-for-add",
    "DL3027": "apt-get-for-apt",
    "DL3032": "yum-clean-all",
    "DL3040": "dnf-clean-all",
    "DL3042": "pip-no-cache-dir",
    "DL3045": "copy-absolute-dest",
    "DL3059": "merge-runs",
    "DL3060": "yarn-cache-clean",
}


def resolve(names: list[str] | None) -> list[str] | None:
    """Transform names for a list of names and hadolint codes (`dl3042` as well as `DL3042`)."""
    if names is None:
        return None
    return [CODES.get(n.upper(), n) for n in names]


# The order transforms always run in, whatever order they are named in: root-swap reads what
# non-root wrote, merges come before the rebase compares layers, and so on. share-layers
# compares the layers the merges and the rebase leave (a rebase removes the steps a derived
# image repeated, which is what lines the derived images up), and runs before non-root so that
# non-root's USER lines (which no move crosses) are placed in the order sharing left.
# A transform must leave nothing for an earlier one to do (the second pass must change
# nothing): the merges of single commands come before the cleanups (`RUN apt-get update` and
# `RUN apt-get install` joined, then their lists removed); merge-apt-runs, which joins only
# RUNs that remove the lists, comes after remove-apt-lists; copy-absolute-dest comes after the
# rebase, which can take a WORKDIR out of a derived image (its COPYs then resolve against the
# in-repo base's).
CANONICAL_ORDER: tuple[str, ...] = (
    "merge-pip-runs", "merge-runs", "apt-get-for-apt", "remove-apt-lists", "merge-apt-runs", "apk-no-cache",
    "dnf-clean-all", "yum-clean-all", "yarn-cache-clean", "pip-no-cache-dir", "copy-for-add", "rebase-onto-base",
    "share-layers",
    "prune-dockerignore", "copy-absolute-dest", "non-root", "root-swap")

# Option 1 ("layers"): the merges, and the fixes of hadolint's findings that keep the image's
# behaviour (cache cleanups, ADD -> COPY, absolute COPY destinations, apt-get for apt). Each
# preset holds the one before it.
_LAYERS = {"merge-pip-runs", "merge-runs", "apt-get-for-apt", "remove-apt-lists", "apk-no-cache", "dnf-clean-all",
           "yum-clean-all", "yarn-cache-clean", "pip-no-cache-dir", "copy-for-add", "copy-absolute-dest"}
_NO_SURGERY = _LAYERS | {"rebase-onto-base", "share-layers", "prune-dockerignore"}
_IDEAL = _NO_SURGERY | {"merge-apt-runs", "non-root", "root-swap"}

# Presets, in the order their transforms run (each on the previous one's output).
PRESETS: dict[int, tuple[str, ...]] = {
    n: tuple(t for t in CANONICAL_ORDER if t in members)
    for n, members in ((1, _LAYERS), (2, _NO_SURGERY), (3, _IDEAL))
}
PRESET_TITLES = {1: "layers", 2: "no surgery", 3: "ideal structure"}


def canonical(names: list[str]) -> list[str]:
    """`names` without duplicates, in CANONICAL_ORDER (unknown names last, as given)."""
    unique = list(dict.fromkeys(names))
    rank = {n: i for i, n in enumerate(CANONICAL_ORDER)}
    return sorted(unique, key=lambda n: rank.get(n, len(rank)))


def load(name: str) -> Transform:
    try:
        target = REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY)) or "none"
        raise DockfixError(f"unknown transform {name!r} (known: {known})") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


def select(option: int | None, only: list[str] | None = None, skip: list[str] | None = None,
           only_within_preset: bool = False) -> list[str]:
    """The transform names to run: the preset's, narrowed by --only/--skip.

    With `only_within_preset` (the user named both a preset and --only), a name outside the
    preset is an error rather than a silent "0 files would change"."""
    names = _preset(option)
    only, skip = resolve(only), resolve(skip)
    for n in (only or []) + (skip or []):
        if n not in REGISTRY:
            load(n)  # raises with the list of known names
    if only and only_within_preset and option is not None:
        _check_within(option, names, only)
    if only:
        names = [n for n in names if n in only] if option is not None else list(only)
    return canonical([n for n in names if n not in (skip or [])])


def _preset(option: int | None) -> list[str]:
    """The preset's transforms; every transform when no preset is named."""
    if option is None:
        return list(REGISTRY)
    if option not in PRESETS:
        raise DockfixError(f"unknown option {option} (choose 1, 2 or 3)")
    return list(PRESETS[option])


def _check_within(option: int, names: list[str], only: list[str]) -> None:
    outside = [n for n in only if n not in names]
    if outside:
        raise DockfixError(
            f"--only {', '.join(outside)}: not in option {option} ({PRESET_TITLES[option]}: "
            f"{', '.join(names)}); {_preset_holding(outside)}")


def _preset_holding(names: list[str]) -> str:
    """Where the user can find these transforms: the smallest preset holding them all."""
    for option, members in sorted(PRESETS.items()):
        if all(n in members for n in names):
            return f"they are in option {option}, or drop --option to run exactly the named transforms"
    return "drop --option to run exactly the named transforms"


__all__ = ["CODES", "Context", "DockerfileTransform", "Note", "PRESETS", "REGISTRY", "Safety",
           "Transform", "load", "resolve", "select"]
