"""Build commands in Makefiles and justfiles: the recipe lines, expanded as make and just
expand them before the shell sees them, each run in the file's folder.

Make: variables assigned once with `=` (expanded where used, so `$@` is the target) or
`:=`/`::=` (expanded at once) to text made of known parts are known; `?=`, `+=`, `!=`,
repeated assignments and `$(shell …)` are not (the environment or the command line may
decide). The automatic variables `$@` and `$*`, and the functions `notdir`, `dir`,
`foreach`, `strip` and `subst` are expanded. A pattern rule (`build/%:`) builds the stems
other rules name as prerequisites (`build-all: $(foreach I,$(ALL),build/$(I))`): its recipe
is read once per stem; a stem nothing names is not guessed.

just: `name := "literal"` variables, `{{name}}` interpolation, one shell per recipe line
(a `#!` recipe is one script), run in the justfile's folder unless `[no-cd]` or `set
working-directory` says otherwise (then the directory is unknown). Recipe parameters are
unknown.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from dockfix.graph.scripts import SCRIPT_DIR, UNKNOWN_VAR

_MAKE_ASSIGN = re.compile(r"^(?:export\s+|override\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(::?=|:::=|\?=|\+=|!=|=)\s*(.*)$")
_RULE = re.compile(r"^([^:=#\t][^:=#]*?)\s*::?(?!=)\s*(.*)$")
_MAX_DEPTH = 20  # recursive variables referring to each other: stop, unknown


@dataclass
class _Make:
    """Variables as read so far: a value is (text, recursive); None is unknown."""

    vars: dict[str, tuple[str, bool] | None]

    def expand(self, text: str, auto: dict[str, str] | None = None, depth: int = 0) -> str:
        """make's expansion of `text`; what make would substitute unknowably becomes
        UNKNOWN_VAR, which the shell reader cannot know."""
        if depth > _MAX_DEPTH:
            return UNKNOWN_VAR
        out: list[str] = []
        i = 0
        while i < len(text):
            j = text.find("$", i)
            if j < 0 or j + 1 >= len(text):
                out.append(text[i:])
                break
            out.append(text[i:j])
            ref, i = _reference(text, j)
            out.append(self._value(ref, auto or {}, depth))
        return "".join(out)

    def _value(self, ref: str, auto: dict[str, str], depth: int) -> str:
        if ref == "$":
            return "$"
        if ref in ("@", "*"):
            return auto.get(ref, UNKNOWN_VAR)
        head = ref.split(None, 1)
        if len(head) == 2:  # a variable name has no blank: a function call
            return self._function(head[0], head[1], auto, depth)
        name = self.expand(ref, auto, depth + 1)
        if name == "CURDIR":
            return SCRIPT_DIR
        value = self.vars.get(name)
        if value is None:
            return UNKNOWN_VAR
        text, recursive = value
        return self.expand(text, auto, depth + 1) if recursive else text

    def _function(self, name: str, args: str, auto: dict[str, str], depth: int) -> str:
        if name not in _FUNCTIONS:
            return UNKNOWN_VAR  # $(shell …), $(if …), $(wildcard …): decided when make runs
        if name == "foreach":
            var, words, body = (_split_args(args) + ["", "", ""])[:3]
            var = self.expand(var, auto, depth + 1).strip()
            items = self.expand(words, auto, depth + 1)
            if UNKNOWN_VAR in items:
                return UNKNOWN_VAR
            had, saved = var in self.vars, self.vars.get(var)
            out = []
            for word in items.split():
                self.vars[var] = (word, False)
                out.append(self.expand(body, auto, depth + 1))
            if had:
                self.vars[var] = saved
            else:
                del self.vars[var]
            return " ".join(out)
        parts = [self.expand(a, auto, depth + 1) for a in _split_args(args)]
        if any(UNKNOWN_VAR in p for p in parts):
            return UNKNOWN_VAR
        return _FUNCTIONS[name](parts)

    def assign(self, name: str, op: str, value: str) -> None:
        if op not in ("=", ":=", "::=", ":::=") or name in self.vars:
            self.vars[name] = None  # may be set elsewhere, appended to, or computed
            return
        recursive = op == "="
        text = value if recursive else self.expand(value)
        self.vars[name] = None if UNKNOWN_VAR in text else (text, recursive)


def _reference(text: str, j: int) -> tuple[str, int]:
    """The reference starting at text[j] == "$": (its body, the index after it)."""
    c = text[j + 1]
    if c not in "({":
        return c, j + 2
    close = ")" if c == "(" else "}"
    depth, k = 1, j + 2
    while k < len(text) and depth:
        if text[k] == c:
            depth += 1
        elif text[k] == close:
            depth -= 1
        k += 1
    return text[j + 2:k - 1] if depth == 0 else text[j + 2:], k


def _split_args(args: str) -> list[str]:
    """A function's comma-separated arguments (commas inside nested references stay)."""
    out, depth, start = [], 0, 0
    for k, ch in enumerate(args):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(args[start:k])
            start = k + 1
    out.append(args[start:])
    return [a.lstrip() if i == 0 else a for i, a in enumerate(out)]


