"""What one COPY or ADD puts in an image, by BuildKit's rules.

Read from BuildKit's `dockerfile2llb` (`dispatchCopy`), its file op (`solver/llbsolver/file`)
and fsutil's copier (`copy.Copy`, `prepareTargetDir`, `ResolveWildcards`):

- A source is a path in the build context after the ignore file; a leading `/` and `..` stay
  inside the context. A directory source copies its contents, not itself.
- A source with `*`, `?` or `[` is a wildcard: the part after the last static directory is
  matched with Go's `filepath.Match` (`*` and `?` never cross `/`, `[^x]` negates, `[!x]` is the
  class of `!` and `x`, `\\` escapes; no `**`). A wildcard that matches nothing is allowed
  (`AllowEmptyWildcard`) when the directories before it are there (fsutil walks them: when
  they are absent or ignored, the build fails); a plain source that does not exist fails.
- The destination, joined to WORKDIR when relative, is a directory when it is `.`, empty or ends
  in `/`, or when it already exists as a directory in the image; then a file lands inside it
  under its own name. Otherwise a single file takes the destination's name. Several files into a
  destination that is not a directory: the classic builder fails, BuildKit copies one over the
  other, buildah makes a directory. The model says unknown.
- `--from`: an earlier stage's files (those a RUN made are unknown, not missing), or an image
  whose files are unknown. `--chown` (numeric `uid[:gid]`, a lone uid is also the gid; names are
  resolved in the image's /etc/passwd, so their numbers are unknown), `--chmod` (octal),
  `--exclude` (patternmatcher patterns, as .dockerignore), `--parents` (keeps the source's path
  below the context, or below a `/./` pivot), `--link` (the same files, another layer shape).
- ADD: an http(s) URL lands under the last segment of its path (`__unnamed__` without one),
  content unknown; a git source's files are unknown; a local tar archive (plain, gzip, bzip2,
  xz: detected by content, not by name) is extracted into the destination directory.
- A heredoc (`COPY <<EOF /x`) is a file named after its delimiter.

Everything here is pure: the caller gives the context listing, what the image holds, and a way
to read a context file (for archives). Results are frozen values; the prover keeps its own memo.
"""

from __future__ import annotations

import bisect
import io
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from dockfix.graph.dockerignore import EMPTY, DockerIgnore, clean
from dockfix.tree import below, listed, named


class Origin(Enum):
    CONTEXT = "context"  # a build-context file; `source` is its context-relative path
    ARCHIVE = "archive"  # a member of a local archive ADD extracted; `source` is "archive!member"
    HEREDOC = "heredoc"  # `source` is the delimiter
    URL = "url"  # ADD of an http(s) URL: the name is known, the content is not
    STAGE = "stage"  # a file of another stage; `source` is that stage's origin text


class EntryType(Enum):
    FILE = "file"
    SYMLINK = "symlink"


class FailureKind(Enum):
    MISSING_SOURCE = "copy-missing-source"
    EXCLUDED_SOURCE = "copy-excluded-source"
    INVALID = "copy-invalid"  # BuildKit rejects the instruction itself (a URL in COPY, bad --chmod)


class PathKind(Enum):
    """What a path of the image is before the step."""

    ABSENT = "absent"
    FILE = "file"
    DIRECTORY = "directory"
    # A directory or not, the model cannot tell: a path of a base image it does not list, or
    # one a RUN it cannot read may have made. A single file lands in it or as it.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Owner:
    text: str  # the --chown value as written (expanded)
    uid: int | None  # None: a name, resolved by the image's /etc/passwd
    gid: int | None


@dataclass(frozen=True)
class Landed:
    path: str  # image path
    origin: Origin
    source: str
    type: EntryType = EntryType.FILE
    owner: Owner | None = None  # None: root (0:0)
    mode: int | None = None  # --chmod; None: the source's own mode
    # One of a single file's two places when its destination may be a directory (PathKind.
    # UNKNOWN): inside it, or as it. The file is at one of them, with the same content.
    alternative: bool = False


