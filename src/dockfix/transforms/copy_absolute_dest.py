"""copy-absolute-dest (hadolint DL3045): a relative COPY destination in a stage without WORKDIR
becomes the absolute path BuildKit resolves it to. What it does, when it must not fire and why
it is equivalent: transforms/copy-absolute-dest/README.md (the one place)."""

from __future__ import annotations

import posixpath
import re

from dockfix.model.bases import facts_of
from dockfix.model.stage_state import WorkdirKind, go_clean, state_at_end, state_before
from dockfix.syntax import Document, Instruction, parse
from dockfix.transforms.base import Context, DockerfileTransform, Safety

# A destination read the same by every reader: no variable, quote, escape, glob or `..`.
_PLAIN_DEST = re.compile(r"[A-Za-z0-9_@%+=:,.~-][A-Za-z0-9_@%+=:,./~-]*")
_DEPTH = 16  # bases followed through stages and in-repo images before giving up


class Unknown(str):
    """Why the working directory is not known."""


def _dest_refusal(dest: str) -> str | None:
    if not _PLAIN_DEST.fullmatch(dest):
        return "the destination holds a variable, quote, escape or unusual character"
    if ".." in dest.split("/"):
        return "the destination climbs out of the working directory (`..`)"
    return None


def absolute(workdir: str, dest: str) -> str:
    """BuildKit's destination for a relative one: dispatchCopy's pathRelativeToWorkingDir (`.`
    and "" become `./`), then util/system.NormalizePath with keepSlash: Go's path.Join of the
    working directory and the destination (cleaned), a trailing `/` kept, a trailing `/.` kept."""
    if dest in (".", ""):
        dest = "./"
    joined = go_clean(posixpath.join(workdir, dest))
    if dest.endswith("/") and not joined.endswith("/"):
        joined += "/"
    elif dest.endswith("/."):
        joined = (joined if joined == "/" else joined + "/") + "."
    return joined


def stage_workdir(ctx: Context, path: str, doc: Document, stage: int, before: int | None = None,
                  depth: int = 0) -> str | Unknown:
    """The working directory at instruction index `before` of the stage (its end when None),
    as `model.stage_state` reads it for every build (no ARG default taken as the value): the
    WORKDIRs of the stage and of the stages of this file it is built on, from the base's
    (an earlier stage, an in-repo image, an official image) when none is absolute."""
    if depth > _DEPTH:
        return Unknown("the chain of bases is too long")
    state = state_at_end(doc, stage) if before is None else state_before(doc, doc.instructions[before])
    workdir = state.fixed_workdir
    if workdir.kind is WorkdirKind.UNKNOWN:
        return Unknown("a WORKDIR holds a variable or escape")
    if workdir.kind is WorkdirKind.KNOWN:
        return workdir.path
    base = _base_workdir(ctx, path, state.chain[-1], depth)
    return base if isinstance(base, Unknown) else workdir.resolve(base)


def _base_workdir(ctx: Context, path: str, stage: int, depth: int) -> str | Unknown:
    graph = ctx.graph()
    base = graph.base_of(path, stage)
    if base is None:
        return Unknown("the stage's base is not read")
    if base.kind == "stage" and base.stage is not None:
        return stage_workdir(ctx, path, ctx.document(path), base.stage, None, depth + 1)
    if base.kind == "internal" and base.image is not None:
        node = graph.dockerfiles.get(base.image.dockerfile)
        index = graph.image_stage(base.image)
        if node is None or node.document is None or index is None:
            return Unknown(f"the in-repo base {base.ref} is not read")
        return stage_workdir(ctx, base.image.dockerfile, node.document, index, None, depth + 1)
    facts = facts_of(base.ref) if "$" not in base.ref else None
    if facts is None or facts.workdir is None:
        return Unknown(f"the base image {base.raw} is not one whose working directory is known")
    return facts.workdir


def _rewrite(doc: Document, ins: Instruction, new_dest: str) -> bytes | None:
    """The file with the COPY's last word replaced, checked by re-parsing."""
    text = doc.data[ins.start:ins.end].decode("utf-8", "surrogateescape")
    old = ins.value[-1]
    quoted = f'"{old}"' if ins.json else old
    # A heredoc COPY's words end with its first line; the bodies follow.
    head = text.find("\n") + 1 if ins.heredocs else len(text)
    at = text[:head].rstrip().rfind(quoted)
    if at < 0 or not head or text[at + len(quoted):head].strip(" \t\r\n]") != "":
        return None
    new_word = f'"{new_dest}"' if ins.json else new_dest
    data = doc.data[:ins.start] + (text[:at] + new_word + text[at + len(quoted):]).encode(
        "utf-8", "surrogateescape") + doc.data[ins.end:]
    try:
        new_doc = parse(data, doc.path)
    except Exception:  # noqa: BLE001 - an edit that does not parse is refused, never written
        return None
    same = [(i.keyword, i.flags, i.value, i.heredocs) for i in doc.instructions]
    same[ins.index] = (ins.keyword, ins.flags, (*ins.value[:-1], new_dest), ins.heredocs)
    return data if [(i.keyword, i.flags, i.value, i.heredocs) for i in new_doc.instructions] == same else None


class CopyAbsoluteDest(DockerfileTransform):
    name = "copy-absolute-dest"
    summary = "Write a COPY's relative destination as the absolute path it lands at, where no WORKDIR is set."
    safety = Safety.SAFE
    answers = "DL3045"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        changed, read = False, doc  # an edit changes one COPY's destination: `read`'s states hold
        for index in range(len(doc.instructions)):
            ins = doc.instructions[index]
            new = self._fix(ctx, path, doc, ins, read)
            if new is not None:
                doc, changed = parse(new, doc.path), True
        return doc.data if changed else None

    def _fix(self, ctx: Context, path: str, doc: Document, ins: Instruction, read: Document) -> bytes | None:
        if ins.keyword != "COPY" or ins.stage < 0 or len(ins.value) < 2 or ctx.ignored(doc, ins):
            return None
        dest = ins.value[-1]
        if dest.startswith(("/", "$")) or _workdir_set(read, read.instructions[ins.index]):
            return None  # hadolint's reading: absolute, a variable, or WORKDIR set in the stage
        why = _dest_refusal(dest)
        workdir = stage_workdir(ctx, path, read, ins.stage, ins.index) if why is None else Unknown(why)
        if isinstance(workdir, Unknown):
            ctx.skip(path, ins.start_line, f"COPY destination {dest!r} kept relative: {workdir}")
            return None
        new = _rewrite(doc, ins, absolute(workdir, dest))
        if new is None:
            ctx.skip(path, ins.start_line, f"COPY destination {dest!r}: the edited COPY does not read as intended")
        return new


def _workdir_set(doc: Document, ins: Instruction) -> bool:
    """hadolint DL3045's reading: a WORKDIR earlier in this stage, or in the stages of this file
    it is built FROM (by name)."""
    return state_before(doc, ins).workdir_at is not None
