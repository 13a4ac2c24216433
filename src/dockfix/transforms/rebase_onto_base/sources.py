"""COPY sources against a build context: the shared COPY model's reading (`dockfix.model.copy`,
BuildKit's rules), plus the graph's spelling of a context as a repo directory."""

from __future__ import annotations

import posixpath

from dockfix.model.copy import context_source, has_wildcards, is_remote, source_files

__all__ = ["context_dir", "context_source", "has_wildcards", "is_remote", "source_files"]


def context_dir(value: str | None) -> str | None:
    """A build context as a repo-relative directory, "" for the root (the graph may write
    "." for it); None when the graph does not know it."""
    if value is None:
        return None
    d = posixpath.normpath(value).strip("/")
    return "" if d in ("", ".") else d
