"""One writer per repository: `ROOT/.dockfix.lock`, created with O_EXCL, holding the pid.

The holder also keeps an flock on the file, which the kernel drops when the process dies
however it dies (kill -9 included): a lock whose flock is free is stale and is reclaimed,
with a line on stderr. A lock whose flock is held belongs to a live dockfix: refused.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

from dockfix.errors import DockfixError

LOCK_NAME = ".dockfix.lock"
# A lock file with no pid yet is younger than this while its creator is still starting:
# the window between O_EXCL and writing the pid is microseconds.
_UNWRITTEN_GRACE_S = 2.0


class Locked(DockfixError):
    """Another dockfix is rewriting this repository."""

    exit_code = 1


class RepoLock:
    """The held lock of one repository. `release()` removes it."""

    def __init__(self, root: Path, fd: int):
        self.root = root
        self.path = root / LOCK_NAME
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, root: str | os.PathLike) -> "RepoLock":
        root = Path(root)
        path = root / LOCK_NAME
        for _ in range(3):  # a reclaimed stale lock, then our own O_EXCL create
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            except FileExistsError:
                _reclaim_if_stale(path)
                continue
            except OSError as err:
                raise DockfixError(f"cannot create the lock file: {err.strerror}", path=str(path)) from None
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks only while a reclaimer looks at it
            os.write(fd, f"{os.getpid()}\n".encode())
            os.fsync(fd)
            return cls(root, fd)
        raise Locked("another dockfix took the lock first; nothing done", path=str(path))

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "RepoLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def holder(path: Path) -> int | None:
    """The pid of the live process holding the lock at `path`, or None (no lock, or stale)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        if _free(fd):
            return None
        pid = _pid_in(path)
        return None if pid is not None and not _alive(pid) else (pid or -1)
    finally:
        os.close(fd)  # closing drops our flock, if we took it


def _reclaim_if_stale(path: Path) -> None:
    """Remove the lock at `path` when its holder is gone; raise Locked when it is alive."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # released meanwhile: try again
    try:
        pid = _pid_in(path)
        # Stale: no process holds the flock, or the pid written in it is gone (worker
        # processes it forked for planning may outlive a killed dockfix and keep the flock).
        if not _free(fd) and (pid is None or _alive(pid)):
            raise Locked(f"another dockfix (pid {pid or 'unknown'}) is rewriting this repository; "
                         "nothing done", path=str(path))
        st = os.fstat(fd)
        if pid is None and time.time() - st.st_mtime < _UNWRITTEN_GRACE_S:
            raise Locked("another dockfix is starting on this repository; nothing done", path=str(path))
        try:
            if os.stat(path).st_ino != st.st_ino:
                return  # someone reclaimed it first: try again
        except FileNotFoundError:
            return
        os.unlink(path)
        print(f"dockfix: removed the stale lock {path} of pid {pid or 'unknown'}, "
              "which is no longer running", file=sys.stderr)
    finally:
        os.close(fd)


def _free(fd: int) -> bool:
    """No process holds the flock of the open lock file `fd` (we then hold it until closed)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
