"""Editing one .dockerignore for the builds that read it: remove or narrow the pattern that
keeps a failing COPY's source out, and only when every file that comes back is one failing
COPYs name and no working build copies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from dockfix.graph.dockerignore import DockerIgnore, Pattern
from dockfix.model.copy import in_context
from dockfix.transforms.base import Context
from dockfix.transforms.prune_dockerignore.builds import Build, Source, SourceState
from dockfix.transforms.prune_dockerignore.ignore_text import IgnoreText

# A pattern with a wildcard is a policy for files that do not exist yet: narrowed, never removed.
_WILDCARD = re.compile(r"[*?\[]")


class How(Enum):
    REMOVE = "remove"  # delete the pattern line
    NARROW = "narrow"  # add `!<source>` right after it


@dataclass(frozen=True)
class Edit:
    text: IgnoreText
    included: set[str]  # keys the edited text includes and the original does not
    line: int  # the pattern's line, for the note
    note: str


@dataclass(frozen=True)
class Refusal:
    """Why a source's pattern is not edited; the transform reports it as one skip note.
    An empty reason: the attempt failed for no reason worth reporting on its own."""

    line: int | None
    reason: str


def prune(ctx: Context, ignore_path: str, builds: list[Build]) -> None:
    """Edit `ignore_path` so the failing sources of `builds` reach their contexts."""
    data = ctx.tree.read(ignore_path)
    try:
        ignore = DockerIgnore.parse(data)
    except Exception as err:  # a file Docker refuses: every build using it fails anyway
        ctx.skip(ignore_path, getattr(err, "line", None), f"not edited: {err}")
        return
    judged = _judge(ctx, ignore_path, ignore, builds)
    failing = [(b, s) for b, s, state in judged if state is SourceState.FAILS]
    if not failing:
        return
    # Files a build that works today copies: re-including one would change its image.
    broken = {id(b) for b, _ in failing}
    protected = {b.key(f) for b, s, _ in judged if id(b) not in broken for f in s.named}
    allowed = {b.key(f) for b, s in failing for f in s.named} - protected
    editor = _Editor(data, _Inclusion(ignore, builds), allowed, protected)
    editor.run(failing)
    for refusal in editor.refused.values():
        ctx.skip(ignore_path, refusal.line, refusal.reason)
    if editor.text.changed:
        for line, message in editor.notes:
            ctx.note("info", ignore_path, line, message)
        ctx.write(ignore_path, editor.text.render())


def _judge(ctx: Context, ignore_path: str, ignore: DockerIgnore,
           builds: list[Build]) -> list[tuple[Build, Source, SourceState]]:
    """Every source's state under the original file; an empty wildcard is warned about once."""
    out = []
    warned: set[tuple[str, int, str]] = set()
    for b in builds:
        for s in b.sources:
            state = s.state(ignore, b.files)
            out.append((b, s, state))
            if state is SourceState.EMPTY and (s.dockerfile, s.line, s.text) not in warned:
                warned.add((s.dockerfile, s.line, s.text))
                ctx.note("warning", s.dockerfile, s.line,
                         f"COPY source {s.text} matches only files {ignore_path} excludes; "
                         "BuildKit copies nothing here (an empty wildcard is allowed); left as is")
    return out


