"""prune-dockerignore: give every COPY/ADD the context files it names.

What it does: for every build (a Dockerfile with its context and the `.dockerignore` in
force: `<Dockerfile>.dockerignore` when it exists, else `<context>/.dockerignore`) it finds
the COPY/ADD sources the build cannot get because `.dockerignore` removed them from the
context. Such a COPY fails the build ("not found"); it does not copy "nothing". For the
pattern that excludes the source it then either
- removes the pattern, when the pattern is a plain path (no wildcard) and removing it
  re-includes only files that failing COPYs name (academy: `scripts/`), or
- narrows it with an exception placed right after it, `!<source>` (`**/*.sh` followed by
  `!bin/entrypoint.sh`): a wildcard pattern is a policy for files that do not exist yet,
  so it is never removed, even when the source is the only file it matches today.
Comments, blank lines, line endings and every other pattern stay.

When it must not fire: sources that the build gets (also partly: `COPY scripts` where only
`scripts/*.pyc` is excluded copies what is left, deliberately); `COPY --from`, heredoc
sources, `ADD` of URLs and git repositories; stages the build never reaches; a wildcard
source whose directory exists but whose matches are all excluded (BuildKit allows an empty
wildcard: the COPY copies nothing and the build succeeds, so re-including would change a
working image: reported as a warning); when the edit would re-include a file that a build
which works today copies (its image would change), or a file that another pattern excludes
too; `# dockfix: ignore[prune-dockerignore]` above the COPY.

Why it is equivalent: every file the edit brings back into the context is named by a COPY
that failed, and by no COPY of a build that worked (checked by re-evaluating the edited
file with Docker's matcher). Builds that worked send the builder a context in which every
file they copy is the same, so they build the same images; builds that failed at the COPY
now get its files.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from dockfix.graph.dockerignore import DockerIgnore, Pattern
from dockfix.model.words import Scope as WordScope
from dockfix.model.words import apply as apply_words
from dockfix.model.words import expand_word
from dockfix.syntax import Document, Instruction
from dockfix.transforms.base import Context, Safety, Transform
from dockfix.tree import below, listed, named

_WILDCARD = re.compile(r"[*?\[]")


# -- COPY sources against a context (BuildKit's dockerfile2llb + fsutil copy semantics)
def context_dir(value: str | None) -> str | None:
    """A build context as a repo-relative directory, "" for the root (the graph may write
    "." for it); None when the graph does not know it."""
    if value is None:
        return None
    d = posixpath.normpath(value).strip("/")
    return "" if d in ("", ".") else d


def is_remote(src: str) -> bool:
    """ADD of a URL or a git repository: not a context source."""
    s = src.lower()
    return ("://" in s or s.startswith("git@") or s.startswith("github.com/")
            or (s.endswith(".git") and "/" in s and ":" in s))


def normalise_source(src: str) -> str:
    """A source as a context-relative path: `./a/`, `/a` and `a` are `a`; `.` is ""."""
    s = posixpath.normpath("/" + src.replace("\\/", "/")).lstrip("/")
    return "" if s in ("", ".") else s


def has_wildcard(src: str) -> bool:
    return bool(_WILDCARD.search(src))


def go_match(pattern: str, name: str) -> bool:
    """Go's path/filepath.Match (Unix): `*` and `?` never match `/`; `[...]` classes with
    `^` negation and ranges; `\\` escapes. A malformed pattern matches nothing."""
    regex = _go_regex(pattern)
    return regex is not None and regex.fullmatch(name) is not None


_GO_CACHE: dict[str, re.Pattern[str] | None] = {}


def _go_regex(pattern: str) -> re.Pattern[str] | None:
    if pattern in _GO_CACHE:
        return _GO_CACHE[pattern]
    out: list[str] = []
    i, n = 0, len(pattern)
    ok = True
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i >= n:
                ok = False
                break
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            j = i
            neg = j < n and pattern[j] == "^"
            if neg:
                j += 1
            items: list[str] = []
            closed = False
            first = True
            while j < n:
                ch = pattern[j]
                if ch == "]" and not first:
                    closed = True
                    j += 1
                    break
                first = False
                if ch == "\\":
                    j += 1
                    if j >= n:
                        break
                    ch = pattern[j]
                lo = ch
                j += 1
                if j + 1 < n and pattern[j] == "-" and pattern[j + 1] != "]":
                    hi = pattern[j + 1]
                    if hi == "\\" and j + 2 < n:
                        hi = pattern[j + 2]
                        j += 1
                    j += 2
                    items.append(f"{re.escape(lo)}-{re.escape(hi)}")
                else:
                    items.append(re.escape(lo))
            if not closed or not items:
                ok = False
                break
            out.append(("[^/" if neg else "[") + "".join(items) + "]")
            i = j
        else:
            out.append(re.escape(c))
    compiled = re.compile("".join(out), re.S) if ok else None
    _GO_CACHE[pattern] = compiled
    return compiled


def split_wildcard(src: str) -> tuple[str, str]:
    """fsutil's splitWildcards: the directory before the first component with a wildcard,
    and the rest (the pattern each path below that directory is matched against)."""
    parts = src.split("/")
    for k, part in enumerate(parts):
        if has_wildcard(part):
            return "/".join(parts[:k]), "/".join(parts[k:])
    return src, ""


def named_files(files: list[str], src: str) -> list[str]:
    """The context files (relative to the context, before .dockerignore) that a COPY
    source names: the file, everything below the directory, or for a wildcard every
    entry below its directory whose relative path matches (and everything below it)."""
    s = normalise_source(src)
    if s == "":
        return list(files)
    if not has_wildcard(s):
        return named(files, s)  # context listings are sorted
    base, rest = split_wildcard(s)
    prefix = base + "/" if base else ""
    depth = rest.count("/") + 1
    out = []
    for f in files:
        if not f.startswith(prefix):
            continue
        rel = f[len(prefix):].split("/")
        if len(rel) >= depth and go_match(rest, "/".join(rel[:depth])):
            out.append(f)
    return out


def present(ignore: DockerIgnore, files: list[str], path: str) -> bool:
    """Is `path` (a file or a directory; "" is the context root) in the context BuildKit
    receives? A file is there when it is not excluded; a directory when it is not
    excluded itself or a file below it is sent (its parents come along)."""
    if path == "":
        return True
    inside = below(files, path)
    if not inside:
        return listed(files, path) and not ignore.excludes(path)  # a file, or nothing
    if not ignore.excludes(path):
        return True
    return any(not ignore.excludes(f) for f in inside)


@dataclass
class Source:
    """One context source of one COPY/ADD in one build."""

    dockerfile: str
    line: int
    text: str  # as written
    path: str  # normalised; for a wildcard, the whole pattern
    needed: str  # the path that must be present for the COPY to work (wildcard: its dir)
    named: list[str]  # context files it names, before .dockerignore
    state: str = "ok"  # ok | fails | empty | missing


@dataclass
class Build:
    dockerfile: str
    context: str
    files: list[str]
    sources: list[Source] = field(default_factory=list)

    def fails(self) -> bool:
        return any(s.state == "fails" for s in self.sources)


class PruneDockerignore(Transform):
    name = "prune-dockerignore"
    summary = "Remove or narrow the .dockerignore patterns that exclude a COPY/ADD source."
    safety = Safety.SAFE
    answers = ('the build error "failed to compute cache key: ... not found" '
               "(a COPY/ADD of a path .dockerignore excludes)")

    def apply(self, ctx: Context) -> None:
        graph = ctx.graph()
        groups: dict[str, list[Build]] = {}
        for dockerfile, context, stages in _builds(graph):
            if context is None:
                continue
            ignore_path = _ignore_path(ctx, dockerfile, context)
            if ignore_path is None:
                continue
            doc = ctx.document(dockerfile)
            if ctx.file_ignored(doc):
                continue
            build = Build(dockerfile, context, ctx.tree.under(context))
            build.sources = list(_sources(ctx, doc, dockerfile, stages, build.files))
            groups.setdefault(ignore_path, []).append(build)
        for ignore_path, builds in sorted(groups.items()):
            self._prune(ctx, ignore_path, builds)

    # -- one .dockerignore and the builds that use it
    def _prune(self, ctx: Context, ignore_path: str, builds: list[Build]) -> None:
        data = ctx.tree.read(ignore_path)
        try:
            ignore = DockerIgnore.parse(data)
        except Exception as err:  # a file Docker refuses: every build using it fails anyway
            ctx.skip(ignore_path, getattr(err, "line", None), f"not edited: {err}")
            return
        warned: set[tuple[str, int, str]] = set()
        for b in builds:
            for s in b.sources:
                s.state = _state(ignore, b.files, s)
                if s.state == "empty" and (s.dockerfile, s.line, s.text) not in warned:
                    warned.add((s.dockerfile, s.line, s.text))
                    ctx.note("warning", s.dockerfile, s.line,
                             f"COPY source {s.text} matches only files {ignore_path} excludes; "
                             "BuildKit copies nothing here (an empty wildcard is allowed); left as is")
        failing = [(b, s) for b in builds for s in b.sources if s.state == "fails"]
        if not failing:
            return
        # Files a build that works today copies: re-including one would change its image.
        protected = {_key(b, f) for b in builds if not b.fails() for s in b.sources for f in s.named}
        allowed = {_key(b, f) for b, s in failing for f in s.named} - protected
        inclusion = _Inclusion(ignore, builds)

        text = _IgnoreText(data)
        notes: list[tuple[int, str]] = []
        given_up: dict[int, tuple[int | None, str]] = {}  # source -> (line, why); retried after any edit
        for _ in range(8 * len(failing) + 8):
            current = DockerIgnore.parse(text.render())
            todo = [(b, s) for b, s in failing
                    if id(s) not in given_up and not present(current, b.files, s.needed)]
            if not todo:
                break
            b, s = todo[0]
            pat = current.deciding_pattern(s.needed) if s.needed else None
            if pat is None or pat.negated:
                given_up[id(s)] = (None, f"not edited for {s.dockerfile}:{s.line} ({s.text}): no pattern "
                                         "decides its exclusion")
                continue
            line = text.line_of(pat)
            done = False
            reasons: list[str] = []
            for how in ("remove", "narrow"):
                if how == "remove" and has_wildcard(pat.pattern):
                    continue
                trial = text.copy()
                exception = _exception(pat, s) if how == "narrow" else ""
                if how == "remove":
                    trial.remove(line)
                else:
                    trial.add_after(line, exception)
                after = DockerIgnore.parse(trial.render())
                if not present(after, b.files, s.needed):
                    continue
                new = inclusion.after_edit(after, pat if how == "remove" else _pattern(exception))
                if how == "narrow":
                    # Only what this pattern alone keeps out may come back.
                    alone = text.copy()
                    alone.remove(line)
                    new_alone = inclusion.after_edit(DockerIgnore.parse(alone.render()), pat)
                    extra = new - new_alone
                    if extra:
                        reasons.append(f"`{exception}` would also re-include "
                                       f"{_show(extra)}, which another pattern excludes")
                        continue
                bad = new - allowed
                if bad:
                    hit = bad & protected
                    if hit:
                        reasons.append(f"re-including {_show(hit)} would change an image that builds today")
                    continue
                text = trial
                inclusion.delta = new
                src = f"{s.dockerfile}:{s.line} ({s.text})"
                if how == "remove":
                    notes.append((pat.line, f"removed `{pat.text.strip()}`: {src} needs what it "
                                            "excluded, and no build that works copies any of it"))
                else:
                    notes.append((pat.line, f"narrowed `{pat.text.strip()}` with `{exception}`: "
                                            f"{src} needs it"))
                done = True
                given_up.clear()
                break
            if not done:
                why = "; ".join(dict.fromkeys(reasons)) or "no edit of that pattern re-includes only what it needs"
                given_up[id(s)] = (pat.line, f"not edited for {s.dockerfile}:{s.line} ({s.text}): {why}")
        for line, message in given_up.values():
            ctx.skip(ignore_path, line, message)
        if text.changed:
            for line, message in notes:
                ctx.note("info", ignore_path, line, message)
            ctx.write(ignore_path, text.render())


def _key(b: Build, f: str) -> str:
    return f"{b.context}/{f}" if b.context else f  # f is relative to the context


def _show(keys: set[str]) -> str:
    items = sorted(keys)
    return ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")


class _Inclusion:
    """Which files an edited .dockerignore re-includes (context-relative keys, over every
    build that reads it), compared with the original file. Each edit removes or adds one
    pattern line, and only files that pattern matches (or whose parent it matches) can
    change their deciding pattern; so only those are matched again, not every file."""

    def __init__(self, original: DockerIgnore, builds: list[Build]):
        self.original = original
        self.builds = builds
        self.delta: set[str] = set()  # included by the current text, not by the original

    def after_edit(self, after: DockerIgnore, touched: Pattern | None) -> set[str]:
        """Keys `after` includes and the original does not; `after` is the current text
        with the line of `touched` removed or added."""
        if touched is None:
            return set(self.delta)
        keys = {_key(b, f) for b in self.builds for f in b.files if touched.matches_or_parent(f)}
        if not keys:
            return set(self.delta)
        files_of: dict[str, list[str]] = {}  # every file behind a touched key, in any build
        for b in self.builds:
            for f in b.files:
                k = _key(b, f)
                if k in keys:
                    files_of.setdefault(k, []).append(f)
        out = self.delta - keys
        for k, files in files_of.items():
            if any(not after.excludes(f) for f in files) and all(self.original.excludes(f) for f in files):
                out.add(k)
        return out


def _pattern(line: str) -> Pattern | None:
    patterns = DockerIgnore.parse(line.encode("utf-8", "surrogateescape")).patterns
    return patterns[0] if patterns else None


def _state(ignore: DockerIgnore, files: list[str], s: Source) -> str:
    if not s.named:
        return "missing"  # not in the context at all: not ours to fix
    if present(ignore, files, s.needed):
        if s.path != s.needed and not any(not ignore.excludes(f) for f in s.named):
            return "empty"
        return "ok"
    return "fails"


def _exception(pat, s: Source) -> str:
    """`!<source>` in the pattern's own spelling: a leading `/` or `./` is kept."""
    raw = pat.text.strip()
    lead = "/" if raw.startswith("/") else "./" if raw.startswith("./") else ""
    return "!" + lead + s.path