_FUNCTIONS = {
    "notdir": lambda a: " ".join(w.rsplit("/", 1)[-1] for w in a[0].split()),
    "dir": lambda a: " ".join((w.rsplit("/", 1)[0] + "/") if "/" in w else "./" for w in a[0].split()),
    "strip": lambda a: " ".join(a[0].split()),
    "subst": lambda a: a[2].replace(a[0], a[1]) if len(a) == 3 else UNKNOWN_VAR,
    "foreach": None,  # handled by _Make._function: it binds a variable
}


@dataclass
class _Rule:
    targets: list[str]
    recipe: list[tuple[int, str]]  # (line, logical recipe line)


def _logical_lines(text: str):
    """(first line number, line) with backslash-newline continuations joined."""
    lines = text.split("\n")
    n = 0
    while n < len(lines):
        start, logical = n + 1, lines[n]
        while logical.endswith("\\") and n + 1 < len(lines):
            n += 1
            logical = logical[:-1] + " " + lines[n].lstrip("\t")
        n += 1
        yield start, logical


def makefile_sites(path: str, text: str, shell) -> list:
    """The build sites of a Makefile's recipes, each line its own shell in its folder."""
    here = posixpath.dirname(path)
    make = _Make({})
    rules: list[_Rule] = []
    named: list[str] = []  # every prerequisite, expanded: the stems pattern rules build
    in_define = False
    for start, logical in _logical_lines(text):
        if in_define or logical.startswith("define "):  # a multi-line variable: not read
            in_define = logical.strip() != "endef"
            continue
        if logical.startswith("\t"):
            if rules:
                rules[-1].recipe.append((start, logical.lstrip("\t").lstrip("@-+ ")))
            continue
        line = logical.split("#", 1)[0].rstrip()
        m = _MAKE_ASSIGN.match(line.strip())
        rule = _RULE.match(line) if m is None else None
        if m is not None:
            make.assign(*m.groups())
        elif rule is not None and not _MAKE_ASSIGN.match(rule.group(2)):  # not `t: VAR = x`
            named += make.expand(rule.group(2)).split()
            rules.append(_Rule(make.expand(rule.group(1)).split(), []))
    sites: list = []
    for rule in rules:
        for auto in _instances(rule.targets, named):
            for start, recipe in rule.recipe:
                sites += shell(make.expand(recipe, auto), here, here, "", {}, lambda k, s=start: s)
    return sites


