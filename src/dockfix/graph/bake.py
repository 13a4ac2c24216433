"""Targets of `docker buildx bake` files (HCL and JSON), with `matrix` expanded.

A target's attributes are read when they are literal: strings, lists of strings, `args`
maps. A `matrix = { k = ["a", "b"] }` makes one target per combination (bake's rule), its
variables usable as `k`, `"${k}"` in the other attributes. Anything else (variables,
functions, `inherits`, a matrix whose values are not literal lists) is not evaluated: the
attribute is unknown (`UNKNOWN`), never a default and never a list where a string belongs.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

UNKNOWN = object()  # an attribute written in a form this reader does not evaluate
_MAX_COMBINATIONS = 256

_HCL_TARGET = re.compile(r'^\s*target\s+"([^"]+)"\s*\{', re.M)
_ATTR = re.compile(r"[ \t]*(\w+)[ \t]*=[ \t]*")
_INTERP = re.compile(r"\$\{\s*(\w+)\s*\}")


@dataclass(frozen=True)
class BakeTarget:
    name: str | None  # as bake names it: the block's label, or under a matrix its `name` (None: computed)
    spec: dict  # attribute -> str | list[str] | dict[str, str] | UNKNOWN
    line: int | None


def bake_targets(text: str, is_json: bool) -> list[BakeTarget]:
    raw = _json_targets(text) if is_json else _hcl_targets(text)
    by_label = {label: spec for label, spec, _ in raw}
    out: list[BakeTarget] = []
    for label, spec, line in raw:
        out.extend(_expand(label, _inherit(spec, by_label, 0), line))
    return out


def _inherit(spec: dict, by_label: dict[str, dict], depth: int) -> dict:
    """`inherits = ["a", "b"]`: a's attributes, then b's, then the target's own (bake's
    order). A parent not in this file (or a computed list) leaves what it could set unknown."""
    parents = spec.get("inherits")
    if parents is None:
        return dict(spec)
    merged: dict = {}
    known = isinstance(parents, list) and depth < 16 and all(p in by_label for p in parents)
    if known:
        for p in parents:
            merged.update({k: v for k, v in _inherit(by_label[p], by_label, depth + 1).items() if k != "matrix"})
    else:
        merged.update({k: UNKNOWN for k in ("context", "dockerfile", "target", "tags", "args")})
    merged.update({k: v for k, v in spec.items() if k != "inherits"})
    return merged


# -- matrix
def _expand(label: str, spec: dict, line: int | None) -> list[BakeTarget]:
    matrix = spec.pop("matrix", None)
    if matrix is None:
        return [BakeTarget(label, {k: _substitute(v, {}) for k, v in spec.items()}, line)]
    if not _literal_matrix(matrix):
        # The combinations are unknown: every attribute may depend on them.
        return [BakeTarget(label, {k: UNKNOWN for k in (*spec, "context", "dockerfile")}, line)]
    names = sorted(matrix)
    combos = list(itertools.islice(itertools.product(*(matrix[n] for n in names)), _MAX_COMBINATIONS + 1))
    if len(combos) > _MAX_COMBINATIONS:
        return [BakeTarget(label, {k: UNKNOWN for k in (*spec, "context", "dockerfile")}, line)]
    out = []
    for combo in combos:
        values = dict(zip(names, combo))
        inst = {k: _substitute(v, values) for k, v in spec.items()}
        name = inst.pop("name", UNKNOWN)
        out.append(BakeTarget(name if isinstance(name, str) else None, inst, line))
    return out


def _literal_matrix(matrix: object) -> bool:
    return (isinstance(matrix, dict) and bool(matrix)
            and all(isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in matrix.values()))


def _substitute(value: object, values: dict[str, str]) -> object:
    if isinstance(value, _Ref):
        return values.get(value.name, UNKNOWN)
    if isinstance(value, str):
        return _interpolate(value, values)
    if isinstance(value, list):  # an item that is not known is left out (as before matrices)
        items = [_substitute(v, values) for v in value]
        return [v for v in items if isinstance(v, str)]
    if isinstance(value, dict):
        return {k: v for k, v in ((k, _substitute(v, values)) for k, v in value.items()) if isinstance(v, str)}
    return value


def _interpolate(text: str, values: dict[str, str]) -> object:
    if not isinstance(text, _Template):
        return str(text)
    out = _INTERP.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    return UNKNOWN if "${" in out else out


@dataclass(frozen=True)
class _Ref:
    """A bare identifier (`dockerfile = dockerfile`): a matrix variable or an HCL variable."""

    name: str


# -- JSON
def _json_targets(text: str) -> list[tuple[str, dict, int | None]]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    targets = data.get("target") if isinstance(data, dict) else None
    if not isinstance(targets, dict):
        return []
    at = max(text.find('"target"'), 0)  # each target's key is searched after the "target" key
    return [(k, _json_spec(v), _line_of(text, f'"{k}"', at)) for k, v in targets.items() if isinstance(v, dict)]


def _json_spec(raw: dict) -> dict:
    spec: dict = {}
    for key, value in raw.items():
        if key == "matrix":
            spec[key] = value
        elif isinstance(value, str):
            spec[key] = _json_string(value)
        elif isinstance(value, list):
            spec[key] = [_json_string(v) for v in value if isinstance(v, str)]
        elif isinstance(value, dict):
            spec[key] = {k: _json_string(v) for k, v in value.items() if isinstance(v, str)}
        else:
            spec[key] = UNKNOWN
    return spec


def _json_string(value: str) -> str:
    return _Template(value) if "${" in value else value


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    i = text.find(needle, start)
    return None if i < 0 else text.count("\n", 0, i) + 1


# -- HCL
def _hcl_targets(text: str) -> list[tuple[str, dict, int | None]]:
    out = []
    for m in _HCL_TARGET.finditer(text):
        end = _balanced_end(text, m.end() - 1)
        body = text[m.end():end - 1]
        out.append((m.group(1), _hcl_body(body), text.count("\n", 0, m.start(1)) + 1))
    return out


def _hcl_body(body: str) -> dict:
    """The body's top-level `name = value` attributes."""
    spec: dict = {}
    i = 0
    while i < len(body):
        m = _ATTR.match(body, i)
        if m is None:
            j = _skip_line(body, i)
            i = j if j > i else i + 1
            continue
        end = _value_end(body, m.end())
        spec[m.group(1)] = _hcl_value(body[m.end():end].strip())
        i = end
    return spec


