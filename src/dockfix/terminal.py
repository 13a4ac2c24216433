"""Output for a person at a terminal: the unified diff in colour and a summary with
per-transform counts. Colour only wraps lines in ANSI codes: with the codes removed the
diff is byte for byte the plain one (`dockfix plan | git apply` never sees this module).

Imported only when colours are on, so rich is not loaded for piped output.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.color import ColorSystem
    from rich.console import Console

    from dockfix.pipeline import Plan

ADDED, REMOVED, HEADER, HUNK, MARKER = "green", "red", "bold", "cyan", "dim"
# CSI sequences (colours and the rest): what `strip_ansi` removes.
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")


def console(stderr: bool, forced: bool = False) -> "Console":
    """A rich console on stdout or stderr. `forced` (--color): colours even when the stream
    is not a terminal and NO_COLOR is set; otherwise rich decides (TTY, TERM=dumb, NO_COLOR)."""
    from rich.console import Console

    if forced:
        return Console(stderr=stderr, force_terminal=True, no_color=False, highlight=False)
    return Console(stderr=stderr, highlight=False)


def _line_style(line: bytes, in_header: bool) -> tuple[str | None, bool]:
    """(style, still in a file header) for one diff line."""
    if line.startswith(b"diff --git "):
        return HEADER, True
    if line.startswith(b"@@"):
        return HUNK, False
    if in_header:
        return HEADER, True  # ---/+++ and the mode lines
    if line.startswith(b"\\"):
        return MARKER, False  # \ No newline at end of file
    if line.startswith(b"+"):
        return ADDED, False
    if line.startswith(b"-"):
        return REMOVED, False
    return None, False


def color_diff(diff: bytes, color_system: "ColorSystem | None") -> bytes:
    """`diff` with each line wrapped in its style's ANSI codes (additions green, removals
    red, file headers bold, hunk headers cyan). Line endings and every other byte stay."""
    if color_system is None or not diff:
        return diff
    from rich.style import Style

    styles = {name: Style.parse(name) for name in (ADDED, REMOVED, HEADER, HUNK, MARKER)}
    out: list[bytes] = []
    in_header = False
    parts = diff.split(b"\n")  # only "\n" ends a diff line (a lone "\r" is content)
    lines = [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    for line in lines:
        style, in_header = _line_style(line, in_header)
        body = line.rstrip(b"\r\n")
        end = line[len(body):]
        if style is None or not body:
            out.append(line)
            continue
        text = body.decode("utf-8", "surrogateescape")
        out.append(styles[style].render(text, color_system=color_system).encode("utf-8", "surrogateescape") + end)
    return b"".join(out)


def strip_ansi(data: bytes) -> bytes:
    return ANSI.sub(b"", data)


def transform_counts(plan: "Plan") -> list[tuple[str, int, int]]:
    """(transform, files it changed, changed regions) in run order, for the transforms that
    changed something."""
    from dockfix.report import _changed_regions

    counts = []
    for step in plan.outcome.steps:
        if not step.files:
            continue
        regions = sum(len(_changed_regions(prior, data)) for prior, data in step.files.values())
        counts.append((step.transform, len(step.files), regions))
    return counts


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def summary_lines(plan: "Plan", defects=None) -> list[tuple[str, str | None]]:
    """The summary as (text, style) lines: notes, files changed, per-transform counts, the
    prover's verdict and its findings, and (for check) the defects."""
    lines: list[tuple[str, str | None]] = []
    for note in plan.outcome.notes:
        lines.append((str(note), "yellow" if note.kind in ("skip", "warning") else "dim"))
    n = len(plan.changed)
    lines.append((f"dockfix: {_plural(n, 'file')} would change "
                  f"({', '.join(plan.outcome.names) or 'no transforms'})", "bold"))
    for name, files, regions in transform_counts(plan):
        lines.append((f"  {name}: {_plural(files, 'file')}, {_plural(regions, 'changed region')}", None))
    verdict = plan.verdict
    lines.append((f"verify: {verdict.summary()}", "bold green" if verdict.holds else "bold red"))
    severity_style = {"broken": "red", "unproven": "red", "BROKEN": "red", "UNPROVEN": "red", "pre-existing": "yellow", "fixed": "green", "info": "dim"}
    for text in verdict.report().splitlines()[1:]:
        word = text.strip().split(":", 1)[0]
        lines.append((text, severity_style.get(word)))
    for d in defects or ():
        lines.append((d.line_text(), "yellow" if d.severity == "warning" else "red"))
    return lines