# -- builds, their reachable stages and sources
def _builds(graph) -> list[tuple[str, str | None, frozenset[int]]]:
    """(Dockerfile, context, reachable stages) for every image the graph maps (one per
    target: a target that builds and one that fails are different builds), and for every
    Dockerfile no image maps (its inferred context, final stage)."""
    out: set[tuple[str, str, frozenset[int]]] = set()
    mapped: set[str] = set()
    for _ref, m in sorted(graph.images.items()):
        node = graph.dockerfiles.get(m.dockerfile)
        if node is None or node.document is None or not node.document.stages:
            continue
        mapped.add(m.dockerfile)
        stage = graph.image_stage(m)
        if stage is not None:
            out.add((m.dockerfile, context_dir(m.context), frozenset(_reachable(node.document, stage))))
    for path, node in sorted(graph.dockerfiles.items()):
        if path in mapped or node.document is None or not node.document.stages:
            continue
        doc = node.document
        out.add((path, context_dir(node.context), frozenset(_reachable(doc, doc.stages[-1].index))))
    return sorted(out, key=lambda b: (b[0], b[1] or "", sorted(b[2])))


def _reachable(doc: Document, target: int) -> set[int]:
    """The stages BuildKit builds for `target`: it, the stages it is FROM, and those its
    COPY --from / RUN --mount=from name, transitively."""
    names = {st.name: st.index for st in doc.stages if st.name}

    def stage_of(ref: str, before: int) -> int | None:
        r = ref.lower()
        if r in names and names[r] < before:
            return names[r]
        if r.isdigit() and int(r) < before:
            return int(r)
        return None

    seen: set[int] = set()
    todo = [target]
    while todo:
        i = todo.pop()
        if i in seen or i < 0 or i >= len(doc.stages):
            continue
        seen.add(i)
        st = doc.stages[i]
        dep = stage_of(st.base, i)
        if dep is not None:
            todo.append(dep)
        for k in st.instructions:
            ins = doc.instructions[k]
            refs = [ins.flag("from")] if ins.keyword in ("COPY", "ADD") else []
            if ins.keyword == "RUN":
                for mount in ins.flag_values("mount"):
                    refs += [kv.split("=", 1)[1] for kv in mount.split(",") if kv.startswith("from=")]
            for r in refs:
                if r is not None:
                    dep = stage_of(r, i)
                    if dep is not None:
                        todo.append(dep)
    return seen