@dataclass(frozen=True)
class Unknown:
    """Files land at or below `path` (or, when `also` is set, below `also`: a source that may be
    a file lands at `path`, one that may be a directory puts its contents below `also`), but which
    and with what content cannot be read."""

    path: str
    source: str
    reason: str
    owner: Owner | None = None
    partial: bool = False  # some files below `path` are known (listed beside it); more may land
    also: str = ""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    source: str
    message: str
    pattern: str = ""  # the ignore file's deciding pattern, as written
    pattern_line: int = 0


@dataclass(frozen=True)
class CopyResult:
    landed: tuple[Landed, ...] = ()
    unknown: tuple[Unknown, ...] = ()
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class CopySpec:
    """One COPY/ADD with its words expanded (ARG/ENV)."""

    keyword: str  # "COPY" | "ADD"
    sources: tuple[str, ...]  # heredoc sources as "<<NAME"
    dest: str
    heredocs: tuple[tuple[str, str], ...] = ()  # (name, content)
    from_: str | None = None
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    excludes: tuple[str, ...] = ()
    parents: bool = False
    unpack: bool | None = None  # ADD --unpack; None: BuildKit's default (local archives only)

    @classmethod
    def of(cls, ins, expand: Callable[[str], str] = lambda s: s) -> "CopySpec | None":
        """From a parsed `Instruction`; None when it has no destination (BuildKit rejects it)."""
        words = [expand(w) for w in ins.value]
        if len(words) < 2 and not (ins.heredocs and words):
            return None
        heredocs = tuple((h.name, h.content) for h in ins.heredocs)
        if not ins.flags:  # the common case: nothing to look up
            return cls(ins.keyword, tuple(words[:-1]), words[-1], heredocs)
        flag = ins.flag

        def opt(name: str) -> str | None:
            v = flag(name)
            return None if v is None else expand(v)

        unpack = opt("unpack")
        return cls(ins.keyword, tuple(words[:-1]), words[-1], heredocs, opt("from"), opt("chown"), opt("chmod"),
                   flag("link") not in (None, "false"), tuple(expand(v) for v in ins.flag_values("exclude")),
                   flag("parents") not in (None, "false"), None if unpack is None else unpack != "false")


@dataclass(frozen=True)
class BuildContext:
    """A build context as BuildKit receives it."""

    files: Sequence[str]  # sorted relative paths after the ignore file (symlinks included)
    all_files: Sequence[str] = ()  # sorted, before the ignore file: tells excluded from missing
    ignore: DockerIgnore = EMPTY
    ignore_path: str = ""  # for messages
    symlinks: frozenset[str] = frozenset()
    read: Callable[[str], bytes] | None = None  # a context file's bytes (archives); None: unknown
    # Why a path the listing lacks may still be there (None: it is not): VCS directories the
    # listing skips, files CI makes (.gitignore), empty directories.
    unlisted: Callable[[str], str | None] = field(default=lambda path: None)


@dataclass(frozen=True)
class StageFiles:
    """The files of the stage `--from` names: path -> origin text."""

    files: dict[str, str]
    complete: bool  # False: a RUN or a base image may have made files not listed here
    name: str = ""

    @cached_property
    def paths(self) -> list[str]:
        return sorted(self.files)


# -- Go's filepath.Match -------------------------------------------------------------------
_GLOB_CACHE: dict[str, re.Pattern[str] | None] = {}


def has_wildcards(path: str) -> bool:
    """BuildKit's containsWildcards: `*`, `?` or `[` not escaped by a backslash."""
    i = 0
    while i < len(path):
        if path[i] == "\\":
            i += 2
            continue
        if path[i] in "*?[":
            return True
        i += 1
    return False


