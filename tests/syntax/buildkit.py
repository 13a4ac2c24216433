"""Compare our parse with BuildKit's own parser (PyPI `dockerfile`, BuildKit v0.9.0 in Go).

Where the two may differ by design, the reason is written here, never skipped silently:
- KNOWN_DIVERGENCES: current BuildKit changed a rule after v0.9.0; we follow current BuildKit.
- `ours_with_v090_flags`: v0.9.0 split `--flags` with `\\` whatever the escape directive.
- Binding artifacts: the Go binding reports ONBUILD's heredocs as () (it reads the sub-node),
  and hands back values as C strings (a NUL ends them).
"""

from __future__ import annotations

import dockerfile

from dockfix.errors import DockerfileSyntaxError
from dockfix.syntax import parse

# case file name -> why we differ from the v0.9.0 binding (with the BuildKit source that says so)
KNOWN_DIVERGENCES = {
    "divergence-json-trailing-data.Dockerfile":
        "v0.9.0's parseJSON used json.NewDecoder(...).Decode, which ignores data after the array; "
        "current BuildKit (frontend/dockerfile/parser/line_parsers.go parseJSON) uses json.Unmarshal, "
        "which rejects it, so `RUN [\"a\"] extra` is shell form.",
}


def ours(data: bytes) -> list[tuple] | tuple[str, str]:
    try:
        doc = parse(data, "Dockerfile")
    except DockerfileSyntaxError as err:
        return ("error", err.message)
    out = []
    for i in doc.instructions:
        heredocs = () if i.keyword == "ONBUILD" else tuple((h.name, h.content) for h in i.heredocs)
        out.append((i.keyword, i.sub.keyword if i.sub else None, i.start_line, i.end_line, i.flags,
                    tuple(v.split("\0", 1)[0] for v in i.value), i.json, heredocs))
    return out


def ours_with_v090_flags(data: bytes) -> list[tuple] | tuple[str, str]:
    """`ours` with the `--flags` split as v0.9.0's extractBuilderFlags split them: always with
    `\\` as the escape. Current BuildKit (frontend/dockerfile/parser/line_parsers.go) uses the
    file's escape token there, and so do we; under a backtick escape directive, a flag with a `\\` or a quote
    is where the binding and we differ, and only there."""
    from unittest import mock

    from dockfix.syntax import document, lexer

    def v090(line: str, escape: str):
        return extract(line, "\\")

    extract = lexer.extract_builder_flags
    # Unmemoised: the memos hold the current rule's readings.
    with mock.patch.object(lexer, "extract_builder_flags", v090), \
            mock.patch.object(document, "_instruction_of", document._instruction), \
            mock.patch(f"{__name__}.parse", document._parse):
        return ours(data)


def theirs_from_commands(commands) -> list[tuple]:
    return [(c.cmd.upper(), c.sub_cmd.upper() if c.sub_cmd else None, c.start_line, c.end_line, tuple(c.flags),
             tuple(c.value), c.json, tuple((h.name, h.content) for h in c.heredocs)) for c in commands]


def theirs(path: str) -> list[tuple] | tuple[str, str]:
    try:
        return theirs_from_commands(dockerfile.parse_file(path))
    except dockerfile.GoParseError as err:
        return ("error", str(err))


def theirs_text(text: str) -> list[tuple] | tuple[str, str]:
    try:
        return theirs_from_commands(dockerfile.parse_string(text))
    except dockerfile.GoParseError as err:
        return ("error", str(err))