def _instances(targets: list[str], named: list[str]) -> list[dict[str, str]]:
    """The automatic variables of each run of a rule's recipe: once with `$@` for an
    ordinary rule, once per stem other rules name for a pattern rule."""
    target = targets[0] if targets else ""
    if "%" not in target:
        return [{"@": target}]
    prefix, _, suffix = target.partition("%")
    stems = dict.fromkeys(w[len(prefix):len(w) - len(suffix)] for w in named
                          if w.startswith(prefix) and w.endswith(suffix) and len(w) > len(prefix) + len(suffix)
                          and "%" not in w and UNKNOWN_VAR not in w)
    return [{"@": prefix + s + suffix, "*": s} for s in stems]


# -- justfiles
_JUST_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*(.*)$")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][A-Za-z0-9_-]*)([^:]*):(?!=)")
_JUST_STRING = re.compile(r"""^(?:"((?:[^"\\]|\\.)*)"|'([^']*)')$""")
_JUST_INTERP = re.compile(r"\{\{(.*?)\}\}")


@dataclass
class _JustRecipe:
    lines: list[tuple[int, str]]
    params: frozenset[str]
    no_cd: bool


@dataclass
class _JustFile:
    """What a justfile's lines say, read in order."""

    here: str
    values: dict[str, str | None]
    recipes: list[_JustRecipe]
    cwd: str | None
    why: str = ""
    no_cd: bool = False  # an attribute line applies to the next recipe

    def header(self, line: str) -> _JustRecipe | None:
        """Read a line outside a recipe body; the recipe it starts, if any."""
        if line.startswith("["):
            self.no_cd = self.no_cd or "no-cd" in line
        elif line.startswith("set ") and "working-directory" in line:
            self.cwd, self.why = None, "the justfile sets working-directory"
        elif (m := _JUST_ASSIGN.match(line)) is not None:
            self.values[m.group(1)] = None if m.group(1) in self.values else _just_string(m.group(2))
        elif (r := _JUST_RECIPE.match(line)) is not None:
            params = frozenset(p.lstrip("+*$").split("=")[0] for p in r.group(2).split())
            self.recipes.append(_JustRecipe([], params, self.no_cd))
            self.no_cd = False
            return self.recipes[-1]
        return None

    def sites(self, shell) -> list:
        out: list = []
        for rec in self.recipes:
            if not rec.lines:
                continue
            cwd, why = (None, "the recipe is [no-cd]: it runs where just is started") if rec.no_cd else (self.cwd, self.why)
            out += _just_recipe(rec.lines, self.values, rec.params, self.here, cwd, why, shell)
        return out


def justfile_sites(path: str, text: str, shell) -> list:
    """The build sites of a justfile's recipes."""
    here = posixpath.dirname(path)
    just = _JustFile(here, {}, [], here)
    current: _JustRecipe | None = None
    for start, logical in _logical_lines(text):
        if logical[:1] in (" ", "\t") and current is not None:
            if logical.strip():
                current.lines.append((start, logical.strip()))
            continue
        line = logical.split("#", 1)[0].rstrip()
        current = just.header(line) if line.strip() else None
    return just.sites(shell)


def _just_string(raw: str) -> str | None:
    """A quoted literal's text; None for anything else (backticks, calls, concatenation)."""
    lit = _JUST_STRING.match(raw.strip())
    if lit is None:
        return None
    return lit.group(1) if lit.group(1) is not None else lit.group(2)


def _just_recipe(lines: list[tuple[int, str]], values: dict[str, str | None], params: frozenset[str], here: str,
                 cwd: str | None, why: str, shell) -> list:
    def interp(text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            value = None if name in params else values.get(name)
            return UNKNOWN_VAR if value is None or "{{" in value else value
        return _JUST_INTERP.sub(sub, text)

    if lines[0][1].startswith("#!"):  # a shebang recipe: one script
        first = lines[0][0]
        body = "\n".join(interp(t) for _, t in lines[1:])
        return shell(body, here, cwd, why, {}, lambda k, f=first: f + k)
    out: list = []
    for start, text in lines:
        out += shell(interp(text.lstrip("@-")), here, cwd, why, {}, lambda k, s=start: s)
    return out