def go_match(pattern: str, name: str) -> bool:
    """filepath.Match(pattern, name); a malformed pattern matches nothing (BuildKit ignores
    the error of the walk's Match)."""
    rx = _GLOB_CACHE.get(pattern)
    if rx is None and pattern not in _GLOB_CACHE:
        rx = _GLOB_CACHE[pattern] = _go_regex(pattern)
    return rx is not None and rx.fullmatch(name) is not None


def _go_regex(pattern: str) -> re.Pattern[str] | None:
    out, i, n = [], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 >= n:
                return None
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            cls, i = _go_class(pattern, i + 1)
            if cls is None:
                return None
            out.append(cls)
            continue
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _go_class(pattern: str, i: int) -> tuple[str | None, int]:
    """A `[...]` class starting after `[`: (regex, index after `]`). Go negates with `^` only;
    `-` and `]` must be escaped inside a class."""
    n = len(pattern)
    negate = i < n and pattern[i] == "^"
    i += negate
    parts: list[str] = []
    while True:
        if i < n and pattern[i] == "]" and parts:
            return ("[^" if negate else "[") + "".join(parts) + "]", i + 1
        lo, i = _go_esc(pattern, i)
        if lo is None:
            return None, i
        if i < n and pattern[i] == "-":
            hi, i = _go_esc(pattern, i + 1)
            if hi is None or hi < lo:
                return None, i
            parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            parts.append(re.escape(lo))


def _go_esc(pattern: str, i: int) -> tuple[str | None, int]:
    """Go's getEsc: one class character, `\\` escaping the next."""
    if i >= len(pattern) or pattern[i] in "-]":
        return None, i
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            return None, i
    return pattern[i], i + 1


# -- sources in the context ----------------------------------------------------------------
@dataclass(frozen=True)
class _Item:
    """One matched context source: a file, or a directory whose contents are copied."""

    path: str  # context-relative; "" is the context root
    is_dir: bool
    kept: str = ""  # --parents: the part of `path` kept below the destination


def _context_path(src: str) -> str:
    """BuildKit normalises a source against "/": a leading "/" and ".." stay in the context."""
    return clean("/" + src).lstrip("/")


def _has_below(files: Sequence[str], path: str) -> bool:
    i = bisect.bisect_left(files, path + "/")
    return i < len(files) and files[i].startswith(path + "/")


def _below(files: Sequence[str], path: str) -> Sequence[str]:
    return files if path == "" else below(files, path)


def _wildcard_base(src: str) -> str:
    """fsutil splitWildcards: the static directories before the first wildcard."""
    parts = _context_path(src).split("/")
    return "/".join(parts[:next(i for i, p in enumerate(parts) if has_wildcards(p))])


def _wildcard_items(files: Sequence[str], src: str) -> list[_Item]:
    """fsutil ResolveWildcards: the static leading directories, then every path of the same
    depth below them whose rest matches (a matching directory is not descended)."""
    parts = _context_path(src).split("/")
    cut = next(i for i, p in enumerate(parts) if has_wildcards(p))
    base, rest = "/".join(parts[:cut]), "/".join(parts[cut:])
    depth = len(parts) - cut
    skip = len(base) + 1 if base else 0
    found: dict[str, bool] = {}
    for f in _below(files, base):
        segs = f[skip:].split("/")
        if len(segs) < depth:
            continue
        rel = "/".join(segs[:depth])
        if rel not in found and go_match(rest, rel):
            found[rel] = len(segs) > depth
    return [_Item(f"{base}/{r}" if base else r, d) for r, d in sorted(found.items())]


def _plain_item(files: Sequence[str], p: str) -> _Item | None:
    if p == "":
        return _Item("", True)
    if listed(files, p):
        return _Item(p, False)
    return _Item(p, True) if _has_below(files, p) else None


# -- destinations ------------------------------------------------------------------------
def names_a_directory(dest: str) -> bool:
    """dispatchCopy: ".", "" and a trailing "/" make the destination a directory."""
    return dest in (".", "") or dest.endswith("/")


