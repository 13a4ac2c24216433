"""A progress bar on stderr for runs over many Dockerfiles.

The CLI passes a `ProgressBar` only when stderr is a terminal; the scheduler reports
progress only when it splits a large repository. rich is imported at the first report,
so small runs never load it. No refresh thread: the bar redraws when a part finishes,
and the scheduler's worker processes are forked from a single-threaded parent.
"""

from __future__ import annotations


class ProgressBar:
    def __init__(self) -> None:
        self._bar = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("dockfix"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("Dockerfiles"), TimeElapsedColumn(),
                                 console=Console(stderr=True), auto_refresh=False, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("", total=total)
        self._bar.update(self._task, completed=done, total=total)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