class _Editor:
    """The edits of one file: one failing source at a time, until none is left or every one
    left is refused (a refused source is retried after any later edit)."""

    def __init__(self, data: bytes, inclusion: "_Inclusion", allowed: set[str], protected: set[str]):
        self.text = IgnoreText(data)
        self.inclusion = inclusion
        self.allowed, self.protected = allowed, protected
        self.notes: list[tuple[int, str]] = []
        self.refused: dict[int, Refusal] = {}  # id(source) -> why

    def run(self, failing: list[tuple[Build, Source]]) -> None:
        for _ in range(8 * len(failing) + 8):
            current = DockerIgnore.parse(self.text.render())
            todo = next(((b, s) for b, s in failing
                         if id(s) not in self.refused and not in_context(current, b.files, s.needed)), None)
            if todo is None:
                return
            self._fix(current, *todo)

    def _fix(self, current: DockerIgnore, b: Build, s: Source) -> None:
        where = f"not edited for {s.dockerfile}:{s.line} ({s.text})"
        pat = current.deciding_pattern(s.needed) if s.needed else None
        if pat is None or pat.negated:
            self.refused[id(s)] = Refusal(None, f"{where}: no pattern decides its exclusion")
            return
        reasons: list[str] = []
        for how in (How.NARROW,) if _WILDCARD.search(pat.pattern) else (How.REMOVE, How.NARROW):
            outcome = self._attempt(how, pat, b, s)
            if isinstance(outcome, Edit):
                self.text, self.inclusion.delta = outcome.text, outcome.included
                self.notes.append((outcome.line, outcome.note))
                self.refused.clear()
                return
            if outcome.reason:
                reasons.append(outcome.reason)
        why = "; ".join(dict.fromkeys(reasons)) or "no edit of that pattern re-includes only what it needs"
        self.refused[id(s)] = Refusal(pat.line, f"{where}: {why}")

    def _attempt(self, how: How, pat: Pattern, b: Build, s: Source) -> Edit | Refusal:
        line = self.text.line_of(pat)
        trial = self.text.copy()
        exception = _exception(pat, s) if how is How.NARROW else ""
        if how is How.REMOVE:
            trial.remove(line)
        else:
            trial.add_after(line, exception)
        after = DockerIgnore.parse(trial.render())
        if not in_context(after, b.files, s.needed):
            return Refusal(pat.line, "")
        new = self.inclusion.after_edit(after, pat if how is How.REMOVE else _pattern(exception))
        if how is How.NARROW:
            extra = new - self._alone(pat)  # only what this pattern alone keeps out may come back
            if extra:
                return Refusal(pat.line, f"`{exception}` would also re-include {_show(extra)}, "
                                         "which another pattern excludes")
        hit = (new - self.allowed) & self.protected
        if new - self.allowed:
            return Refusal(pat.line, f"re-including {_show(hit)} would change an image that builds today"
                           if hit else "")
        src = f"{s.dockerfile}:{s.line} ({s.text})"
        if how is How.REMOVE:
            note = (f"removed `{pat.text.strip()}`: {src} needs what it excluded, "
                    "and no build that works copies any of it")
        else:
            note = f"narrowed `{pat.text.strip()}` with `{exception}`: {src} needs it"
        return Edit(trial, new, pat.line, note)

    def _alone(self, pat: Pattern) -> set[str]:
        """What the current text without `pat`'s line includes that the original does not."""
        alone = self.text.copy()
        alone.remove(self.text.line_of(pat))
        return self.inclusion.after_edit(DockerIgnore.parse(alone.render()), pat)


class _Inclusion:
    """Which files an edited .dockerignore re-includes (context-relative keys, over every
    build that reads it), compared with the original file. Each edit removes or adds one
    pattern line, and only files that pattern matches (or whose parent it matches) can
    change their deciding pattern; so only those are matched again, not every file."""

    def __init__(self, original: DockerIgnore, builds: list[Build]):
        self.original = original
        self.builds = builds
        self.delta: set[str] = set()  # included by the current text, not by the original

    def after_edit(self, after: DockerIgnore, touched: Pattern | None) -> set[str]:
        """Keys `after` includes and the original does not; `after` is the current text
        with the line of `touched` removed or added."""
        if touched is None:
            return set(self.delta)
        keys = {b.key(f) for b in self.builds for f in b.files if touched.matches_or_parent(f)}
        if not keys:
            return set(self.delta)
        files_of: dict[str, list[str]] = {}  # every file behind a touched key, in any build
        for b in self.builds:
            for f in b.files:
                k = b.key(f)
                if k in keys:
                    files_of.setdefault(k, []).append(f)
        out = self.delta - keys
        for k, files in files_of.items():
            if any(not after.excludes(f) for f in files) and all(self.original.excludes(f) for f in files):
                out.add(k)
        return out


def _show(keys: set[str]) -> str:
    items = sorted(keys)
    return ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")


def _pattern(line: str) -> Pattern | None:
    patterns = DockerIgnore.parse(line.encode("utf-8", "surrogateescape")).patterns
    return patterns[0] if patterns else None


def _exception(pat: Pattern, s: Source) -> str:
    """`!<source>` in the pattern's own spelling: a leading `/` or `./` is kept."""
    raw = pat.text.strip()
    lead = "/" if raw.startswith("/") else "./" if raw.startswith("./") else ""
    return "!" + lead + s.path
