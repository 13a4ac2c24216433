"""A repository tree as the pipeline sees it: files on disk plus in-memory changes.

Transforms write into the overlay; the graph, the prover and the diff read through
the same interface, so every stage sees the previous stage's output without touching
the disk. Paths are repo-relative POSIX strings.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

# Files of dockfix's own at the root while an apply runs (lock, journal): never repository files.
OWN_FILES = frozenset({".dockfix.lock", ".dockfix.journal", ".dockfix.journal.tmp"})
# Directories never walked: VCS data, virtualenvs, dependency caches.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
                       ".tox", ".mypy_cache", ".pytest_cache", ".hypothesis"})


class Tree:
    """Read-only view of a repository plus an overlay of changed files."""

    def __init__(self, root: str | os.PathLike, files: dict[str, bytes] | None = None,
                 exclude: Iterable[str] = ()):
        self.root = Path(root)
        self._base = os.fspath(self.root) + os.sep  # string joins: pathlib costs more than the I/O
        self._disk: dict[str, bytes] = {}
        self._overlay: dict[str, bytes] = dict(files or {})
        self._isfile: dict[str, bool] = {}  # disk lookups: the disk does not change during a run
        self._resolved: dict[str, tuple[str, bool]] = {}  # `resolved`, shared the same way
        self._paths: list[str] | None = None
        self.exclude = tuple(e.strip("/") for e in exclude)
        # Set by the scheduler: the graph of this tree covers only these Dockerfiles
        # (a `dockfix.graph.model.Scope`); None is the whole repository.
        self.scope = None
        self._writes = 0  # how many writes the overlay has had (`differing` memoises on it)
        self._differing: dict[int, tuple] = {}  # by id(other): (other, writes, other's writes, paths)
        self._modes: dict[str, int | None] = {}  # `mode`: the disk does not change during a run
        self._links: set[str] = set()  # the listed files that are symlinks, found by the walk

    @property
    def writes(self) -> int:
        """How many writes this view has had: equal counts, equal bytes."""
        return self._writes

    # -- listing
    def paths(self) -> list[str]:
        """Every regular file below root (symlinks to files included, not followed dirs)."""
        if self._paths is None:
            found = set(self._walk())
            found.update(self._overlay)
            self._paths = sorted(found)
        return self._paths

    def _walk(self) -> Iterator[str]:
        """Every file below root. A directory that cannot be read is an error naming it
        (skipping it would hide its Dockerfiles from the prover); a symlinked directory is
        followed when it stays inside root, refused by name when it leads out."""
        stack = [""]
        real_root = os.path.realpath(self.root)
        seen = {real_root}  # targets of symlinks followed: each once, so a loop ends
        while stack:
            rel = stack.pop()
            for entry in self._entries(rel):
                path = f"{rel}/{entry.name}" if rel else entry.name
                if (self.exclude and self._excluded(path)) or (not rel and entry.name in OWN_FILES):
                    continue
                try:
                    if self._descend(entry, real_root, seen):
                        stack.append(path)
                    elif entry.is_file() or (entry.is_symlink() and not entry.is_dir()):
                        if entry.is_symlink():  # the entry knows without asking the disk again
                            self._links.add(path)
                        yield path  # a file, a symlink to one, or a dangling symlink
                except FileNotFoundError:
                    continue  # removed while we walked
                except OSError as err:
                    raise _unreadable(entry.path, err) from None

    def _entries(self, rel: str) -> list[os.DirEntry]:
        try:
            # In name order: which name a directory reached by two symlinks is listed under
            # must not depend on the file system's order.
            return sorted(os.scandir(self._base + rel if rel else self._base), key=_name)
        except FileNotFoundError:
            return []  # gone (or a tree of overlay files only, as verify --base makes)
        except OSError as err:
            raise _unreadable(self._base + rel if rel else os.fspath(self.root), err) from None

    def _descend(self, entry: os.DirEntry, real_root: str, seen: set[str]) -> bool:
        """`entry` is a directory to walk: a real one, or a symlink to one inside root."""
        if entry.is_dir(follow_symlinks=False):
            return entry.name not in SKIP_DIRS
        return (entry.is_symlink() and entry.is_dir() and entry.name not in SKIP_DIRS
                and self._follow(entry.path, real_root, seen))

    @staticmethod
    def _follow(link: str, real_root: str, seen: set[str]) -> bool:
        """Walk a symlinked directory: yes the first time its target (inside root) is met,
        unless it leads back to a directory it is in."""
        target = os.path.realpath(link)
        if target != real_root and not target.startswith(real_root + os.sep):
            from dockfix.errors import DockfixError

            raise DockfixError(f"symlinked directory leads outside the repository (to {target}); "
                               "dockfix does not follow it (exclude it, or copy it in)", path=link)
        here = os.path.realpath(os.path.dirname(link))
        if target in seen or here == target or here.startswith(target + os.sep):
            return False  # followed once already, or a loop back to a directory being walked
        seen.add(target)
        return True

    def _excluded(self, path: str) -> bool:
        return any(path == e or path.startswith(e + "/") for e in self.exclude)

    def under(self, directory: str) -> list[str]:
        """Files below `directory` ("" or "." for all), as paths relative to it."""
        d = directory.strip("/")
        if d in ("", "."):
            return self.paths()
        paths = self.paths()
        lo, hi = _prefix_range(paths, d + "/")
        n = len(d) + 1
        return [p[n:] for p in paths[lo:hi]]

    def is_dir(self, path: str) -> bool:
        p = path.strip("/")
        if p in ("", "."):
            return True
        lo, hi = _prefix_range(self.paths(), p + "/")
        return hi > lo

    # -- content
    def exists(self, path: str) -> bool:
        if path in self._overlay or path in self._disk:
            return True
        found = self._isfile.get(path)
        if found is None:
            found = self._isfile[path] = os.path.isfile(self._base + path)
        return found

    def read(self, path: str) -> bytes:
        if path in self._overlay:
            return self._overlay[path]
        if path not in self._disk:
            with open(self._base + path, "rb") as fh:
                self._disk[path] = fh.read()
        return self._disk[path]

    def original(self, path: str) -> bytes | None:
        """The bytes on disk, ignoring the overlay (None for a file that is only new). A file
        that exists but cannot be read is an error naming it, never taken for absent."""
        if path not in self._disk:
            try:
                with open(self._base + path, "rb") as fh:
                    self._disk[path] = fh.read()
            except (FileNotFoundError, NotADirectoryError):
                return None
            except OSError as err:
                raise _unreadable(self._base + path, err) from None
        return self._disk[path]

    def write(self, path: str, data: bytes) -> None:
        if path not in self._overlay and path not in self._disk:
            self.original(path)
        self._overlay[path] = data
        self._writes += 1
        if self._paths is not None and not self._listed(path):
            self._paths = sorted(set(self._paths) | {path})

    def _listed(self, path: str) -> bool:
        return listed(self._paths, path)

    def changed(self) -> dict[str, bytes]:
        """Files whose overlay bytes differ from disk."""
        return {p: d for p, d in self._overlay.items() if self.original(p) != d}

    def is_symlink(self, path: str) -> bool:
        """Whether the listed file `path` is a symlink on disk (not one this view wrote): the
        listing's walk saw it, so the prover asks every context file of every image for free."""
        self.paths()
        return path in self._links and path not in self._overlay

    def differing(self, other: "Tree") -> frozenset[str] | None:
        """The paths whose bytes may differ between this view and `other`: those either has
        written, when both read one disk; None when they read different disks. The prover
        asks per file: the answer is kept until either view is written."""
        if self._base != other._base:
            return None
        memo = self._differing.get(id(other))  # asked against itself and against the other view in turn
        if memo is None or memo[0] is not other or memo[1:3] != (self._writes, other._writes):
            memo = self._differing[id(other)] = (other, self._writes, other._writes,
                                                 frozenset(self._overlay).union(other._overlay))
        return memo[3]

    def mode(self, path: str) -> int | None:
        """The permission bits of the file at `path` on disk (None when it cannot be read), once
        per run: the prover asks of every context file an image holds, in both images."""
        if path not in self._modes:
            try:
                self._modes[path] = os.stat(self._base + path).st_mode & 0o777
            except OSError:
                self._modes[path] = None
        return self._modes[path]

    def same_bytes(self, path: str, other: "Tree", other_path: str) -> bool:
        """`path` here holds the bytes `other_path` holds in `other`. Two views of one root
        agree on a file neither has written without reading it."""
        if (path == other_path and self._base == other._base
                and path not in self._overlay and path not in other._overlay):
            return True
        return self.read(path) == other.read(other_path)

    def resolved(self, path: str) -> tuple[str, bool]:
        """`os.path.realpath` of `path` below root ("" for root itself) and whether what it names
        exists, asked of the disk once per run: every graph a run builds resolves its Dockerfiles."""
        found = self._resolved.get(path)
        if found is None:
            real = os.path.realpath(self._base + path if path else self.root)
            found = self._resolved[path] = (real, os.path.exists(real))
        return found

    def copy(self) -> "Tree":
        t = Tree(self.root, self._overlay, self.exclude)
        t._disk = self._disk  # disk content is shared: it never changes during a run
        t._isfile = self._isfile
        t._resolved = self._resolved
        t._modes = self._modes
        t._links = self._links
        t._paths = self._paths
        t.scope = self.scope
        return t


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _unreadable(path: str, err: OSError) -> Exception:
    from dockfix.errors import DockfixError

    what = "directory" if os.path.isdir(path) else "file"
    return DockfixError(f"cannot read this {what}: {err.strerror or err}; dockfix reads every file of "
                        "the repository (fix its permissions, or exclude it in [tool.dockfix])", path=path)


def listed(paths: Sequence[str], path: str) -> bool:
    """`path` is in sorted `paths` (a listing from `Tree.paths` or `Tree.under`, or a
    filtered one): bisection, not a scan."""
    i = bisect.bisect_left(paths, path)
    return i < len(paths) and paths[i] == path


def named(paths: Sequence[str], name: str) -> list[str]:
    """`name` and every path below it, in order, from sorted `paths`."""
    lo, hi = _prefix_range(paths, name + "/")
    return ([name] if listed(paths, name) else []) + list(paths[lo:hi])


def below(paths: Sequence[str], directory: str) -> list[str]:
    """The paths under `directory` (not itself), in order, from sorted `paths`."""
    lo, hi = _prefix_range(paths, directory + "/")
    return list(paths[lo:hi])


def _prefix_range(paths: Sequence[str], prefix: str) -> tuple[int, int]:
    """The slice of sorted `paths` that start with `prefix` (which ends in "/"): every such
    string sorts at or after the prefix and before the prefix with "/" bumped to "0"."""
    return bisect.bisect_left(paths, prefix), bisect.bisect_left(paths, prefix[:-1] + "0")
