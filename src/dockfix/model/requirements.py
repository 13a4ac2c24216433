"""Requirement files and requirement specifiers, read with pip's own rules
(pip `src/pip/_internal/req/req_file.py`).

Lines are joined at a trailing backslash (not after a comment), comments run from `#` at the
start of a line or after whitespace, `${NAME}` (upper case, digits, `_`) is expanded from the
environment and left as written when unset or empty. A line is split into requirement words
and options at the first space-separated token that starts with `-`; the options are read with
pip's requirement-file option table. `-r`/`-c` paths resolve against the including file's
directory. A line pip would refuse, or whose value depends on an unknown variable, is an
entry of kind UNKNOWN, never dropped. Tested against pip's own `parse_requirements`.
"""

from __future__ import annotations

import enum
import functools
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from dockfix.memo import Memo
from dockfix.model.argv import UNKNOWN, Grammar, ParsedOption, Value, effective, read_options
from dockfix.model.pip_options import REQUIREMENT_FILE

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_SCHEME = re.compile(r"^(http|https|file):", re.I)
_NAME = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)", re.S)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_SPACES = re.compile(r"\s+")
_ARCHIVE = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")


class RequirementKind(enum.Enum):
    NAMED = "named"  # name[extras] specifier ; marker, or name @ url
    PATH = "path"  # a local directory or archive
    URL = "url"  # a URL (git+https://…, https://…/x.whl)
    UNKNOWN = "unknown"  # not a requirement pip can read, or an unknown word


class Requirement(NamedTuple):
    """A NamedTuple: two of them for each pip command of a 40,000-RUN file, and a frozen
    dataclass takes several times as long to make."""

    text: str  # as written
    kind: RequirementKind
    name: str | None = None  # PEP 503 normalised: "Django_Rest.Framework" -> "django-rest-framework"
    extras: tuple[str, ...] = ()
    specifier: str = ""  # version specifier text as written, spaces removed: ">=1.0,<2"
    marker: str = ""
    url: str = ""

    def normalised(self) -> str:
        """name[extras]specifier;marker, as the prover compares requirement lines."""
        if self.name is None:
            return _SPACES.sub("", self.text).lower()
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        tail = f"@{self.url}" if self.url else self.specifier
        marker = ";" + _SPACES.sub("", self.marker) if self.marker else ""
        return f"{self.name}{extras}{tail}{marker}"


_NAME_SEPARATORS = re.compile(r"[-_.]+")


def normalise_name(name: str) -> str:
    """PEP 503. Without `_`, `.` or `--` the substitution changes nothing: most names are
    read without it (tests/model/test_packages.py compares the two)."""
    if "_" not in name and "." not in name and "--" not in name:
        return name.lower()
    return _NAME_SEPARATORS.sub("-", name).lower()


# `name` or `name<op>version` with nothing else: most specifiers on a command line.
_SIMPLE = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)((?:===?|[<>]=?|~=|!=)[A-Za-z0-9.*+!_-]+)?")


def normalised_requirement(text: str) -> str:
    """`parse_requirement(text).normalised()`, for a plain name or one version clause without
    making the Requirement (the prover normalises every argument of every pip command; tested
    against the parse on generated specifiers)."""
    m = _SIMPLE.fullmatch(text)
    if m is None or text.endswith(_ARCHIVE):  # `x.zip` is a path to pip
        return parse_requirement(text).normalised()
    return normalise_name(m.group(1)) + (m.group(2) or "")


@functools.lru_cache(maxsize=1 << 17)  # the two requirements of each of 40,000 pip RUNs, read twice
def parse_requirement(text: str | None) -> Requirement:
    """One requirement specifier (a command-line argument or a requirement file's words)."""
    if text is None:
        return Requirement("", RequirementKind.UNKNOWN)
    stripped = text.strip()
    if _URL.match(stripped):
        egg = _EGG.search(stripped)
        return Requirement(text, RequirementKind.URL, normalise_name(egg.group(1)) if egg else None, url=stripped)
    m = _NAME.fullmatch(stripped)
    named_url = m is not None and m.group(3).startswith("@")
    if not named_url and (stripped.startswith((".", "/", "~")) or stripped.endswith(_ARCHIVE) or "/" in stripped):
        return Requirement(text, RequirementKind.PATH, url=stripped)
    if not m:
        return Requirement(text, RequirementKind.UNKNOWN)
    return _named(text, *m.groups())


