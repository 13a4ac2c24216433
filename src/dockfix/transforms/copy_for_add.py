"""copy-for-add: `ADD` of local files that are not archives becomes `COPY`, answering hadolint DL3020.

What it does: an ADD whose every source is a context path (no URL, no git, no heredoc, no
variable) and whose flags COPY shares (--chown, --chmod, --link) becomes COPY, when the model of
COPY/ADD (`model.copy.copy_result`, BuildKit's rules) reads the ADD exactly — every source file's
bytes read from the context, none of them an archive ADD would extract — and the COPY lands the
very same entries.

When it must not fire: a source that is a URL, a git repository, or a local tar (plain, gzip,
bzip2, xz) or zstd file; a source whose bytes cannot be read, a context that is not known, a
failure or an unknown in the model's reading; `$` in a word (ARG/ENV not expanded here); ADD-only
flags (--checksum, --keep-git-dir, --unpack) or --from; ONBUILD ADD.

Why it is equivalent: BuildKit's ADD of a local source differs from COPY only in extracting a
local archive; both place the other files with the same rules (destination, ownership, mode,
--link). The model decides "archive" by the file's bytes, exactly as BuildKit does, so where it
reads every source and finds no archive, ADD and COPY put the same files in the image.
"""

from __future__ import annotations

import dataclasses

from dockfix.model.copy import BuildContext, CopySpec, copy_result, is_git, is_remote
from dockfix.syntax import Document, Instruction, parse
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
    if any("$" in w for w in (*ins.value, *ins.flags)):
        return "a word holds a variable"
    return None


def _model_refusal(ins: Instruction, context: BuildContext | None) -> str | None:
    spec = CopySpec.of(ins)
    if spec is None:
        return "the ADD has no destination"
    if context is None:
        return "the build context is not known"
    add = copy_result(spec, "/", context)
    if add.unknown:
        return f"not read exactly: {add.unknown[0].reason}"
    if add.failures:
        return f"the ADD fails: {add.failures[0].message}"
    copy = copy_result(dataclasses.replace(spec, keyword="COPY"), "/", context)
    if copy != add:
        return "a source is an archive ADD extracts"
    return None


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
    try:
        new = parse(data)
    except Exception:  # noqa: BLE001 - an edit that does not parse is refused, never written
        return None
    if len(new.instructions) != len(doc.instructions):
        return None
    for a, b in zip(doc.instructions, new.instructions):
        keyword = "COPY" if a.index == ins.index else a.keyword
        if (b.keyword, b.flags, b.value, b.json, b.heredocs) != (keyword, a.flags, a.value, a.json, a.heredocs):
            return None
    return data


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
            context = context or context_of(ctx.graph(), ctx.tree, path)
            why = _syntax_refusal(ins) or _model_refusal(ins, context)
            new = _as_copy(doc, ins) if why is None else None
            if why is None and new is None:
                why = "the keyword could not be rewritten in place"
            if why is not None:
                ctx.skip(path, ins.start_line, f"ADD kept: {why}")
                continue
            doc, changed = parse(new), True
        return doc.data if changed else None
