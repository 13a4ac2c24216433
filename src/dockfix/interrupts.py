"""SIGINT and SIGTERM during `apply`: raised as `Interrupted` where the main flow can roll
back, and held back (recorded, not raised) while a rollback or the commit runs, so that a
second Ctrl-C cannot cut a rollback in half."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A signal asked the process to stop; the exit status is 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    pending: int | None = None  # the first signal received while trapped
    held = 0  # > 0: inside held(); a signal is recorded, not raised
    owner = 0  # the pid that trapped the signals


def _handler(signum: int, frame) -> None:
    if os.getpid() != _State.owner:
        # A worker forked for planning inherited the handler: it has nothing to roll back
        # and must stop as it would untrapped (Pool.terminate sends it SIGTERM).
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _State.pending is not None:
        return  # already stopping: later signals change nothing
    _State.pending = signum
    if not _State.held:
        raise Interrupted(signum)


@contextmanager
def trapped() -> Iterator[None]:
    """SIGINT/SIGTERM raise Interrupted inside this block (the previous handlers after)."""
    previous = {s: signal.signal(s, _handler) for s in _SIGNALS}
    _State.pending, _State.owner = None, os.getpid()
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def held() -> Iterator[None]:
    """Signals that arrive inside this block are recorded; `raise_pending` raises them."""
    _State.held += 1
    try:
        yield
    finally:
        _State.held -= 1


def raise_pending() -> None:
    """Raise Interrupted for a signal recorded inside `held` (once)."""
    if _State.pending is not None and not _State.held:
        signum, _State.pending = _State.pending, -1  # -1: reported; later signals stay ignored
        if signum > 0:
            raise Interrupted(signum)