def _named(text: str, name: str, extras: str | None, rest: str) -> Requirement:
    extras_t = tuple(sorted(e.strip().lower() for e in extras.split(",") if e.strip())) if extras else ()
    spec, _, marker = rest.partition(";")
    spec = spec.strip()
    if spec.startswith("@"):
        return Requirement(text, RequirementKind.NAMED, normalise_name(name), extras_t, "", marker.strip(),
                           spec[1:].strip())
    if spec and not spec.startswith(("<", ">", "=", "!", "~", "(")):
        return Requirement(text, RequirementKind.UNKNOWN)
    return Requirement(text, RequirementKind.NAMED, normalise_name(name), extras_t,
                       _SPACES.sub("", spec.strip("()")), marker.strip())


class EntryKind(enum.Enum):
    REQUIREMENT = "requirement"
    EDITABLE = "editable"  # -e path-or-url
    INCLUDE = "include"  # -r file: its requirements are installed
    CONSTRAINT = "constraint"  # -c file: its lines only constrain
    OPTION = "option"  # --index-url, --extra-index-url, --find-links, --pre, … on a line of their own
    UNKNOWN = "unknown"  # a line pip refuses, or one that depends on an unknown variable


@dataclass(frozen=True)
class ReqFileEntry:
    line: int  # the first physical line of the logical line
    kind: EntryKind
    text: str  # the logical line after joining, comment removal and ${VAR} expansion
    requirement: Requirement | None = None  # REQUIREMENT, EDITABLE
    options: tuple[ParsedOption, ...] = ()  # --hash/--config-settings of a requirement; an OPTION line's options
    path: str | None = None  # INCLUDE/CONSTRAINT: resolved against the including file (a URL stays as written)
    reason: str = ""  # UNKNOWN: why


@dataclass(frozen=True)
class ReqFile:
    path: str
    entries: tuple[ReqFileEntry, ...]
    constraint: bool = False  # read as a constraint file (-c)

    def of(self, *kinds: EntryKind) -> tuple[ReqFileEntry, ...]:
        return tuple(e for e in self.entries if e.kind in kinds)

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(e.requirement for e in self.entries if e.requirement is not None)

    @property
    def includes(self) -> tuple[str, ...]:
        return tuple(e.path for e in self.of(EntryKind.INCLUDE) if e.path is not None)

    @property
    def constraints(self) -> tuple[str, ...]:
        return tuple(e.path for e in self.of(EntryKind.CONSTRAINT) if e.path is not None)

    @property
    def unknown(self) -> tuple[ReqFileEntry, ...]:
        return self.of(EntryKind.UNKNOWN)

    def value(self, dest: str) -> Value | tuple[Value, ...] | None:
        """A file-wide option's value (index_url, extra_index_urls, find_links, pre, …)."""
        return effective([o for e in self.of(EntryKind.OPTION) for o in e.options], dest)


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's join_lines then ignore_comments: (first line number, stripped text)."""
    start: int | None = None
    joined: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.endswith("\\") or _COMMENT.match(line):
            if _COMMENT.match(line):
                line = " " + line  # so the comment is removed after joining
            if joined:
                joined.append(line)
                yield from _uncommented(start or number, "".join(joined))
                joined = []
            else:
                yield from _uncommented(number, line)
        else:
            if not joined:
                start = number
            joined.append(line.strip("\\"))
    if joined:
        yield from _uncommented(start or 1, "".join(joined))


def _uncommented(number: int, line: str) -> Iterator[tuple[int, str]]:
    line = _COMMENT.sub("", line).strip()
    if line:
        yield number, line


