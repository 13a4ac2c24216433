"""apk-no-cache: `apk add` gets `--no-cache`, answering hadolint DL3019.

What it does: a command of a shell-form RUN read exactly (`model.shell`) that `apk add`s
(`model.packages.read_system_packages`) without `--no-cache` gets it right after `add`; in a
`RUN <<EOF` whose body is the script, inside the body.

When it must not fire: an inexact reading or an unknown word; the command names a cache
(`--cache-dir`, `--cache-packages`), works offline (`--no-network`) or in another root (`-p`);
the RUN has a cache mount; the file mentions `/etc/apk/cache`, `apk cache`, `--no-network` or
`--cache-dir` anywhere (a cache someone reads on purpose).

Why it is equivalent: `--no-cache` makes apk fetch the repository index into memory instead of
reading and writing /var/cache/apk; in a build both read the repositories' index at build time,
so the same packages are installed into the same root; the image only lacks the index files
(APKINDEX.*.tar.gz) under /var/cache/apk, which nothing at runtime reads.
"""

from __future__ import annotations

from dockfix.model.packages import PackageAction, PackageManager, read_system_packages
from dockfix.model.run import RunForm, run_execution
from dockfix.model.shell import Command, read_script
from dockfix.syntax import Document, Instruction, parse
from dockfix.syntax.edit import changes_only
from dockfix.transforms import _run_words as rw
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_DELIBERATE = (b"/etc/apk/cache", b"apk cache", b"--no-network", b"--cache-dir")
_REFUSED_OPTIONS = {"cache_dir": "names its cache directory", "cache_packages": "keeps its packages in a cache",
                    "no_network": "works offline from the cache", "root": "installs into another root"}


def _refusal(reading, ins: Instruction) -> str | None:
    """Why `--no-cache` cannot be added to this `apk add`, None when it can."""
    if not reading.exact:
        return f"apk {reading.subcommand}: the command is not read exactly"
    for dest, why in _REFUSED_OPTIONS.items():
        if reading.value(dest) is not None:
            return f"apk {reading.subcommand}: the command {why}"
    if any("type=cache" in m for m in ins.flag_values("mount")):
        return "apk add: the RUN mounts a cache: the cache is deliberate and outside the image"
    return None


def _edit(cmd: Command, ins: Instruction) -> rw.WordEdit | str | None:
    head = cmd.argv[0]
    if head.value is None or head.value.rsplit("/", 1)[-1] != "apk":
        return None
    if not rw.words_known(cmd):
        return "apk: a word of the command is unknown"
    reading = read_system_packages([w.value for w in cmd.argv])
    if reading is None or reading.manager is not PackageManager.APK or reading.action is not PackageAction.INSTALL:
        return None
    if reading.no_cache:
        return None
    why = _refusal(reading, ins)
    if why is not None:
        return why
    at = next((i for i, w in enumerate(cmd.argv[1:], start=1) if w.value == reading.subcommand), None)
    if at is None or not rw.ends_a_word(cmd, at) or not _same_but_no_cache(cmd, at, reading):
        return "apk add: the edited command does not read the same"
    return rw.WordEdit(cmd.argv[at].end, cmd.argv[at].end, " --no-cache")


def _same_but_no_cache(cmd: Command, at: int, reading) -> bool:
    """The model's reading of the command with `--no-cache` after word `at`: the same packages,
    the same options, and the cache off."""
    values = [w.value for w in cmd.argv]
    values.insert(at + 1, "--no-cache")
    new = read_system_packages(values)
    return (new is not None and new.exact and new.no_cache and new.action is reading.action
            and new.arguments == reading.arguments and len(new.options) == len(reading.options) + 1)


class ApkNoCache(DockerfileTransform):
    name = "apk-no-cache"
    summary = "Add --no-cache to apk add: no package index left in the image."
    safety = Safety.SAFE
    answers = "DL3019"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        found = [m.decode() for m in _DELIBERATE if m in doc.data]
        if found:
            if b"apk" in doc.data:
                ctx.skip(path, None, f"the file mentions {found[0]}: an apk cache is used on purpose")
            return None
        new = rw.fix_runs(ctx, path, doc, "apk ", lambda cmd, ins, script: _edit(cmd, ins))
        doc = parse(new) if new is not None else doc
        changed = new is not None
        for index in range(len(doc.instructions)):
            edited = _heredoc_edit(ctx, path, doc, doc.instructions[index])
            if edited is not None:
                doc, changed = parse(edited), True
        return doc.data if changed else None


def _heredoc_body(doc: Document, ins: Instruction) -> int | None:
    """Where the body of `RUN <<EOF` starts in the file, when that body is the script /bin/sh
    reads (one heredoc, the whole command line, not `<<-`, not a `#!` file, no SHELL); None
    otherwise."""
    if ins.keyword != "RUN" or ins.json or len(ins.heredocs) != 1 or ins.heredocs[0].chomp:
        return None
    if any(i.keyword == "SHELL" for i in doc.instructions):
        return None
    execution = run_execution(ins)
    if execution.form is not RunForm.SHELL or execution.script != ins.heredocs[0].content:
        return None
    raw = doc.data[ins.start:ins.end]
    at = raw.find(b"\n") + 1
    body = ins.heredocs[0].content.encode("utf-8", "surrogateescape")
    return ins.start + at if at and raw[at:at + len(body)] == body else None


def _heredoc_edit(ctx: Context, path: str, doc: Document, ins: Instruction) -> bytes | None:
    """A `RUN <<EOF` whose apk adds get `--no-cache` inside the body (heredoc bodies are
    bytes of the file as written: no continuation folding), checked by re-parsing."""
    if ctx.ignored(doc, ins):
        return None
    at = _heredoc_body(doc, ins)
    if at is None:
        return None
    script = ins.heredocs[0].content
    read = read_script(script, workdir=None)
    if "apk " in script and (read.opaque or read.comment_at_end):
        ctx.skip(path, ins.start_line, f"RUN not read: {rw.Refusal.OPAQUE.value}")
        return None
    new = script
    for cmd in sorted(read.commands, key=lambda c: c.start, reverse=True):
        found = _edit(cmd, ins) if cmd.argv else None
        if isinstance(found, str):
            ctx.skip(path, ins.start_line, found)
        elif found is not None:
            new = new[:found.start] + found.text + new[found.end:]
    if new == script:
        return None
    body = script.encode("utf-8", "surrogateescape")
    data = doc.data[:at] + new.encode("utf-8", "surrogateescape") + doc.data[at + len(body):]
    return data if _only_body_changed(doc, ins, data, new) else None


def _only_body_changed(doc: Document, ins: Instruction, data: bytes, body: str) -> bool:
    return changes_only(doc, data, ins.index, (ins.keyword, ins.flags, ins.value, ins.json, (body,)))
