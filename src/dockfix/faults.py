"""A test hook for fault injection: inert unless the environment variable DOCKFIX_FAULT is set.

    DOCKFIX_FAULT=POINT[#N]:ACTION

stops the process at the named point of `apply` (the N-th time it is reached, default the
first). ACTION is `kill` (SIGKILL: no clean-up runs, as with kill -9 or a power cut), `int`
(SIGINT), `term` (SIGTERM) or `stop` (SIGSTOP: a test edits files, then sends SIGCONT).

Points, in the order `apply` reaches them: `locked` (the repository lock is held),
`proving` (a large serial run has started its prover process, `scheduler._Prover`),
`planned` (the plan is made, nothing written), `journal-tmp` (the journal is written but
not yet in place), `journal` (the journal is in place), `staged` (every temporary file is
written), `rename` (after each rename of a temporary file onto its target), `committed`
(the journal is removed; the lock is still held); and, while rolling back, `restore`
(after each file put back).
"""

from __future__ import annotations

import os
import signal

_ACTIONS = {"kill": signal.SIGKILL, "int": signal.SIGINT, "term": signal.SIGTERM, "stop": signal.SIGSTOP}
_reached: dict[str, int] = {}


def point(name: str) -> None:
    """Raise the configured signal when `name` is the configured point (a no-op otherwise)."""
    spec = os.environ.get("DOCKFIX_FAULT")
    if not spec:
        return
    where, _, action = spec.partition(":")
    at, _, nth = where.partition("#")
    if at != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] == int(nth or 1):
        os.kill(os.getpid(), _ACTIONS[action])
