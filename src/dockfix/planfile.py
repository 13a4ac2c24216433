"""Reading a plan file for `apply --plan`: any JSON shape is checked before use, and a
wrong one is `path:line: message` (the line of the object at fault), never a traceback."""

from __future__ import annotations

import json
import re

from dockfix.errors import DockfixError

PLAN_SCHEMA_VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_HINT = "make one with `dockfix plan --format json`"


class _Bad(Exception):
    """A shape error at `where` (a key path from the top of the document)."""

    def __init__(self, where: tuple, message: str):
        super().__init__(message)
        self.where = where
        self.message = message


def load(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise DockfixError(f"cannot read plan: {err.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as err:
        raise DockfixError(f"not a JSON plan: not UTF-8 ({err.reason})", path=path,
                           line=raw.count(b"\n", 0, err.start) + 1) from None
    except json.JSONDecodeError as err:
        raise DockfixError(f"not a JSON plan: {err.msg}", path=path, line=err.lineno, col=err.colno) from None
    except RecursionError:
        raise DockfixError("not a JSON plan: nested too deeply", path=path) from None
    try:
        check(data)
    except _Bad as bad:
        raise DockfixError(bad.message, path=path, line=_line_of(text, bad.where), hint=_HINT) from None
    return data


def check(data: object) -> None:
    """Raise _Bad unless `data` has every field `apply --plan` reads, of the right type."""
    if not isinstance(data, dict):
        raise _Bad((), f"not a dockfix plan: the top level is {_kind(data)}, not an object")
    if data.get("schema") != "dockfix-plan":
        raise _Bad((), 'not a dockfix plan: "schema" is not "dockfix-plan"')
    if data.get("version") != PLAN_SCHEMA_VERSION or isinstance(data.get("version"), bool):
        raise _Bad((), f'unsupported plan version {data.get("version")!r} (this dockfix reads {PLAN_SCHEMA_VERSION})')
    option = data.get("option")
    if option is not None and (type(option) is not int or option not in (1, 2, 3)):
        raise _Bad((), f'"option" must be 1, 2, 3 or null, not {option!r}')
    transforms = data.get("transforms")
    if not isinstance(transforms, list) or not all(isinstance(t, str) for t in transforms):
        raise _Bad((), '"transforms" must be a list of transform names')
    changes = data.get("changes")
    if not isinstance(changes, list):
        raise _Bad((), f'"changes" must be a list, not {_kind(changes)}')
    seen: set[str] = set()
    for i, change in enumerate(changes):
        _check_change(i, change, seen)


def _check_change(i: int, change: object, seen: set[str]) -> None:
    where = ("changes", i)
    if not isinstance(change, dict):
        raise _Bad(("changes",), f"changes[{i}] must be an object, not {_kind(change)}")
    for key in ("path", "sha256_before", "sha256_after"):
        if key not in change:
            raise _Bad(where, f'changes[{i}] has no "{key}"')
    path = change["path"]
    if not isinstance(path, str) or not path:
        raise _Bad(where, f'changes[{i}]: "path" must be a non-empty string')
    if path.startswith("/") or ".." in path.split("/"):
        raise _Bad(where, f'changes[{i}]: "path" must stay inside the repository, not {path!r}')
    if path in seen:
        raise _Bad(where, f'changes[{i}]: "{path}" is listed twice')
    seen.add(path)
    before, after = change["sha256_before"], change["sha256_after"]
    if before is not None and not (isinstance(before, str) and _SHA256.match(before)):
        raise _Bad(where, f'changes[{i}]: "sha256_before" must be 64 hex digits or null')
    if not (isinstance(after, str) and _SHA256.match(after)):
        raise _Bad(where, f'changes[{i}]: "sha256_after" must be 64 hex digits')


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _line_of(text: str, where: tuple) -> int:
    """The line where the object at `where` starts (1 for the top level). Read again with a
    decoder that notes where each object and list starts: only on this error path."""
    starts: dict[int, int] = {}

    def parse_object(s_and_end, *args):
        obj, end = json.decoder.JSONObject(s_and_end, *args)
        starts[id(obj)] = s_and_end[1] - 1
        return obj, end

    def parse_array(s_and_end, scan_once):
        arr, end = json.decoder.JSONArray(s_and_end, scan_once)
        starts[id(arr)] = s_and_end[1] - 1
        return arr, end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object
    decoder.parse_array = parse_array
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    node = decoder.decode(text)
    for key in where:
        node = node[key]
    pos = starts.get(id(node))
    return 1 if pos is None else text.count("\n", 0, pos) + 1
