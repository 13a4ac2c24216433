"""Per-instruction argument parsing: BuildKit's line_parsers.go dispatch table.

Each parser takes the instruction's rest of line (after flags) and returns
(value, is_json). `value` is the tuple BuildKit's AST holds in the node's Next chain.
"""

from __future__ import annotations

import json

from dockfix.syntax.lexer import WHITESPACE_RE, is_space, lstrip_space, parse_words


class ValueError_(Exception):
    """An argument error BuildKit's parser reports (the file is rejected)."""


NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"


def go_quote(s: str) -> str:
    """Go's strconv.Quote (fmt %q): printable characters as they are, the rest escaped."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif "\udc80" <= ch <= "\udcff":  # an undecodable byte
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                        "\t": "\\t", "\v": "\\v"}[ch])
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _reject_constant(name: str) -> None:
    # Go's encoding/json has no NaN/Infinity; make Python's decoder agree.
    raise json.JSONDecodeError("invalid constant", name, 0)


def parse_json_array(rest: str) -> tuple[str, ...] | None:
    """parseJSON: a JSON array of strings, or None when `rest` is not a JSON array.
    Current BuildKit uses json.Unmarshal, which rejects trailing data (v0.9.0's
    Decoder ignored it)."""
    rest = lstrip_space(rest)
    if not rest.startswith("["):
        return None
    try:
        data = json.loads(rest, parse_constant=_reject_constant)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    if not all(isinstance(x, str) for x in data):
        raise ValueError_(NOT_STRING_ARRAY)
    return tuple(data)


def parse_maybe_json(rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    if rest == "":
        return (), False
    arr = parse_json_array(rest)
    if arr is not None:
        return arr, True
    return (rest,), False


def parse_maybe_json_to_list(rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    arr = parse_json_array(rest)
    if arr is not None:
        return arr, True
    return parse_whitespace_delimited(rest, escape)


def parse_whitespace_delimited(rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    if rest == "":
        return (), False
    return tuple(WHITESPACE_RE.split(rest)), False


def parse_string(rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    return ((rest,) if rest else ()), False


def parse_name_val(rest: str, escape: str, key: str) -> tuple[tuple[str, ...], bool]:
    """ENV and LABEL: `KEY name value` (old form) or `KEY a=b c=d`."""
    words = parse_words(rest, escape)
    if not words:
        return (), False
    if "=" not in words[0]:
        parts = WHITESPACE_RE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ValueError_(f"{key} must have two arguments")
        return (parts[0], parts[1]), False
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ValueError_(
                f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value")
        k, v = word.split("=", 1)
        out += [k, v]
    return tuple(out), False


def parse_name_or_name_val(rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    return tuple(parse_words(rest, escape)), False


def parse_health_config(rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    sep = 0
    while sep < len(rest) and not is_space(rest[sep]):
        sep += 1
    nxt = sep
    while nxt < len(rest) and is_space(rest[nxt]):
        nxt += 1
    if sep == 0:
        return (), False
    cmd, is_json = parse_maybe_json(rest[nxt:], escape)
    return (rest[:sep],) + cmd, is_json


# Keyword (lower case) -> parser. ONBUILD is handled by the document parser.
DISPATCH = {
    "add": parse_maybe_json_to_list,
    "arg": parse_name_or_name_val,
    "cmd": parse_maybe_json,
    "copy": parse_maybe_json_to_list,
    "entrypoint": parse_maybe_json,
    "env": lambda rest, esc: parse_name_val(rest, esc, "ENV"),
    "expose": parse_whitespace_delimited,
    "from": parse_whitespace_delimited,
    "healthcheck": parse_health_config,
    "label": lambda rest, esc: parse_name_val(rest, esc, "LABEL"),
    "maintainer": parse_string,
    "run": parse_maybe_json,
    "shell": parse_maybe_json,
    "stopsignal": parse_string,
    "user": parse_string,
    "volume": parse_maybe_json_to_list,
    "workdir": parse_string,
}

KNOWN_INSTRUCTIONS = frozenset(DISPATCH) | {"onbuild"}
HEREDOC_INSTRUCTIONS = frozenset({"add", "copy", "run"})
