"""All-or-nothing writes: every file is staged next to its target, fsynced, then renamed;
if any step fails, the files already renamed are put back and nothing else is touched.

Never writes through a symlink or outside ROOT.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dockfix.errors import DockfixError


class WriteError(DockfixError):
    exit_code = 2


@dataclass
class _Staged:
    target: Path
    temp: Path
    original: bytes | None
    mode: int | None


def safe_target(root: Path, rel: str) -> Path:
    """The absolute path for `rel`, refusing symlinks and anything outside root."""
    root = root.resolve()
    if os.path.isabs(rel) or ".." in Path(rel).parts:
        raise WriteError("refusing to write outside the repository", path=rel)
    # No component below root may be a symlink: the bytes would land somewhere else.
    probe = root
    for part in Path(rel).parts:
        probe = probe / part
        if probe.is_symlink():
            raise WriteError("refusing to write through a symlink", path=rel)
    return probe


def write_files(root: str | os.PathLike, files: dict[str, bytes]) -> list[str]:
    """Write `files` (repo-relative path -> bytes) atomically as a set. Returns the paths."""
    root = Path(root)
    staged: list[_Staged] = []
    try:
        for rel, data in sorted(files.items()):
            target = safe_target(root, rel)
            original = target.read_bytes() if target.exists() else None
            st = target.stat() if target.exists() else None
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dockfix", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                if st is not None:
                    os.chmod(tmp, st.st_mode & 0o7777)
                    try:
                        os.chown(tmp, st.st_uid, st.st_gid)
                    except PermissionError:
                        pass  # not ours to keep: an unprivileged user cannot give files away
            except BaseException:
                os.unlink(tmp)
                raise
            staged.append(_Staged(target, Path(tmp), original, st.st_mode if st else None))
    except OSError as err:
        _discard(staged)
        raise WriteError(f"cannot stage write: {err.strerror or err}", path=getattr(err, "filename", None)) from None
    except BaseException:
        _discard(staged)
        raise

    done: list[_Staged] = []
    try:
        for s in staged:
            os.replace(s.temp, s.target)
            done.append(s)
        _fsync_dirs({s.target.parent for s in staged})
    except BaseException as err:
        _restore(done)
        _discard([s for s in staged if s not in done])
        if isinstance(err, OSError):
            raise WriteError(f"write failed, nothing changed: {err.strerror or err}",
                             path=str(getattr(err, "filename", "") or "")) from None
        raise
    return sorted(files)


def _discard(staged: list[_Staged]) -> None:
    for s in staged:
        try:
            s.temp.unlink()
        except FileNotFoundError:
            pass


def _restore(done: list[_Staged]) -> None:
    for s in reversed(done):
        if s.original is None:
            s.target.unlink(missing_ok=True)
            continue
        fd, tmp = tempfile.mkstemp(prefix=f".{s.target.name}.", suffix=".dockfix-restore", dir=s.target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(s.original)
            fh.flush()
            os.fsync(fh.fileno())
        if s.mode is not None:
            os.chmod(tmp, s.mode & 0o7777)
        os.replace(tmp, s.target)


def _fsync_dirs(dirs: set[Path]) -> None:
    for d in dirs:
        try:
            fd = os.open(d, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