def destination(dest: str, workdir: str) -> str:
    """The image path of a destination: relative ones are joined to WORKDIR."""
    return posixpath.normpath(posixpath.join(workdir or "/", dest))


def owner_of(chown: str | None) -> Owner | None:
    """--chown: `uid[:gid]` numbers are known (a lone uid is also the gid); names are not."""
    if chown is None or chown == "":
        return None
    user, _, group = chown.partition(":")
    uid = int(user) if user.isdigit() else None
    gid = (int(group) if group.isdigit() else None) if group else uid
    return Owner(chown, uid, gid)


def mode_of(chmod: str | None) -> tuple[int | None, str]:
    """(mode, error): BuildKit parses --chmod as octal up to 07777."""
    if chmod is None or chmod == "":
        return None, ""
    try:
        mode = int(chmod, 8)
    except ValueError:
        return None, f"--chmod={chmod}: not an octal mode (symbolic modes need a newer frontend)"
    if mode > 0o7777:
        return None, f"--chmod={chmod}: out of range (0 to 07777)"
    return mode, ""


def is_remote(src: str) -> bool:
    """An http(s) URL or a git source: ADD fetches it, COPY rejects it."""
    return is_git(src) or src.startswith(("http://", "https://"))


def is_git(src: str) -> bool:
    """The shapes dfgitutil.ParseGitRef takes for a git source."""
    if src.startswith(("git@", "git://", "ssh://")):
        return True
    if src.startswith(("http://", "https://")):
        return src.split("#", 1)[0].split("?", 1)[0].endswith(".git")
    return False


def url_name(src: str) -> str:
    """The file name ADD gives a URL's download: the last segment of its path."""
    path = src.split("#", 1)[0].split("?", 1)[0].split("://", 1)[-1].partition("/")[2]
    name = posixpath.basename(path.rstrip("/")) if path.strip("/") else ""
    return name if name not in ("", ".", "..") else "__unnamed__"


# -- the step ------------------------------------------------------------------------------
class _Step:
    """One COPY/ADD being resolved: its inputs and what it found so far."""

    def __init__(self, spec: CopySpec, workdir: str, context: BuildContext | None,
                 dest_kind: Callable[[str], PathKind]):
        self.spec, self.context = spec, context
        self.dest = destination(spec.dest, workdir)
        self.dest_kind = dest_kind(self.dest)
        self.into = names_a_directory(spec.dest) or self.dest_kind is PathKind.DIRECTORY
        self.landed: dict[str, Landed] = {}
        self.unknown: list[Unknown] = []
        self.failures: list[Failure] = []
        self.owner = owner_of(spec.chown)
        self.mode, error = mode_of(spec.chmod)
        if error:
            self.fail(FailureKind.INVALID, spec.chmod or "", error)
        self.exclude = DockerIgnore.parse("\n".join(spec.excludes).encode()) if spec.excludes else None

    def target(self, name: str) -> str:
        """Where a single file called `name` lands."""
        return posixpath.join(self.dest, name) if self.into else self.dest

    def land(self, path: str, origin: Origin, source: str, kind: EntryType = EntryType.FILE,
             alternative: bool = False) -> None:
        path = posixpath.normpath(path)
        self.landed[path] = Landed(path, origin, source, kind, self.owner, self.mode, alternative)

    def land_single(self, name: str, origin: Origin, source: str, kind: EntryType = EntryType.FILE) -> None:
        """A single file called `name`; into a destination that may be a directory, at both of
        its places (`Landed.alternative`)."""
        if self.dest_kind is PathKind.UNKNOWN and not self.into:
            self.land(posixpath.join(self.dest, name), origin, source, kind, alternative=True)
            self.land(self.dest, origin, source, kind, alternative=True)
        else:
            self.land(self.target(name), origin, source, kind)

    def unknown_at(self, path: str, source: str, reason: str, partial: bool = False) -> None:
        self.unknown.append(Unknown(posixpath.normpath(path), source, reason, self.owner, partial))

    def unknown_source(self, name: str, source: str, reason: str) -> None:
        """A source whose type is not known: a file would land at target(name), a directory's
        contents below the destination."""
        if self.into or self.dest_kind is PathKind.UNKNOWN:
            self.unknown.append(Unknown(posixpath.join(self.dest, name), source, reason, self.owner, also=self.dest))
        else:
            self.unknown_at(self.dest, source, reason)

    def fail(self, kind: FailureKind, source: str, message: str, pattern: str = "", line: int = 0) -> None:
        self.failures.append(Failure(kind, source, message, pattern, line))

    def result(self) -> CopyResult:
        return CopyResult(tuple(self.landed.values()), tuple(self.unknown), tuple(self.failures))


