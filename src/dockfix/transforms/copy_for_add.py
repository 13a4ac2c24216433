"""copy-for-add: `ADD` of local files that are not archives becomes `COPY`, answering hadolint DL3020.

What it does: an ADD whose every source is a context path (no URL, no git, no heredoc) and
whose flags COPY shares (--chown, --chmod, --link) becomes COPY, when the model of COPY/ADD
(`model.copy.copy_result`, BuildKit's rules) reads the ADD exactly — every source file's bytes
read from the context, none of them an archive ADD would extract — and the COPY lands the very
same entries; or, whatever the context, when every source is the context's root (a directory,
never extracted). Words are expanded with the file's ENV (`model.words.scope_before`).

When it must not fire: a source that is a URL, a git repository, or a local tar (plain, gzip,
bzip2, xz) or zstd file; a source whose bytes cannot be read, a context that is not known (but
for the root), a failure or an unknown in the model's reading; a source that reads an ARG (a
build may pass another value) or a variable the file does not set; an unknown destination,
--chown or --chmod value in an unknown context; ADD-only flags (--checksum,
--keep-git-dir, --unpack) or --from; ONBUILD ADD.

Why it is equivalent: BuildKit's ADD of a local source differs from COPY only in extracting a
local archive; both place the other files with the same rules (destination, ownership, mode,
--link). The model decides "archive" by the file's bytes, exactly as BuildKit does, so where it
reads every source and finds no archive, ADD and COPY put the same files in the image.
"""

from __future__ import annotations

import dataclasses
import posixpath

from dockfix.model.copy import (
    BuildContext,
    CopySpec,
    add_unlike_copy,
    copy_result,
    has_wildcards,
    is_git,
    is_remote,
    source_path,
)
from dockfix.model.gitignore import GitIgnores
from dockfix.model.words import expand_word, scope_before
from dockfix.syntax import Document, Instruction, parse
from dockfix.syntax.edit import changes_only, reading
from dockfix.transforms._copy_groups import context_of
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_SHARED_FLAGS = ("chown", "chmod", "link")


def _flag_name(flag: str) -> str:
    return flag[2:].split("=", 1)[0]


def _syntax_refusal(ins: Instruction) -> str | None:
    """Why this ADD cannot be judged from its words, None when it can."""
    if ins.heredocs or ins.json and len(ins.value) < 2:
        return "the ADD has heredocs" if ins.heredocs else "the ADD has no destination"
    if any(_flag_name(f) not in _SHARED_FLAGS for f in ins.flags):
        return "a flag COPY does not share (" + ", ".join(f for f in ins.flags if _flag_name(f) not in _SHARED_FLAGS) + ")"
    return None


def _expanded(doc: Document, ins: Instruction) -> CopySpec | str | None:
    """The ADD with its words expanded as BuildKit expands them (model.words), or why they
    cannot be known here. A source must be known without ARG defaults (a build may pass
    another value: another file); the destination and flag values with them."""
    defaults = scope_before(doc, ins)
    why = _source_refusal(doc, ins, defaults)
    if why is not None:
        return why
    # A source known without ARG defaults reads no ARG: it expands the same with them. An
    # unknown destination, --chown or --chmod value is read as empty here: `_unread_word`.
    spec = CopySpec.of(ins, lambda w: expand_word(w, defaults, doc.escape).text or "")
    if spec is not None and any(is_remote(s) or is_git(s) for s in spec.sources):
        return f"a source is a URL or a git repository (`{spec.sources[0]}`): fetching is what ADD is for"
    return spec


def _unread_word(doc: Document, ins: Instruction) -> str | None:
    """The destination or flag value of this ADD that is not known here, as written; None when
    every one is. ADD and COPY use them alike (`model.copy.add_unlike_copy`)."""
    defaults = scope_before(doc, ins)
    values = [f.split("=", 1)[1] for f in ins.flags if "=" in f]
    return next((w for w in (ins.value[-1], *values) if expand_word(w, defaults, doc.escape).text is None), None)


def _source_refusal(doc: Document, ins: Instruction, defaults) -> str | None:
    """Why a source word is not known without ARG defaults, None when every one is."""
    fixed = scope_before(doc, ins, arg_defaults=False)
    for word in ins.value[:-1]:
        value = expand_word(word, fixed, doc.escape)
        if value.text is not None:
            continue
        if value.is_invalid:
            return f"BuildKit rejects a source word (`{word}`: {value.unknowns[0].message}): the build fails here"
        shown = expand_word(word, defaults, doc.escape).text
        if shown is not None and (is_remote(shown) or is_git(shown)):
            return f"a source is a URL or a git repository (`{shown}`): fetching is what ADD is for"
        if shown is not None:
            return f"a source word (`{word}`) reads an ARG: a build may pass another value, naming another file"
        return f"a source word (`{word}`) is not known here (an ARG without a default, or a base image's variable)"
    return None


def _context_root_only(spec: CopySpec) -> bool:
    """Every source is the build context's root (`.`, `./`, `/`, `..`): a directory in every
    context, which BuildKit's ADD never extracts (it tries only a source that is a file)."""
    return all(not has_wildcards(s) and source_path(s) == "" for s in spec.sources)


