"""What the prover reads from Python sources, with libcst (imported here only, on first use):
module-level constants (UPPER_CASE names bound to literals) and top-level names (for
`module:attr` entry points)."""

from __future__ import annotations

import hashlib
import re

_UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_cache: dict[str, tuple[dict[str, str], frozenset[str]]] = {}


def read_module(source: bytes) -> tuple[dict[str, str], frozenset[str]]:
    """(constants name -> normalised literal, top-level names). Unparsable sources give
    ({"<unparsable module>": digest}, {}) so that a change is still seen."""
    key = hashlib.sha256(source).hexdigest()
    if key in _cache:
        return _cache[key]
    import libcst as cst

    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, UnicodeDecodeError, ValueError):
        result = ({"<unparsable module>": key}, frozenset())
        _cache[key] = result
        return result
    constants: dict[str, str] = {}
    names: set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            names.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                _read_statement(module, small, constants, names)
    result = (constants, frozenset(names))
    _cache[key] = result
    return result


def _read_statement(module, small, constants: dict[str, str], names: set[str]) -> None:
    """One simple statement at the top level: the names it binds, and the constants."""
    import libcst as cst

    if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
        names.update(_imported(module, small))
        return
    if isinstance(small, cst.Assign):
        targets, value = [t.target for t in small.targets], small.value
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        targets, value = [small.target], small.value
    else:
        return
    for t in targets:
        if isinstance(t, cst.Name):
            names.add(t.value)
            if _UPPER.match(t.value) and _is_literal(value):
                constants[t.value] = _normalise(module.code_for_node(value))


def _imported(module, small) -> list[str]:
    """The names an import binds (`import a.b` binds `a`)."""
    import libcst as cst

    out = []
    for alias in small.names:
        n = alias.asname.name if alias.asname else alias.name
        if isinstance(n, cst.Name):
            out.append(n.value)
        elif isinstance(n, cst.Attribute):
            out.append(module.code_for_node(n).split(".")[0])
    return out


def _is_literal(node) -> bool:
    import libcst as cst

    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation):
        return _is_literal(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _is_literal(node.left) and _is_literal(node.right)
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return all(_is_literal(e.value) for e in node.elements)
    if isinstance(node, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _is_literal(e.key) and _is_literal(e.value)
                   for e in node.elements)
    return False


def _normalise(code: str) -> str:
    """Literal source without formatting differences (whitespace, trailing commas)."""
    import ast

    try:
        return repr(ast.literal_eval(code))
    except (ValueError, SyntaxError):
        return re.sub(r"\s+", "", code)


def code_of(source: bytes) -> str:
    """A module's code as Python reads it: the dump of its syntax tree (stdlib `ast`, no
    positions), so comments and layout do not count and every statement does (`+=`, `if`,
    `globals()[…]`, `del`, …). An unparsable source is its bytes' digest."""
    import ast

    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return "<unparsable module> " + hashlib.sha256(source).hexdigest()
