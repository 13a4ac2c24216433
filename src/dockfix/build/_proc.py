"""Run an engine command: argv lists only (never a shell), a timeout that really stops it.

Engines start grandchildren (buildah run -> crun/chroot -> the command), so killing only the
direct child on timeout would leave the command running. Each command therefore starts in its
own session and the whole process group is signalled when the timeout expires: SIGTERM first,
so an engine can remove its working containers, then SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    """What a finished (or timed-out) command produced."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False

    @property
    def output(self) -> str:
        """stdout then stderr, for parsers that look at both (engines split them arbitrarily)."""
        return self.stdout + self.stderr


def run(
    argv: Sequence[str],
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    grace: float = 10.0,
) -> Completed:
    """Run argv to completion or until `timeout` seconds pass; never raises on a non-zero exit.

    On timeout the process group gets SIGTERM, then SIGKILL after `grace` seconds, and
    `timed_out` is set.
    A missing executable raises FileNotFoundError (a setup error, not a command result).
    """
    start = time.monotonic()
    full_env = None if env is None else {**os.environ, **env}
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=full_env,
        start_new_session=True,
    )
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
    return Completed(
        argv=tuple(argv),
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.monotonic() - start,
        timed_out=timed_out,
    )


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