def copy_result(spec: CopySpec, workdir: str, context: BuildContext | None,
                dest_kind: Callable[[str], PathKind] = lambda path: PathKind.ABSENT,
                stage: StageFiles | None = None) -> CopyResult:
    """What `spec` puts in the image.

    `workdir`: the WORKDIR in force; `context`: the build context (None: not known);
    `dest_kind`: what an image path is before the step (a directory there takes a single file
    inside it); `stage`: with `--from`, the files of the stage it names (None: an image whose
    files are unknown)."""
    step = _Step(spec, workdir, context, dest_kind)
    if spec.from_ is not None:
        _from_stage(step, stage)
        return step.result()
    items: list = _heredocs(spec) + _remote(step)
    local = [s for s in spec.sources if not s.startswith("<<") and not is_remote(s)]
    if local and context is None:
        step.unknown_at(step.dest, " ".join(local), "the build context is not known")
        return step.result()
    for src in local:
        items += _local(step, src)
    _place(step, items)
    return step.result()


# A destination of the probe below: a directory no step names, so that every source lands
# under its own name (extracted or not) and nothing the image holds is in the way.
_ANY_DEST = "/.dockfix-any-destination/"


def add_unlike_copy(spec: CopySpec, context: BuildContext) -> str | None:
    """Why this ADD may land other files than the same step written COPY, whatever its
    destination, --chown and --chmod are; None when it lands the same ones.

    For local sources BuildKit's ADD differs from COPY only in extracting a source file that
    is a local tar (`_place_file`): the destination, the owner and the mode act on both alike.
    So the two are read with a directory of their own as destination and without those two
    flags: a caller that cannot read those words still knows ADD is COPY when every source is
    a context path the model reads exactly and none is an archive."""
    if spec.from_ is not None or spec.unpack is not None or spec.heredocs:
        return "a flag or a heredoc that COPY does not share"
    if any(is_remote(s) for s in spec.sources):
        return "a source is a URL or a git repository"
    probe = CopySpec("ADD", spec.sources, _ANY_DEST, link=spec.link, excludes=spec.excludes, parents=spec.parents)
    add = copy_result(probe, "/", context)
    if add.unknown:
        return f"not read exactly: {add.unknown[0].reason}"
    if add.failures:
        return f"the ADD fails: {add.failures[0].message}"
    copy = copy_result(CopySpec("COPY", spec.sources, _ANY_DEST, link=spec.link, excludes=spec.excludes,
                                parents=spec.parents), "/", context)
    return "a source is an archive ADD extracts" if copy != add else None


def _heredoc_name(word: str) -> str:
    return word[2:].lstrip("-").strip("'\"")


def _heredocs(spec: CopySpec) -> list[tuple[str, Origin, str]]:
    """(file name, origin, source) of each heredoc source: a file named after its delimiter."""
    names = {h[0] for h in spec.heredocs}
    return [(_heredoc_name(s), Origin.HEREDOC, _heredoc_name(s)) for s in spec.sources
            if s.startswith("<<") and _heredoc_name(s) in names]