def _model_refusal(spec: CopySpec, context: BuildContext | None) -> str | None:
    if context is None:
        return None if _context_root_only(spec) else "the build context is not known"
    add = copy_result(spec, "/", context)
    if add.unknown:
        return f"not read exactly: {add.unknown[0].reason}"
    if add.failures:
        return f"the ADD fails: {add.failures[0].message}"
    copy = copy_result(dataclasses.replace(spec, keyword="COPY"), "/", context)
    if copy != add:
        return "a source is an archive ADD extracts"
    return None


def _nowhere(ctx: Context, spec: CopySpec) -> str | None:
    """Why no context would tell whether a source is an archive: a plain source that is in
    no directory of the repository (and that no .gitignore says CI makes before the build);
    None when each may be read somewhere."""
    paths = ctx.cache.get("copy-for-add:paths")
    if paths is None:
        paths = ctx.cache["copy-for-add:paths"] = frozenset(
            d for p in ctx.tree.paths() for d in _tails(p))
    for src in spec.sources:
        rel = source_path(src)
        if rel and not has_wildcards(src) and rel not in paths and not _generated(ctx, rel):
            return (f"{src!r} is in no directory of the repository: its bytes, which decide whether "
                    "ADD extracts it, are not known")
    return None


def _tails(path: str) -> list[str]:
    """Every path `path` may be read as below some directory: `a/b/c`, `b/c`, `c`, and the
    directories `a/b`, `b`, `a`."""
    parts = path.split("/")
    return ["/".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]


def _context(ctx: Context, path: str) -> BuildContext | None:
    """The Dockerfile's build context; a file it lacks that a .gitignore covers is made by CI
    before the build (its bytes are not read: not known, rather than missing)."""
    context = context_of(ctx.graph(), ctx.tree, path)
    if context is None:
        return None
    base = ctx.graph().dockerfiles[path].context
    ignores = GitIgnores.of_tree(ctx.tree)

    def unlisted(rel: str) -> str | None:
        hit = ignores.deciding(posixpath.join(base, rel) if base else rel)
        return None if hit is None else f"{hit.file}:{hit.line}: {hit.text} ignores it: CI makes it before the build"

    return dataclasses.replace(context, unlisted=unlisted)


def _generated(ctx: Context, rel: str) -> bool:
    """A .gitignore of the repository covers `rel` below some directory (CI makes it)."""
    ignores = GitIgnores.of_tree(ctx.tree)
    dirs = set(ignores.files)
    return any(ignores.deciding(posixpath.join(d, rel) if d else rel) is not None for d in dirs | {""})


def _as_copy(doc: Document, ins: Instruction) -> bytes | None:
    """The file with this ADD's keyword spelled COPY (in the case it was written), checked by
    re-parsing: only that instruction's keyword changes."""
    head = doc.data[ins.start:ins.end]
    at = len(head) - len(head.lstrip())
    word = ins.cmd.encode()
    if head[at:at + len(word)] != word:
        return None
    new_word = b"COPY" if ins.cmd.isupper() else b"copy" if ins.cmd.islower() else b"COPY"
    data = doc.data[:ins.start + at] + new_word + doc.data[ins.start + at + len(word):]
    return data if changes_only(doc, data, ins.index, ("COPY", *reading(ins)[1:])) else None


class CopyForAdd(DockerfileTransform):
    name = "copy-for-add"
    summary = "Use COPY for ADD of local files that are not archives."
    safety = Safety.SAFE
    answers = "DL3020"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        context: BuildContext | None = None
        changed = False
        for index in range(len(doc.instructions)):
            ins = doc.instructions[index]
            if ins.keyword != "ADD" or ctx.ignored(doc, ins):
                continue
            if any(is_remote(s) or is_git(s) for s in ins.value[:-1]):
                continue  # fetching is what ADD is for
            context = context or _context(ctx, path)
            why = self._why_kept(ctx, doc, ins, context)
            new = _as_copy(doc, ins) if why is None else None
            if why is None and new is None:
                why = "the keyword could not be rewritten in place"
            if why is not None:
                ctx.skip(path, ins.start_line, f"ADD kept: {why}")
                continue
            doc, changed = parse(new), True
        return doc.data if changed else None

    @staticmethod
    def _why_kept(ctx: Context, doc: Document, ins: Instruction, context: BuildContext | None) -> str | None:
        why = _syntax_refusal(ins)
        if why is not None:
            return why
        spec = _expanded(doc, ins)
        if not isinstance(spec, CopySpec):
            return spec or "the ADD has no destination"
        unread = _unread_word(doc, ins)
        if unread is not None:
            # The destination or the owner/mode is the build's: the ADD is COPY when every
            # source is a context file the model reads and none is an archive, wherever it lands.
            why = "the build context is not known" if context is None else add_unlike_copy(spec, context)
            return None if why is None else f"the destination or a flag value (`{unread}`) is not known here, and {why}"
        why = _model_refusal(spec, context)
        if why == "the build context is not known":
            return _nowhere(ctx, spec) or why
        return why