def _sources(ctx: Context, doc: Document, path: str, stages: set[int], files: list[str]):
    for ins in doc.instructions:
        if ins.keyword not in ("COPY", "ADD") or ins.stage not in stages or ins.flag("from") is not None:
            continue
        if ctx.ignored(doc, ins) or len(ins.value) < 2:
            continue
        heredocs = {"<<" + h.name for h in ins.heredocs} | {"<<-" + h.name for h in ins.heredocs}
        for raw in ins.value[:-1]:
            if raw in heredocs or raw.startswith("<<") or is_remote(raw):
                continue
            src = _expand_source(doc, ins, raw)
            if src is None:
                continue
            s = normalise_source(src)
            needed = split_wildcard(s)[0] if has_wildcard(s) else s
            yield Source(path, ins.start_line, raw, s, needed, named_files(files, s))


def _expand_source(doc: Document, ins: Instruction, raw: str) -> str | None:
    """The source as BuildKit expands it (model/words) with the ARG/ENV of its stage before
    it (global ARGs when redeclared, their defaults); None when it cannot be known here: a
    variable the base image or a build argument may set, a word BuildKit rejects."""
    if _PLAIN_WORD.fullmatch(raw) and doc.escape not in raw:
        return raw
    words = [w for a in doc.global_args() for w in a.value]
    scope = WordScope.of_globals(words, None, doc.escape).stage(None)
    for k in doc.stages[ins.stage].instructions[1:]:
        other = doc.instructions[k]
        if other.index >= ins.index:
            break
        scope = apply_words(scope, other.keyword, other.value, doc.escape)
    return expand_word(raw, scope, doc.escape).text