def _remote(step: _Step) -> list[tuple[str, Origin, str]]:
    items = []
    for src in step.spec.sources:
        if not is_remote(src):
            continue
        if step.spec.keyword != "ADD":
            step.fail(FailureKind.INVALID, src, f"COPY cannot read {src!r}: URLs and git sources need ADD")
        elif is_git(src):
            step.unknown_at(step.dest, src, "a git repository's files are not known before it is fetched")
        else:
            items.append((url_name(src), Origin.URL, src))
    return items


def _local(step: _Step, src: str) -> list[_Item]:
    """The items of one context source, or a failure / unknown when it names none."""
    context = step.context
    pivot = ""
    if step.spec.parents and "/./" in src:  # --parents keeps the path below a "/./" pivot
        pivot = _context_path(src.split("/./", 1)[0])
    if has_wildcards(src):
        base = _wildcard_base(src)
        if base and not _has_below(context.files, base) and not listed(context.files, base):
            _absent(step, src, base)  # fsutil walks the static directory: absent, the walk fails
            return []
        items = _wildcard_items(context.files, src)  # an empty match is allowed
    else:
        p = _context_path(src)
        item = _plain_item(context.files, p)
        if item is None:
            _absent(step, src, p)
            return []
        if item.path in context.symlinks:
            step.unknown_source(posixpath.basename(p), src,
                                f"{src!r} is a symlink: BuildKit copies what it points to, which is not read here")
            return []
        items = [item]
    if step.spec.parents:
        cut = len(pivot) + 1 if pivot else 0
        items = [_Item(i.path, i.is_dir, i.path[cut:]) for i in items]
    return items


def _absent(step: _Step, src: str, p: str) -> None:
    """A plain source the context lacks: excluded by the ignore file, unknown, or missing."""
    context = step.context
    hidden = named(context.all_files, p)
    if hidden:
        pat = context.ignore.deciding_pattern(hidden[0])
        where = f" ({context.ignore_path}:{pat.line}: {pat.text})" if pat and context.ignore_path else ""
        step.fail(FailureKind.EXCLUDED_SOURCE, src, f"COPY source {src!r} is excluded by the ignore file{where}",
                  pat.text if pat else "", pat.line if pat else 0)
        return
    reason = context.unlisted(p)
    if reason:
        step.unknown_source(posixpath.basename(p), src, reason)
        return
    step.fail(FailureKind.MISSING_SOURCE, src, f"COPY source {src!r} does not exist in the build context")


def _place(step: _Step, items: list) -> None:
    """Where each item lands (fsutil prepareTargetDir, item by item)."""
    if len(items) > 1 and not step.into:
        step.unknown_at(step.dest, " ".join(step.spec.sources),
                        "several sources into a destination that is not a directory: the classic builder "
                        "fails, BuildKit copies one over the other, buildah makes a directory")
        return
    if items and step.dest_kind is PathKind.FILE and (names_a_directory(step.spec.dest) or any(
            isinstance(i, _Item) and i.is_dir for i in items)):
        step.fail(FailureKind.INVALID, " ".join(step.spec.sources),
                  f"the destination {step.dest} is a file, not a directory")
        return
    for item in items:
        if isinstance(item, tuple):
            name, origin, source = item
            step.land_single(name, origin, source)
        elif item.is_dir:
            _place_dir(step, item)
        else:
            _place_file(step, item)


def _place_dir(step: _Step, item: _Item) -> None:
    context = step.context
    skip = len(item.path) + 1 if item.path else 0
    base = posixpath.join(step.dest, item.kept) if step.spec.parents else step.dest
    prefix = posixpath.normpath(base).rstrip("/") + "/"  # listing paths are clean: no normpath per file
    symlinks, exclude, owner, mode = context.symlinks, step.exclude, step.owner, step.mode
    landed = step.landed
    for f in _below(context.files, item.path):
        rel = f[skip:]
        if exclude is not None and exclude.excludes(rel):
            continue
        path = prefix + rel
        landed[path] = Landed(path, Origin.CONTEXT, f, EntryType.SYMLINK if f in symlinks else EntryType.FILE,
                              owner, mode)


