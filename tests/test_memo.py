"""src/dockfix/memo.py: a memo keeps what it is given until it would pass its limit."""

from __future__ import annotations

from dockfix.memo import Memo


def test_a_memo_empties_itself_past_its_limit() -> None:
    memo = Memo(2)
    assert memo.put("a", 1) == 1
    memo.put("b", 2)
    memo.put("c", 3)
    assert memo == {"a": 1, "b": 2, "c": 3}  # at the limit: kept
    memo.put("d", 4)
    assert memo == {"d": 4}  # past it: emptied first, then the new entry
