"""A cache cleanup appended at the end of a RUN (shared by apt-lists, dnf-clean-all, yum-clean-all).

A rule says which command leaves a cache in the layer (`writes`), which one already removes it
(`cleans`), which later command would read what the cleanup removes (`reads`) and which one
makes it again first (`refreshes`). The cleanup is appended as `&& <cleanup>` after the RUN's
whole script (before a `;` that ends it: `a; b;` becomes `a; b && <cleanup>;`, so the RUN
still fails when `b` does), so no command of the same RUN runs after it; every later RUN of
the stage, of the stages built FROM it in the file and of the in-repo images built on it is
read (through the model) for a reader. Any doubt is a refusal with a reason.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dockfix.model.shell import Command, Script, read_script
from dockfix.syntax import Document, Instruction, parse
from dockfix.transforms import _run
from dockfix.transforms import _run_words as rw
from dockfix.transforms.base import Context

Argv = tuple[str | None, ...]
# Programs that run another file: what that file does is not read here.
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "zsh", "busybox", ".", "source"})


@dataclass(frozen=True)
class CleanupRule:
    name: str  # "apt lists", for notes
    writes: Callable[[Argv], bool]  # leaves the cache in the layer (`apt-get update`)
    cleans: Callable[[Argv], bool]  # removes it already (`rm -rf /var/lib/apt/lists/*`), words as written
    reads: Callable[[Argv], bool]  # needs what the cleanup removes (`apt-get install`)
    refreshes: Callable[[Argv], bool]  # makes it again (`apt-get update`)
    cleanup: Callable[[Command], str]  # the command to append, for the RUN's writing command
    mounts: tuple[str, ...]  # a cache/tmpfs mount at one of these (absolute) or ending in it keeps the cache out
    mentions: tuple[str, ...]  # words whose presence in an unread part may mean a reader
    final_stages_only: bool = False  # hadolint reports only the image's stages (DL3009, DL3060)
    refusal: Callable[[Command], str | None] = lambda cmd: None  # why a writing command cannot be cleaned after
    same_directory: bool = False  # the cleanup must run in the directory the writing command ran in


def fix(ctx: Context, path: str, doc: Document, rule: CleanupRule) -> bytes | None:
    """`doc` with the cleanup appended to each RUN that needs it, None when unchanged."""
    changed = False
    for index in range(len(doc.instructions)):
        ins = doc.instructions[index]
        if ins.keyword != "RUN" or ins.stage < 0 or ctx.ignored(doc, ins):
            continue
        found = _candidate(doc, ins, rule)
        if found is None or (rule.final_stages_only and not _image_stage(doc, ins.stage)):
            continue
        if isinstance(found, str):
            ctx.skip(path, ins.start_line, found)
            continue
        why = _why_not(ctx, path, doc, ins, found, rule)
        new = _append(doc, ins, found, rule) if why is None else why
        if isinstance(new, str):
            ctx.skip(path, ins.start_line, new)
        else:
            doc, changed = parse(new, doc.path), True
    return doc.data if changed else None


def _candidate(doc: Document, ins: Instruction, rule: CleanupRule) -> tuple[rw.RunScript, Command] | str | None:
    """The RUN's script and its last writing command when the cache is left in the layer; a
    reason when a writing RUN is not read; None when there is nothing to do."""
    if any(_mounted(_mount_target(m), rule.mounts) for m in ins.flag_values("mount") if _cache_mount(m)):
        return None
    run = rw.read_run(doc, ins)
    if isinstance(run, rw.Refusal):
        return f"{rule.name}: RUN not read: {run.value}" if rule.mentions[0] in ins.original else None
    writers = [c for c in run.script.commands if c.argv and rule.writes(c.args)]
    if not writers or any(c.start > writers[-1].start and rule.cleans(_written(c)) for c in run.script.commands):
        return None
    why = _writer_refusal(writers, rule)
    return f"{rule.name}: {why}" if why is not None else (run, writers[-1])


def _writer_refusal(writers: list[Command], rule: CleanupRule) -> str | None:
    if not rw.words_known(writers[-1]):
        return f"a word of `{writers[-1].argv[0].text}` is unknown"
    return next((w for w in map(rule.refusal, writers) if w is not None), None)


def _why_not(ctx: Context, path: str, doc: Document, ins: Instruction, found: tuple[rw.RunScript, Command],
             rule: CleanupRule) -> str | None:
    if _ends_in_background(found[0].script):
        return f"{rule.name}: the RUN ends in a background job"
    for where, reason in _later_readers(ctx, path, doc, ins, rule):
        return f"{rule.name} kept: {where} {reason}"
    return None


def _written(c: Command) -> Argv:
    """Each word's value, or its text when only a pattern makes it unknown (`lists/*`: the reader
    expands no pattern; quotes, `$` and backslashes stay unknown)."""
    return tuple(w.value if w.value is not None or any(ch in w.text for ch in "$`'\"\\") else w.text
                 for w in c.argv)


def _image_stage(doc: Document, index: int) -> bool:
    """The last stage, or one a later FROM builds on (hadolint's DL3009/DL3060 scope)."""
    stage = doc.stages[index]
    if index == len(doc.stages) - 1:
        return True
    return stage.name is not None and any(s.base.lower() == stage.name for s in doc.stages[index + 1:])


def _ends_in_background(script: Script) -> bool:
    items = script.tree.body.items
    return bool(items) and items[-1].background


def _cache_mount(mount: str) -> bool:
    return "type=cache" in mount or "type=tmpfs" in mount


def _mounted(target: str, mounts: tuple[str, ...]) -> bool:
    return any(target == m or (not m.startswith("/") and target.endswith("/" + m)) for m in mounts)


def _mount_target(mount: str) -> str:
    for part in mount.split(","):
        key, _, value = part.partition("=")
        if key in ("target", "dst", "destination"):
            return posixpath.normpath(value) if value else ""
    return ""


# -- later steps --------------------------------------------------------------------------------

def _later_readers(ctx: Context, path: str, doc: Document, ins: Instruction,
                   rule: CleanupRule) -> Iterator[tuple[str, str]]:
    """(where, why) for each later step that reads, or may read, what the cleanup removes."""
    for later_path, later_doc, later in _later_runs(ctx, path, doc, ins):
        why = _reads(later_doc, later, rule)
        if why is not None:
            yield f"{later_path}:{later.start_line}", why


def _later_runs(ctx: Context, path: str, doc: Document,
                ins: Instruction) -> Iterator[tuple[str, Document, Instruction]]:
    """RUNs (ONBUILD ones too) after `ins` in its stage, in the stages built FROM it in this
    file, and in the in-repo images built on an image of this file (with their stages)."""
    stage = doc.stages[ins.stage]
    for other in doc.stage_instructions(stage):
        if other.index > ins.index and other.keyword in ("RUN", "ONBUILD"):
            yield path, doc, other
    for later in doc.stages[stage.index + 1:]:
        if stage.name is not None and later.base.lower() == stage.name:
            yield from _stage_runs(path, doc, later)
    yield from _derived_runs(ctx, path, stage.index)


def _stage_runs(path: str, doc: Document, stage) -> Iterator[tuple[str, Document, Instruction]]:
    for other in doc.stage_instructions(stage):
        if other.keyword in ("RUN", "ONBUILD"):
            yield path, doc, other
    for later in doc.stages[stage.index + 1:]:
        if stage.name is not None and later.base.lower() == stage.name:
            yield from _stage_runs(path, doc, later)


def _derived_runs(ctx: Context, path: str, stage_index: int) -> Iterator[tuple[str, Document, Instruction]]:
    graph = ctx.graph()
    for mapping in graph.images_built_from(path):
        if graph.image_stage(mapping) != stage_index:
            continue
        for dockerfile, stage in graph.derived_of(mapping.ref):
            node = graph.dockerfiles.get(dockerfile)
            if node is not None and node.document is not None and stage < len(node.document.stages):
                derived = ctx.document(dockerfile)
                yield from _stage_runs(dockerfile, derived, derived.stages[stage])


def _reads(doc: Document, ins: Instruction, rule: CleanupRule) -> str | None:
    """Why this later RUN may read what the cleanup removed, None when it does not."""
    target = ins.sub if ins.keyword == "ONBUILD" else ins
    if target is None or target.keyword != "RUN":
        return None
    script = _run.run_script(doc, target, workdir=None)
    if script is not None and ins.keyword == "RUN" and _reads_in(script, rule) == _UNKNOWN_NAME:
        # A name the file's ENV may set (`"$VIRTUAL_ENV/bin/python3"`): read again with it. Not an
        # ONBUILD RUN, which runs in a child's build under the child's ENV.
        script = _run.run_script(doc, target, workdir=None, env=_run.file_env(doc, ins))
    if script is None:
        text = " ".join(target.value)
        return "is not read as a shell script and names the program" if any(m in text for m in rule.mentions) else None
    for part in script.opaque:
        if any(m in script.text[part.start:part.end] for m in rule.mentions):
            return f"has a part the reader cannot follow that names the program ({part.reason.value})"
    return _reads_in(script, rule)


_UNKNOWN_NAME = "runs a command whose name is unknown"


def _reads_in(script: Script, rule: CleanupRule) -> str | None:
    refreshed: int | None = None
    for c in script.commands:
        if not c.argv:
            continue
        args = c.args
        if rule.refreshes(args) and c.checked and refreshed is None:
            refreshed = c.start
        if args[0] is None:
            return _UNKNOWN_NAME
        if _runs_a_file(args):
            return f"runs a script file (`{c.argv[0].text}`) this reading does not follow"
        if rule.reads(args) and (refreshed is None or refreshed > c.start):
            return f"runs `{script.text[c.start:c.end]}`, which reads it"
    return None


def _runs_a_file(args: Argv) -> bool:
    name = args[0] or ""
    if "/" in name and not name.startswith("/"):
        return True  # ./setup.sh, scripts/x.sh
    if posixpath.basename(name) not in _SHELLS:
        return False
    rest = [a for a in args[1:] if a is not None]
    return "-c" not in rest and any(not a.startswith("-") for a in rest)


# -- the edit -------------------------------------------------------------------------------------

def _append(doc: Document, ins: Instruction, found: tuple[rw.RunScript, Command], rule: CleanupRule) -> bytes | str:
    """The file with ` && <cleanup>` after the RUN's script, on its last line, checked by
    re-reading."""
    run, writer = found
    cleanup = rule.cleanup(writer)
    text = doc.data[ins.start:ins.end].decode("utf-8", "surrogateescape")
    script = ins.value[0]
    at = ins.original.rfind(script)
    mapping = rw._align(ins.original, text)
    if at < 0 or mapping is None or not script:
        return f"{rule.name}: the script's end could not be located in the file"
    # Before a `;` that ends the script (`… install -y curl;`): after it, `&&` would not parse.
    end = mapping[at + len(script) - len(_tail(script)) - 1] + 1
    # On the RUN's last line: no line of the file moves (the prover names unread parts by line).
    insert = f" && {cleanup}"
    edited = (text[:end] + insert + text[end:]).encode("utf-8", "surrogateescape")
    data = doc.data[:ins.start] + edited + doc.data[ins.end:]
    if not _checked(doc, ins, data, run.script, cleanup):
        return f"{rule.name}: the edited RUN does not read as intended"
    if rule.same_directory and not _same_directory(run.script, writer, cleanup):
        return f"{rule.name}: the RUN ends in another directory than `{writer.argv[0].text}` ran in"
    return data


_JOIN = re.compile(r"\s*&&\s*")
_END = re.compile(r"\s*;\s*\Z")


def _tail(script: str) -> str:
    """The `;` (and blanks) ending a script, "" when it has none."""
    m = _END.search(script)
    return m.group(0) if m else ""


def _with_cleanup(script: str, cleanup: str) -> str:
    tail = _tail(script)
    return f"{script[:len(script) - len(tail)]} && {cleanup}{tail}"


def _spelled(old: str, value: str, cleanup: str) -> bool:
    """`value` is `old` with `&& <cleanup>` before the `;` that ends it (or at its end)."""
    tail = _tail(old)
    head, body = old[:len(old) - len(tail)], value[:len(value) - len(tail)]
    return (value.startswith(head) and value[len(body):] == tail and body.endswith(cleanup)
            and _JOIN.fullmatch(body[len(head):len(body) - len(cleanup)]) is not None)


def _checked(doc: Document, ins: Instruction, data: bytes, old: Script, cleanup: str) -> bool:
    """Re-parse: every other instruction is the same, and the RUN's script is the old one,
    `&&`, and the cleanup as its own last command (read by the model)."""
    try:
        new_doc = parse(data, doc.path)
    except Exception:  # noqa: BLE001 - an edit that does not parse is refused, never written
        return False
    if len(new_doc.instructions) != len(doc.instructions):
        return False
    new_ins = new_doc.instructions[ins.index]
    value = new_ins.value[0] if new_ins.value and not new_ins.json else ""
    if not _spelled(old.text, value, cleanup) or not rw._checks(doc, ins, data, value):
        return False
    new = rw.read_with_env(new_doc, new_ins, value)  # as read_run read the old one
    same = [[w.value for w in c.argv] for c in new.commands[:-1]] == [[w.value for w in c.argv] for c in old.commands]
    return (not new.opaque and len(new.commands) == len(old.commands) + 1 and same
            and new.commands[-1].checked and value[new.commands[-1].start:new.commands[-1].end] == cleanup)


def _same_directory(old: Script, writer: Command, cleanup: str) -> bool:
    """Read from a placeholder directory, the appended command runs where the writer ran."""
    start = "/dockfix-start"
    new = read_script(_with_cleanup(old.text, cleanup), workdir=start)
    at = next((c for c in new.commands if c.start == writer.start), None)
    return at is not None and at.cwd is not None and at.cwd == new.commands[-1].cwd


# -- dnf, yum, microdnf ---------------------------------------------------------------------------

# Options after which `<manager> clean all` would not clean the cache the install wrote, or the
# install leaves packages in the cache on purpose.
_RPM_REFUSED = frozenset({"installroot", "downloadonly", "downloaddir", "setopt", "config", "cacheonly"})


def rpm_rule(name: str, managers: tuple, subcommands: frozenset[str], caches: tuple[str, ...]) -> CleanupRule:
    """`<manager> clean all` after `<manager> install` (dnf, yum, microdnf), as hadolint's
    DL3040/DL3032 read them: the sub-commands it counts as installs, the `rm -rf` it accepts."""
    from dockfix.model.packages import PackageAction, read_system_packages

    def reading(args: Argv):
        r = read_system_packages(args)
        return r if r is not None and r.manager in managers else None

    def writes(args: Argv) -> bool:
        r = reading(args)
        return r is not None and r.subcommand in subcommands

    def cleans(args: Argv) -> bool:
        r = reading(args)
        if r is not None:
            return r.action is PackageAction.CLEAN
        return posixpath.basename(args[0] or "") == "rm" and any(
            a is not None and a.startswith(caches) for a in args[1:])

    def reads(args: Argv) -> bool:
        r = reading(args)
        if any(a is not None and a.startswith(caches) for a in args[1:]):
            return True
        return r is not None and (not r.exact or r.value("cacheonly") is not None)

    return CleanupRule(name=name, writes=writes, cleans=cleans, reads=reads, refreshes=lambda args: False,
                       cleanup=lambda cmd: f"{cmd.argv[0].text} clean all", mounts=caches,
                       mentions=tuple(m.value for m in managers) + caches, refusal=_rpm_refusal)


def _rpm_refusal(cmd: Command) -> str | None:
    """Why `clean all` cannot follow this install: an option that moves or keeps the cache, a
    program word written with quotes or expansions (the clean repeats it as written)."""
    from dockfix.model.packages import read_system_packages

    r = read_system_packages(cmd.args)
    if r is None or not r.exact:
        return "the install is not read exactly"
    named = sorted({o.dest for o in r.options} & _RPM_REFUSED)
    if named:
        return f"the install sets --{named[0]}: its cache is elsewhere or kept on purpose"
    if cmd.argv[0].text != cmd.argv[0].value:
        return "the program word is quoted or expanded"
    return None
