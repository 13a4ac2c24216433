"""Which files are Dockerfiles: `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`,
`*.dockerfile`, any case, at any depth; templates and other file types are not."""

from __future__ import annotations

from dockfix.tree import Tree

# `Dockerfile.<ext>` files that are something else: docs, templates, scripts, data.
NOT_DOCKERFILE_EXT = frozenset({
    "md", "rst", "txt", "py", "sh", "json", "yml", "yaml", "toml", "lock", "html", "js", "ts",
    "bak", "orig", "swp", "dockerignore", "j2", "jinja", "jinja2", "template", "tmpl", "tpl",
    "in", "erb", "mustache", "go", "diff", "patch",
})


def is_dockerfile_name(name: str) -> bool:
    low = name.lower()
    if low == "dockerfile":
        return True
    if low.endswith(".dockerfile"):
        return len(low) > len(".dockerfile")
    if low.startswith("dockerfile."):
        ext = low.rsplit(".", 1)[-1]
        return bool(ext) and ext not in NOT_DOCKERFILE_EXT
    return False


def find_dockerfiles(tree: Tree) -> list[str]:
    return [p for p in tree.paths() if is_dockerfile_name(p.rsplit("/", 1)[-1])]