_PLAIN_WORD = re.compile(r"[^$'\"<]*")


def _ignore_path(ctx: Context, dockerfile: str, context: str) -> str | None:
    """BuildKit: `<Dockerfile>.dockerignore` next to the Dockerfile wins over the
    context's `.dockerignore`."""
    own = dockerfile + ".dockerignore"
    if ctx.tree.exists(own):
        return own
    path = posixpath.join(context, ".dockerignore") if context else ".dockerignore"
    return path if ctx.tree.exists(path) else None


# -- editing the file as lines, bytes kept
class _IgnoreText:
    """A .dockerignore as physical lines (split on "\\n" as Docker reads it, each line with
    its own ending), edited by removing pattern lines and adding exception lines; the
    bytes of every other line stay."""

    def __init__(self, data: bytes):
        self.lines: list[bytes] = re.findall(rb"[^\n]*\n|[^\n]+$", data)
        self.changed = False

    def copy(self) -> "_IgnoreText":
        t = _IgnoreText(b"")
        t.lines, t.changed = list(self.lines), self.changed
        return t

    def render(self) -> bytes:
        return b"".join(self.lines)

    @staticmethod
    def line_of(pat) -> int:
        return pat.line - 1

    def _eol(self, i: int) -> bytes:
        """The line ending of line i, else of the nearest line that has one."""
        order = [i] + [j for k in range(1, len(self.lines)) for j in (i - k, i + k) if 0 <= j < len(self.lines)]
        for j in order:
            raw = self.lines[j]
            if raw.endswith(b"\n"):
                return b"\r\n" if raw.endswith(b"\r\n") else b"\n"
        return b"\n"

    def _blank(self, j: int) -> bool:
        return 0 <= j < len(self.lines) and self.lines[j].lstrip(b"\xef\xbb\xbf").strip(b" \t\r\n") == b""

    def remove(self, i: int) -> None:
        """Delete line i; a blank line it leaves doubled (or first, or last) goes too; a
        file that ended without a newline still does."""
        bom = self.lines[i].startswith(b"\xef\xbb\xbf")
        had_eol = self.lines[i].endswith(b"\n")
        del self.lines[i]
        if self._blank(i) and (i == 0 or self._blank(i - 1)):
            del self.lines[i]
        elif i >= len(self.lines) and self._blank(i - 1):
            del self.lines[i - 1]
        if not had_eol and self.lines and self.lines[-1].endswith(b"\n"):
            eol = b"\r\n" if self.lines[-1].endswith(b"\r\n") else b"\n"
            self.lines[-1] = self.lines[-1][: -len(eol)]
        if bom and self.lines and not self.lines[0].startswith(b"\xef\xbb\xbf"):
            self.lines[0] = b"\xef\xbb\xbf" + self.lines[0]
        self.changed = True

    def add_after(self, i: int, text: str) -> None:
        """Insert a line after line i, with the file's line ending."""
        eol = self._eol(i)
        line = text.encode("utf-8", "surrogateescape")
        if not self.lines[i].endswith(b"\n"):
            self.lines[i] += eol
            self.lines.insert(i + 1, line)
        else:
            self.lines.insert(i + 1, line + eol)
        self.changed = True