def _place_file(step: _Step, item: _Item) -> None:
    if step.exclude is not None and step.exclude.excludes(item.path):
        return
    if step.spec.keyword == "ADD" and step.spec.unpack is not False and _extract(step, item):
        return
    kind = EntryType.SYMLINK if item.path in step.context.symlinks else EntryType.FILE
    if step.spec.parents:
        step.land(posixpath.join(step.dest, item.kept), Origin.CONTEXT, item.path, kind)
    else:
        step.land_single(posixpath.basename(item.path), Origin.CONTEXT, item.path, kind)


# -- ADD of a local archive ----------------------------------------------------------------
_ZSTD = b"\x28\xb5\x2f\xfd"


def _extract(step: _Step, item: _Item) -> bool:
    """ADD extracts a local tar (plain, gzip, bzip2, xz) into the destination as a directory.
    True when the item was an archive (extracted, or unknown when it cannot be read here)."""
    read = step.context.read
    if read is None:
        step.unknown_at(step.dest, item.path, "ADD of a context file that may be an archive: its bytes are not read")
        return True
    try:
        data = read(item.path)
    except OSError:
        step.unknown_at(step.dest, item.path, "ADD of a context file that cannot be read")
        return True
    if data.startswith(_ZSTD):
        step.unknown_at(step.dest, item.path, "ADD of a zstd archive: not read here")
        return True
    members = _tar_members(data)
    if members is None:
        return False
    for name, kind in members:
        step.land(posixpath.join(step.dest, name), Origin.ARCHIVE, f"{item.path}!{name}", kind)
    return True


def _tar_members(data: bytes) -> list[tuple[str, EntryType]] | None:
    """The non-directory members of a tar archive, or None when `data` is not one."""
    if len(data) < 512 and not data.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")):
        return None  # shorter than one tar block
    import tarfile  # only for ADD of a local archive: 2 ms of every start otherwise

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return None
    if not members:  # moby's isArchivePath: a tar whose first Next() fails (zeros) is a plain file
        return None
    found = []
    for m in members:
        name = clean("/" + m.name).lstrip("/")
        if name and not m.isdir():
            found.append((name, EntryType.SYMLINK if m.issym() else EntryType.FILE))
    return found


# -- --from ------------------------------------------------------------------------------
def _from_stage(step: _Step, stage: StageFiles | None) -> None:
    spec = step.spec
    if stage is None:
        for src in spec.sources:
            step.unknown_source(posixpath.basename(clean("/" + src)), src, f"the files of image {spec.from_} are not known")
        return
    if len(spec.sources) > 1 and not step.into:
        step.unknown_at(step.dest, " ".join(spec.sources), "several sources into a destination that is not a directory")
        return
    for src in spec.sources:
        if has_wildcards(src):
            step.unknown_at(step.dest, src, f"a wildcard over the files of stage {stage.name or spec.from_}")
        else:
            _from_stage_source(step, stage, src)


def _from_stage_source(step: _Step, stage: StageFiles, src: str) -> None:
    s = clean("/" + src)
    paths = stage.paths
    found = list(paths) if s == "/" else named(paths, s)
    label = stage.name or step.spec.from_
    if not found:
        if stage.complete:
            step.fail(FailureKind.MISSING_SOURCE, src, f"COPY --from={step.spec.from_} source {src!r} is not in that stage")
        else:
            step.unknown_source(posixpath.basename(s), src, f"{s} of stage {label} is made by a RUN or comes from its base image")
        return
    for p in found:
        if p == s:  # the source is a file
            step.land_single(posixpath.basename(s), Origin.STAGE, stage.files[p])
        else:
            step.land(posixpath.join(step.dest, p[len(s):].lstrip("/")), Origin.STAGE, stage.files[p])
    if not stage.complete and found[0] != s:
        step.unknown_at(step.dest, src, f"files a RUN made below {s} in stage {label} are not listed", partial=True)


