"""yarn-cache-clean (hadolint DL3060): `&& yarn cache clean` after a RUN's `yarn install`, where
the yarn is yarn 1 (classic). What it does, when it must not fire and why it is equivalent:
transforms/yarn-cache-clean/README.md (the one place)."""

from __future__ import annotations

import json
import posixpath
import re

from dockfix.model.bases import facts_of
from dockfix.model.shell import Command
from dockfix.syntax import Document
from dockfix.transforms import _cleanup
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_CACHES = (".cache/yarn", "/usr/local/share/.cache/yarn")
# Words in the Dockerfile that mean another yarn than the node image's yarn 1, or a cache used on purpose.
_OTHER_YARN = ("corepack", "yarn set version", "yarn policies", "@yarn/berry", "yarnPath", "yarn-path", ".yarnrc",
               "YARN_", "--cache-folder", "yarn-offline-mirror")
# A yarn 2+ project (its cache can be what Plug'n'Play loads at run time).
_BERRY_FILES = (".yarnrc.yml", ".yarnrc", ".pnp.cjs", ".pnp.js")
_BERRY_MANAGER = re.compile(r"^yarn@(?!1\.)")


def _positionals(args: _cleanup.Argv) -> list[str | None]:
    return [a for a in args[1:] if a is None or not a.startswith("-")]


def _is_yarn(args: _cleanup.Argv) -> bool:
    return posixpath.basename(args[0] or "") == "yarn"


def _installs(args: _cleanup.Argv) -> bool:
    return _is_yarn(args) and _positionals(args)[:1] == ["install"]


def _cleans(args: _cleanup.Argv) -> bool:
    return _is_yarn(args) and _positionals(args)[:2] == ["cache", "clean"]


def _reads(args: _cleanup.Argv) -> bool:
    if any(a is not None and any(c in a for c in _CACHES) for a in args[1:]):
        return True
    return _is_yarn(args) and any(a is None or a == "--offline" or a.startswith("--cache-folder") for a in args[1:])


def _refusal(cmd: Command) -> str | None:
    if cmd.argv[0].text != cmd.argv[0].value:
        return "the program word is quoted or expanded"
    return None


RULE = _cleanup.CleanupRule(
    name="yarn cache", writes=_installs, cleans=_cleans, reads=_reads, refreshes=lambda args: False,
    cleanup=lambda cmd: f"{cmd.argv[0].text} cache clean", mounts=_CACHES, mentions=("yarn",) + _CACHES,
    final_stages_only=True, refusal=_refusal, same_directory=True)


class YarnCacheClean(DockerfileTransform):
    name = "yarn-cache-clean"
    summary = "Clean yarn 1's cache at the end of a RUN that runs yarn install, on an official node image."
    safety = Safety.SAFE
    answers = "DL3060"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        if b"yarn" not in doc.data:
            return None
        why = _not_yarn_classic(ctx, path, doc)
        if why is not None:
            ctx.skip(path, None, f"yarn cache kept: {why}")
            return None
        return _cleanup.fix(ctx, path, doc, RULE)


def _not_yarn_classic(ctx: Context, path: str, doc: Document) -> str | None:
    """Why the yarn a RUN runs may not be the node image's yarn 1, None when it is."""
    text = doc.data.decode("utf-8", "surrogateescape")
    found = next((w for w in _OTHER_YARN if w in text), None)
    if found is not None:
        return f"the file mentions `{found}`: another yarn, or a cache used on purpose"
    graph = ctx.graph()
    for stage in doc.stages:
        base = graph.base_of(path, stage.index)
        if base is None or base.kind == "internal":
            return f"stage {stage.index + 1}'s base is not an official node image"
        facts = facts_of(base.ref) if base.kind == "external" and "$" not in base.ref else None
        if base.kind == "external" and (facts is None or not facts.image.startswith("node:")):
            return f"the base {base.raw} is not an official node image (which ships yarn 1)"
    return _berry_project(ctx, path)


def _berry_project(ctx: Context, path: str) -> str | None:
    graph = ctx.graph()
    node = graph.dockerfiles[path]
    if node.context_unknown is not None:
        return "the build context is not known"
    for rel in graph.context_files(node.context):
        name = posixpath.basename(rel)
        full = posixpath.join(node.context, rel) if node.context else rel
        if name in _BERRY_FILES:
            return f"the build context has {full}: a yarn 2+ project"
        if name == "package.json" and "node_modules/" not in rel and _berry_manager(ctx.tree.read(full)):
            return f"{full} names yarn 2+ as its packageManager"
    return None


def _berry_manager(data: bytes) -> bool:
    try:
        manager = json.loads(data).get("packageManager", "")
    except (ValueError, AttributeError):
        return True  # not read: not known to be yarn 1
    return isinstance(manager, str) and bool(_BERRY_MANAGER.match(manager))