def _expand(line: str, env: Mapping[str, str | None]) -> str | None:
    """pip's expand_env_variables; None when a variable's value is unknown."""
    for name in _ENV_VAR.findall(line):
        if name not in env:
            continue
        value = env[name]
        if value is None:
            return None
        if value:
            line = line.replace(f"${{{name}}}", value)
    return line


def parse_requirements_text(text: str, path: str, env: Mapping[str, str | None] | None = None,
                            constraint: bool = False) -> ReqFile:
    """Read one requirement file's text; `path` is where pip reads it (an image path), for
    resolving its `-r`/`-c` includes. Includes are not followed here: the caller reads them."""
    env = env or {}
    used = tuple((name, env.get(name, _UNSET)) for name in sorted(set(_ENV_VAR.findall(text))))
    key = (text, path, used, constraint)
    if key not in _FILES:
        _FILES.put(key, _parse_requirements_text(text, path, env, constraint))
    return _FILES[key]


_UNSET = object()
_FILES: Memo = Memo(5_000)  # the before and after models read the same files


def _parse_requirements_text(text: str, path: str, env: Mapping[str, str | None], constraint: bool) -> ReqFile:
    entries = []
    for number, raw in logical_lines(text):
        line = _expand(raw, env)
        if line is None:
            entries.append(ReqFileEntry(number, EntryKind.UNKNOWN, raw, reason="a ${VAR} it uses is unknown"))
            continue
        entries.append(_entry(number, line, path))
    return ReqFile(path, tuple(entries), constraint)


def _split(line: str) -> tuple[str, str]:
    """pip's break_args_options: requirement words up to the first token that starts with `-`."""
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return line, ""


def _entry(number: int, line: str, path: str) -> ReqFileEntry:
    args, options_text = _split(line)
    try:
        words = shlex.split(options_text)
    except ValueError:
        return ReqFileEntry(number, EntryKind.UNKNOWN, line, reason="its options do not split (quotes)")
    parsed = read_options(words, REQUIREMENT_FILE, Grammar.OPTPARSE)
    if parsed.unknowns:
        return ReqFileEntry(number, EntryKind.UNKNOWN, line, reason="; ".join(parsed.unknowns) + ": pip fails")
    opts = parsed.options
    editables = [o.value for o in opts if o.dest == "editables"]
    if args:  # pip: the words are the requirement, editable when the line also has an -e
        kind = EntryKind.EDITABLE if editables else EntryKind.REQUIREMENT
        dests = ("config_settings",) if editables else ("hashes", "config_settings")
        return ReqFileEntry(number, kind, line, parse_requirement(args), tuple(o for o in opts if o.dest in dests))
    if editables:  # pip reads one -e per line, the first
        settings = tuple(o for o in opts if o.dest == "config_settings")
        return ReqFileEntry(number, EntryKind.EDITABLE, line, parse_requirement(str(editables[0])), settings)
    included = _included(opts, path)
    if included is not None:
        kind, target = included
        return ReqFileEntry(number, kind, line, path=target)
    return ReqFileEntry(number, EntryKind.OPTION, line, options=opts)


def _included(opts: tuple[ParsedOption, ...], path: str) -> tuple[EntryKind, str] | None:
    """pip's _parse_and_recurse: the first -r of the line, else its first -c."""
    for dest, kind in (("requirements", EntryKind.INCLUDE), ("constraints", EntryKind.CONSTRAINT)):
        values = [o.value for o in opts if o.dest == dest]
        if values and values[0] is not UNKNOWN:
            return kind, resolve_include(path, str(values[0]))
    return None


def resolve_include(including: str, target: str) -> str:
    """An -r/-c path as pip opens it: a URL as written, else joined to the including file's directory."""
    if _SCHEME.search(target):
        return target
    if _SCHEME.search(including):
        return posixpath.join(posixpath.dirname(including), target)
    return posixpath.normpath(posixpath.join(posixpath.dirname(including), target))
