"""Unified diffs that `git apply` accepts: one per file, `a/` and `b/` prefixes, bytes
kept as they are (CRLF, non-UTF-8), and the `\\ No newline at end of file` marker."""

from __future__ import annotations

import difflib

NO_EOL = b"\\ No newline at end of file\n"


def _lines(data: bytes) -> list[bytes]:
    # Only "\n" ends a line for git; bytes.splitlines would also split on a lone "\r".
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(path: str, before: bytes | None, after: bytes | None, context: int = 3) -> bytes:
    a = _lines(before or b"")
    b = _lines(after or b"")
    if a == b:
        return b""
    old = b"/dev/null" if before is None else f"a/{path}".encode()
    new = b"/dev/null" if after is None else f"b/{path}".encode()
    out = [b"diff --git " + f"a/{path} b/{path}".encode() + b"\n"]
    if before is None:
        out.append(b"new file mode 100644\n")
    elif after is None:
        out.append(b"deleted file mode 100644\n")
    body = list(difflib.diff_bytes(difflib.unified_diff, a, b, old, new, n=context, lineterm=b""))
    for i, line in enumerate(body):
        if i < 2:  # ---/+++ headers, which diff_bytes leaves without "\n" given lineterm=b""
            out.append(line.rstrip(b"\n") + b"\n")
        elif line.startswith(b"@@"):
            out.append(line.rstrip(b"\n") + b"\n")
        elif line.endswith(b"\n"):
            out.append(line)
        else:
            out.append(line + b"\n" + NO_EOL)
    return b"".join(out)


def tree_diff(changes: dict[str, tuple[bytes | None, bytes | None]]) -> bytes:
    """Concatenated per-file diffs, files in path order."""
    return b"".join(unified_diff(p, old, new) for p, (old, new) in sorted(changes.items()))