def _hcl_value(raw: str) -> object:
    raw = _strip_comment(raw)
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', raw, re.S):
        return _hcl_string(raw[1:-1])
    if raw.startswith("[") and raw.endswith("]"):
        items = [_hcl_string(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', raw)]
        return [s for s in items if isinstance(s, str)] if not _has_expression(raw) else UNKNOWN
    if raw.startswith("{") and raw.endswith("}"):
        return _hcl_map(raw[1:-1])
    if re.fullmatch(r"[A-Za-z_]\w*", raw):
        return _Ref(raw)
    return UNKNOWN


def _has_expression(list_text: str) -> bool:
    """A list item that is not a string literal (a variable, a function call)."""
    rest = re.sub(r'"(?:[^"\\]|\\.)*"', "", list_text[1:-1])
    return bool(re.sub(r"(?m)(#|//).*$", "", rest).replace(",", "").strip())


def _hcl_map(body: str) -> object:
    out: dict = {}
    i = 0
    while i < len(body):
        m = re.compile(r'\s*"?(\w[\w.-]*)"?\s*[=:]\s*').match(body, i)
        if m is None:
            j = _skip_line(body, i)
            i = j if j > i else i + 1
            continue
        end = _value_end(body, m.end(), stop=",")
        out[m.group(1)] = _hcl_value(body[m.end():end].strip().rstrip(","))
        i = end + 1
    return out


def _hcl_string(inner: str) -> object:
    # `${` starts an interpolation; `$${` is a literal `${`.
    if re.search(r"(?<!\$)\$\{", inner):
        return _Template(inner)
    return inner.replace("$${", "${").replace('\\"', '"').replace("\\\\", "\\")


class _Template(str):
    """A string with `${name}` interpolations: known once its names are matrix values."""


def _strip_comment(raw: str) -> str:
    return raw if raw.startswith(('"', "[", "{")) else re.sub(r"\s*(#|//).*$", "", raw)


def _balanced_end(text: str, i: int) -> int:
    """The index after the bracket that closes the one at text[i]."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _string_end(text, i)
            continue
        if c in "#" or text.startswith("//", i):
            i = _skip_line(text, i)
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _value_end(text: str, i: int, stop: str = "") -> int:
    """Where an attribute's value ends: a newline (or `stop`) outside brackets and strings."""
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _string_end(text, i)
        elif c in "{[(":
            i = _balanced_end(text, i)
        elif c == "\n" or c in stop:
            return i
        else:
            i += 1
    return i


def _string_end(text: str, i: int) -> int:
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif text.startswith("${", i):
            i = _balanced_end(text, i + 1)
        elif c == "\n":
            return i  # an unterminated string ends at the line
        else:
            i += 1
    return i


def _skip_line(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j + 1
