"""COPY sources against a build context: the shared COPY model's reading (`dockfix.model.copy`,
BuildKit's rules)."""

from __future__ import annotations

from dockfix.model.copy import context_directory as context_dir
from dockfix.model.copy import has_wildcards, is_remote, named_files, source_path

__all__ = ["context_dir", "has_wildcards", "is_remote", "named_files", "source_path"]
