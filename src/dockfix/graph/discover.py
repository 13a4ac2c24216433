"""Which files are Dockerfiles: `Dockerfile`, `Containerfile`, `Dockerfile.*`,
`Dockerfile_*`, `Dockerfile-*`, `*.Dockerfile`, `*.dockerfile`, `*.containerfile` (any case,
at any depth), and any file a build names (`-f`, compose `dockerfile:`, bake, workflow
`file:`) whatever its name (see `model.index_repo`); templates and other file types are not."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def find_dockerfiles(tree: Tree) -> list[str]:
    return [p for p in tree.paths() if is_dockerfile_name(p.rsplit("/", 1)[-1])]


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
    m = _TEMPLATE.search(data.decode("utf-8", "replace")) if b"{" in data else None
    if m is not None:
        return m.string.count("\n", 0, m.start()) + 1
    return 1 if _TEMPLATE_DIR.search(path) else None
