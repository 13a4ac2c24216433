"""Memos of pure functions of file contents (parses, source-file mappings, landed files).

Every stage of a run asks the same questions of the same bytes; a memo answers them once.
A memo empties itself when it grows past its limit, so a long-lived process (the test
suite, an editor integration) cannot grow it without bound; one run stays well below.
"""

from __future__ import annotations

from typing import TypeVar

V = TypeVar("V")


class Memo(dict):
    """A dict of results by their inputs, emptied before it would pass `limit` entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: object, value: V) -> V:
        if len(self) > self.limit:
            self.clear()
        self[key] = value
        return value