# ==========================================================================================
# Sources against a context listing and its ignore file, before any image is involved.
# (Added for prune-dockerignore; kept as one block.) `files` is a sorted context listing
# *before* the ignore file, as `Tree.under` gives it; the ignore file is asked lazily, so a
# caller can try many edited ignore files against one listing without filtering it each time.
# ==========================================================================================
def context_directory(value: str | None) -> str | None:
    """A build context as a repo-relative directory, "" for the root (a graph may write "."
    for it); None when it is not known."""
    if value is None:
        return None
    d = posixpath.normpath(value).strip("/")
    return "" if d in ("", ".") else d


def source_path(src: str) -> str:
    """A context source as a context-relative path: `./a/`, `/a` and `a` are `a`; `.` is ""
    (BuildKit normalises against "/": a leading "/" and ".." stay in the context)."""
    return _context_path(src)


def split_wildcard(path: str) -> tuple[str, str]:
    """fsutil splitWildcards on a context path: the static directories before the first
    component with a wildcard, and the rest (each path below them is matched against it);
    (path, "") when no component has one."""
    parts = path.split("/")
    for k, part in enumerate(parts):
        if _wild(part):
            return "/".join(parts[:k]), "/".join(parts[k:])
    return path, ""


@dataclass(frozen=True)
class ContextSource:
    """One COPY/ADD context source against a listing before the ignore file."""

    path: str  # context-relative ("" the root); a wildcard's whole pattern
    required: str  # what must reach the context for the COPY to work (a wildcard: its static directories)
    named: tuple[str, ...]  # the files it names, in listing order

    @property
    def wildcard(self) -> bool:
        return self.path != self.required


def context_source(files: Sequence[str], src: str) -> ContextSource:
    """`src` against sorted `files`: the file, everything below the directory, or for a
    wildcard everything at or below each entry of its depth below the static directories
    whose relative path matches (`_wildcard_items`, expanded to files)."""
    p = _context_path(src)
    if not _wild(p):
        return ContextSource(p, p, tuple(files) if p == "" else tuple(named(files, p)))
    base, rest = split_wildcard(p)
    depth = rest.count("/") + 1
    skip = len(base) + 1 if base else 0
    seen: dict[str, bool] = {}
    out = []
    for f in _below(files, base):
        segs = f[skip:].split("/")
        if len(segs) < depth:
            continue
        rel = "/".join(segs[:depth])
        hit = seen.get(rel)
        if hit is None:
            hit = seen[rel] = go_match(rest, rel)
        if hit:
            out.append(f)
    return ContextSource(p, base, tuple(out))


def required_path(src: str) -> str:
    """The path that must reach the context for `src` to work (`ContextSource.required`)."""
    p = _context_path(src)
    return split_wildcard(p)[0] if _wild(p) else p


def named_files(files: Sequence[str], src: str) -> list[str]:
    """The files of sorted `files` a source names (`ContextSource.named`)."""
    return list(context_source(files, src).named)


_WILD_CHAR = re.compile(r"[*?\[]")


def _wild(path: str) -> bool:
    """has_wildcards, without its character loop for the common path with no `*?[`."""
    return _WILD_CHAR.search(path) is not None and has_wildcards(path)


def in_context(ignore: DockerIgnore, files: Sequence[str], path: str) -> bool:
    """Is `path` (a file or a directory; "" is the root) in the context BuildKit receives
    under `ignore`? A file when it is not excluded; a directory when it is not excluded
    itself (the walk sends it, even empty) or a file below it is sent (its parents come
    along)."""
    if path == "":
        return True
    inside = below(files, path)
    if not inside:
        return listed(files, path) and not ignore.excludes(path)  # a file, or nothing
    if not ignore.excludes(path):
        return True
    return any(not ignore.excludes(f) for f in inside)
