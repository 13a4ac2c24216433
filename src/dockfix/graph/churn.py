"""How often a file's lines were edited recently, from `git log` (one call per file).

`read_churn(root, path, current)` runs, once, in ROOT:

    git log --first-parent -n WINDOW -p --unified=CONTEXT --no-renames --format=%x00%H -- path

and follows each line of `current` (the text as dockfix sees it, which may differ from HEAD)
back through those commits: to HEAD's text by a line diff, then through each commit's diff,
newest first. A line a commit adds is edited by that commit; a line that replaces another (the
i-th `+` of a change block pairs with its i-th `-`) keeps being followed, so a version bumped in
every release counts every bump. The commit that creates the file (or starts a shallow
history) edits nothing: creation is not churn. `edits(first, last)` is how many of the commits
read edited a line of that range.

What is not known is said, never guessed: no git, ROOT not in a work tree, the file never
committed, a binary diff, a diff this reader cannot follow: `NoHistory(reason)`.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

WINDOW = 10  # the last commits to the file that are read
HOT_EDITS = 3  # a range edited by at least this many of them is edited often
_CONTEXT = 100_000  # lines of context: the newest commit's diff then holds all of HEAD's text
_TIMEOUT = 20
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class NoHistory(str):
    """Why nothing is known of the file's history."""


@dataclass(frozen=True)
class Churn:
    commits: int  # commits read (at most WINDOW)
    edited_by: tuple[frozenset[int], ...]  # per line of the current text (0-based): commit numbers

    def edits(self, first_line: int, last_line: int) -> int:
        """How many of the commits read changed a line in [first_line, last_line] (1-based)."""
        seen: set[int] = set()
        for n in range(max(first_line, 1), min(last_line, len(self.edited_by)) + 1):
            seen |= self.edited_by[n - 1]
        return len(seen)

    def hot(self, first_line: int, last_line: int) -> bool:
        return self.edits(first_line, last_line) >= HOT_EDITS


@dataclass(frozen=True)
class _Commit:
    created: bool  # the diff creates the file (or there is no parent)
    new_text: list[str] | None  # the file after the commit, when the diff holds all of it
    new_to_old: dict[int, int]  # new line -> old line (1-based), for lines followed
    added: frozenset[int]  # new lines this commit wrote


def read_churn(root: str | Path, path: str, current: bytes) -> Churn | NoHistory:
    return churn_of(read_history(root, path), current)


def churn_of(history: list[_Commit] | NoHistory, current: bytes) -> Churn | NoHistory:
    """The churn of `current`'s lines, given the file's history (`read_history`)."""
    if isinstance(history, NoHistory):
        return history
    return _follow(history, current.decode("utf-8", "surrogateescape").splitlines())


def read_history(root: str | Path, path: str) -> list[_Commit] | NoHistory:
    """The last WINDOW commits to the file, parsed: the one git call."""
    if _outside_any_repository(root):  # what git would answer; a monorepo would fork it per file
        return NoHistory("not a git work tree")
    try:
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "log", "--first-parent", f"-n{WINDOW}", "-p",
             f"--unified={_CONTEXT}", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv",
             "--format=%x00%H", "--", path],
            cwd=root, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return NoHistory(f"git could not be run ({e.__class__.__name__})")
    if out.returncode != 0:
        return NoHistory("not a git work tree" if b"not a git repository" in out.stderr else "git log failed")
    commits = _parse(out.stdout.decode("utf-8", "surrogateescape"))
    if isinstance(commits, NoHistory):
        return commits
    if not commits:
        return NoHistory("the file has no commits")
    return commits


def _outside_any_repository(root: str | Path) -> bool:
    """Certainly not in a git repository: git is found, no environment variable points it
    elsewhere, and neither ROOT nor a directory above it (as written or resolved) holds a
    `.git` or is itself a git directory (holds HEAD), where git looks for one. When not
    certain, git is asked."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ or not os.path.isdir(root) \
            or shutil.which("git") is None:
        return False
    for start in {os.path.abspath(root), os.path.realpath(root)}:
        d = start
        while True:
            if os.path.lexists(os.path.join(d, ".git")) or os.path.lexists(os.path.join(d, "HEAD")):
                return False
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    return True


def _parse(log: str) -> list[_Commit] | NoHistory:
    commits = []
    for record in log.split("\x00")[1:]:
        _, _, diff = record.partition("\n")
        if "Binary files" in diff or "GIT binary patch" in diff:
            return NoHistory("a commit's diff of the file is binary")
        commit = _read_diff(diff)
        if commit is None:
            return NoHistory("a commit's diff could not be read")
        commits.append(commit)
    return commits


def _read_diff(diff: str) -> _Commit | None:
    lines = diff.split("\n")
    created = any(line.startswith("--- /dev/null") for line in lines[:8])
    hunks = [i for i, line in enumerate(lines) if line.startswith("@@ ")]
    if not hunks:
        return _Commit(created, None, {}, frozenset()) if created or not diff.strip() else None
    new_to_old: dict[int, int] = {}
    added: set[int] = set()
    new_text: list[str] = []
    old_at = new_at = 1
    for h in hunks:
        m = _HUNK.match(lines[h])
        if m is None:
            return None
        old_start, new_start = int(m.group(1)), int(m.group(3))
        while new_at < new_start:  # lines between hunks are unchanged
            new_to_old[new_at] = old_at
            new_at, old_at = new_at + 1, old_at + 1
        old_at, new_at = max(old_start, 1), max(new_start, 1)
        old_at, new_at = _walk_hunk(lines, h + 1, old_at, new_at, new_to_old, added, new_text)
    whole = len(hunks) == 1 and _HUNK.match(lines[hunks[0]]).group(3) in ("0", "1")
    return _Commit(created, new_text if whole else None, new_to_old, frozenset(added))


def _walk_hunk(lines: list[str], i: int, old_at: int, new_at: int, new_to_old: dict[int, int],
               added: set[int], new_text: list[str]) -> tuple[int, int]:
    removed: list[int] = []  # old lines of the current change block, for pairing
    paired = 0
    while i < len(lines) and not lines[i].startswith(("@@ ", "diff --git")):
        tag, text = lines[i][:1], lines[i][1:].removesuffix("\r")  # as str.splitlines reads a CRLF line
        if tag == " ":
            new_to_old[new_at] = old_at
            new_text.append(text)
            old_at, new_at, removed, paired = old_at + 1, new_at + 1, [], 0
        elif tag == "-":
            removed.append(old_at)
            old_at += 1
        elif tag == "+":
            added.add(new_at)
            if paired < len(removed):
                new_to_old[new_at] = removed[paired]
                paired += 1
            new_text.append(text)
            new_at += 1
        i += 1
    return old_at, new_at


def _follow(commits: list[_Commit], current: list[str]) -> Churn | NoHistory:
    head = commits[0].new_text
    if head is None:
        return NoHistory("HEAD's text could not be read from the log")
    pos: list[int | None] = [None] * len(current)
    matcher = difflib.SequenceMatcher(None, head, current, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(min(a1 - a0, b1 - b0)):
                pos[b0 + k] = a0 + k + 1
    edited: list[set[int]] = [set() for _ in current]
    for number, commit in enumerate(commits):
        if commit.created:
            break
        for i, p in enumerate(pos):
            if p is None:
                continue
            if p in commit.added:
                edited[i].add(number)
            pos[i] = commit.new_to_old.get(p)
    return Churn(len(commits), tuple(frozenset(e) for e in edited))
