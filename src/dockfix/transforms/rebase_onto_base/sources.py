"""COPY sources against a build context (BuildKit's rules), as prune-dockerignore reads them.

The one place this transform borrows another transform's reading: these helpers move to the
shared COPY model (`dockfix.model.copy`) when it lands, and only this import changes.
"""

from dockfix.transforms.prune_dockerignore import (context_dir, has_wildcard, is_remote, named_files,
                                                   normalise_source, split_wildcard)

__all__ = ["context_dir", "has_wildcard", "is_remote", "named_files", "normalise_source", "split_wildcard"]
