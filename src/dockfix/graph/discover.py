"""Which files are Dockerfiles: `Dockerfile`, `Containerfile`, `Dockerfile.*`,
`Dockerfile_*`, `Dockerfile-*`, `*.Dockerfile`, `*.dockerfile`, `*.containerfile` (any case,
at any depth), and any file a build names (`-f`, compose `dockerfile:`, bake, workflow
`file:`) whatever its name (see `model.index_repo`); templates and other file types are not."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass

from dockfix.memo import Memo
from dockfix.tree import Tree

# `Dockerfile.<ext>` files that are something else: docs, templates, scripts, data.
NOT_DOCKERFILE_EXT = frozenset({
    "md", "rst", "txt", "py", "sh", "json", "yml", "yaml", "toml", "lock", "html", "js", "ts",
    "bak", "orig", "swp", "dockerignore", "j2", "jinja", "jinja2", "template", "tmpl", "tpl",
    "in", "erb", "mustache", "go", "diff", "patch",
})
_STEMS = ("dockerfile", "containerfile")


def is_dockerfile_name(name: str) -> bool:
    low = name.lower()
    for stem in _STEMS:
        if low == stem:
            return True
        if low.endswith("." + stem):
            return len(low) > len(stem) + 1
        if low.startswith((stem + ".", stem + "_", stem + "-")) and len(low) > len(stem) + 1:
            # `Dockerfile.dev`, `Dockerfile_amd`, `Dockerfile-alpine`; not `Dockerfile.md`,
            # `Dockerfile-template.j2`.
            dotted = "." in low[len(stem):]
            return not dotted or low.rsplit(".", 1)[-1] not in NOT_DOCKERFILE_EXT
    return False


def find_dockerfiles(tree: Tree, named: frozenset[str] = frozenset()) -> list[str]:
    """The Dockerfiles by name, then the files a build names (`named`) by path."""
    paths = tree.paths()
    found = _BY_NAME.get(id(paths))
    if found is None or found[0] is not paths:  # the run's listing, asked by every graph it builds
        found = _BY_NAME.put(id(paths), (paths, [p for p in paths if is_dockerfile_name(p.rsplit("/", 1)[-1])]))
    return through_links(tree, found[1] + sorted(named - set(found[1])))


# A listing's Dockerfiles by name, by the listing (kept with its key, so an id reused by
# another list is told apart).
_BY_NAME: Memo = Memo(16)


# Dockerfiles reached through a symlink and skipped, to warn about once: (root, path) -> why.
_LINKS: dict[tuple[str, str], str] = {}


def through_links(tree: Tree, paths: list[str]) -> list[str]:
    """`paths` with the ones reached through a symlink resolved: a name of a file in the same
    real directory (a symlinked directory, `Dockerfile -> Dockerfile.prod`) is that file,
    planned once by its real path (nothing is written through a link); a link leaving the root,
    or to a file of another directory (whose image a rewrite of its target would change
    unseen: both are left), is skipped, each named in a warning. A dangling link stays: what it
    holds is unknown, an unreadable Dockerfile (exit 2)."""
    real_root = tree.resolved("")[0]
    aliases = {}
    for p in paths:
        real, exists = tree.resolved(p)
        if exists and real != os.path.join(real_root, p):
            aliases[p] = real[len(real_root) + 1:] if real.startswith(real_root + os.sep) else None
    if not aliases:
        return paths
    files, drop = set(tree.paths()), set()
    for p, real in aliases.items():
        why = _link_refusal(real, files, _real_dir(real_root, p))
        if why is not None:
            _LINKS[(str(tree.root), p)] = why
            drop.update((p, real))
    resolved = (aliases.get(p, p) for p in paths if p not in drop)
    return list(dict.fromkeys(p for p in resolved if p not in drop))


def _link_refusal(real: str | None, files: set[str], link_dir: str) -> str | None:
    """Why a Dockerfile reached through a link is skipped (None: planned by its real path)."""
    if real is None:
        return "symlink leading outside the repository, skipped"
    if posixpath.dirname(real) != link_dir:
        return f"symlink to {real} in another directory: neither is rewritten, skipped"
    if real not in files:
        return f"symlink to {real}, a file dockfix does not list (excluded or skipped), skipped"
    return None


def _real_dir(real_root: str, path: str) -> str:
    d = os.path.realpath(os.path.join(real_root, posixpath.dirname(path)))
    return "" if d == real_root else d[len(real_root) + 1:]


def skipped_links() -> list[str]:
    """Warnings for the Dockerfiles skipped because a symlink reaches them, since the last call."""
    found = sorted(_LINKS.items())
    _LINKS.clear()
    return [f"{root.rstrip('/')}/{path}: warning: {why}" for (root, path), why in found]


# Jinja/cookiecutter syntax: a statement or comment tag, or a cookiecutter variable. A plain
# `{{ … }}` is not enough: Go templates in RUN (`docker inspect -f '{{.Id}}'`) are legitimate.
_TEMPLATE = re.compile(
    r"\{%-?\s*(?:if|elif|else|endif|for|endfor|set|raw|endraw|block|endblock|include|import|from|macro"
    r"|endmacro|with|endwith|filter|endfilter|extends|call|endcall)\b|^\s*\{#|\{\{-?\s*cookiecutter\.", re.M)
_TEMPLATE_DIR = re.compile(r"\{\{-?\s*cookiecutter\.")


@dataclass(frozen=True)
class Template:
    """A Dockerfile that is a template to render, not a file to build: skipped, with a warning."""

    path: str
    line: int

    def warning(self) -> str:
        return f"{self.path}:{self.line}: warning: Jinja/cookiecutter template, skipped"


def template_line(path: str, data: bytes) -> int | None:
    """The first line with template syntax (1 for a file under a `{{cookiecutter.x}}`
    folder, which cookiecutter renders whatever it holds); None for a plain Dockerfile."""
    key = (path, data)  # every graph of a run asks of each Dockerfile
    found = _TEMPLATE_LINES.get(key, _TEMPLATE_LINES)
    if found is _TEMPLATE_LINES:
        found = _TEMPLATE_LINES.put(key, _template_line(path, data))
    return found


_TEMPLATE_LINES: Memo = Memo(50_000)


def _template_line(path: str, data: bytes) -> int | None:
    m = _TEMPLATE.search(data.decode("utf-8", "replace")) if b"{" in data else None
    if m is not None:
        return m.string.count("\n", 0, m.start()) + 1
    return 1 if _TEMPLATE_DIR.search(path) else None
