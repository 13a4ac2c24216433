"""`dockfix scan`: the repository's Docker analysis (seed 000's STEP 1), derived from the texts.

For every Dockerfile: base image, Python version, stages, instructions and layers; apt
installs and whether each RUN cleans the apt lists; pip installs and `--no-cache-dir`; the
user the image runs as; each COPY/ADD source against `.dockerignore`; duplicate
Dockerfiles; and what each preset would change (transforms, line ranges, notes, the
prover's verdict). Nothing is built and nothing is written.

Where the facts come from: `dockfix.syntax` (BuildKit's reading of each file), the graph
(images, contexts, `.dockerignore`, what each stage is FROM), the prover's image model
(Python version, effective USER, pip sites, COPY sources a build would fail on) and
`pipeline.make_plan` per preset. This module only collects and renders them.

Layers: the instructions that add a filesystem layer, RUN, COPY and ADD, counted in the
stage the image is built from (WORKDIR, ENV and the rest change only the image config).
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockfix.config import Config
from dockfix.graph import Graph, build_graph
from dockfix.graph.dockerignore import DockerIgnore
from dockfix.model.packages import (PackageAction, PackageManager, PipAction, SystemPackageCommand, cleans_apt_lists,
                                    read_pip, read_system_packages)
from dockfix.model.run import DEFAULT_SHELL, RunForm, run_execution
from dockfix.model.shell import read_script
from dockfix.model.stage_state import BaseImage, StateBefore, shell_before, stage_chain, state_before
from dockfix.syntax import Document, Instruction
from dockfix.tree import Tree, named

LAYER_INSTRUCTIONS = ("RUN", "COPY", "ADD")
SCAN_SCHEMA_VERSION = 1


# -- facts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageFacts:
    index: int
    name: str | None
    line: int  # the FROM line
    base: str  # the resolved reference (a stage name for kind "stage")
    base_raw: str  # as written in FROM
    base_kind: str  # "external" | "internal" | "stage"
    base_how: str  # "as written" | "ARG default" | "build arg" | ...
    base_dockerfile: str | None  # the Dockerfile of an in-repo base image
    instructions: tuple[str, ...]  # keywords in order, FROM first

    @property
    def label(self) -> str:
        return f"`{self.name}`" if self.name else f"stage {self.index}"

    def layers(self) -> dict[str, int]:
        return {k: self.instructions.count(k) for k in LAYER_INSTRUCTIONS if k in self.instructions}


@dataclass(frozen=True)
class PackageRun:
    """A RUN that installs system packages (apt-get/apt/apk)."""

    line: int
    stage: int
    manager: str  # "apt" | "apk"
    packages: tuple[str, ...]
    repositories: tuple[str, ...]  # add-apt-repository arguments
    cleaned: bool  # the package index is not left in the layer
    how: str  # what cleans it, or what is left


@dataclass(frozen=True)
class PipRun:
    line: int
    stage: int
    command: str  # the pip command, words joined
    no_cache: bool
    how: str  # "--no-cache-dir" | "PIP_NO_CACHE_DIR" | "cache mount" | ""


@dataclass(frozen=True)
class CopySource:
    line: int
    stage: int
    keyword: str  # COPY | ADD
    source: str
    status: str  # "context" | "stage" | "excluded" | "missing" | "url" | "heredoc"
    detail: str = ""  # the .dockerignore pattern for "excluded", the stage for "stage"


@dataclass(frozen=True)
class UserFacts:
    user: str  # "root" when no USER is in force
    where: tuple[str, int] | None  # (Dockerfile, line) of the USER in force
    user_sites: tuple[str, ...]  # pip --user sites in the image (e.g. /root/.local)

    @property
    def is_root(self) -> bool:
        return self.user.split(":")[0] in ("root", "0")


@dataclass(frozen=True)
class PresetChange:
    option: int
    transforms: tuple[str, ...]  # transforms that changed this file, in run order
    regions: tuple[tuple[int, int], ...]  # 1-based line ranges of the file as it is
    removed: int
    added: int
    notes: tuple[str, ...]  # "L34: skip: ... [transform]"


@dataclass
class DockerfileFacts:
    path: str
    images: tuple[tuple[str, str], ...]  # (image ref, where the mapping comes from)
    derived: tuple[str, ...]  # in-repo images built FROM this file's images
    context: str
    dockerignore: str | None
    stages: tuple[StageFacts, ...]
    image_stage: int  # the stage the image is built from (the last one without a target)
    python: str | None
    python_source: str
    base_chain: tuple[str, ...]  # in-repo images below this one, nearest first
    external_base: str | None
    packages: tuple[PackageRun, ...]
    pip: tuple[PipRun, ...]
    user: UserFacts
    copies: tuple[CopySource, ...]
    duplicate_of: str | None = None
    duplicated_by: tuple[str, ...] = ()
    presets: list[PresetChange] = field(default_factory=list)

    @property
    def final(self) -> StageFacts:
        return self.stages[self.image_stage]


@dataclass(frozen=True)
class IgnorePattern:
    line: int
    text: str
    excludes: int  # context files this pattern decides to exclude
    blocks: tuple[tuple[str, int, str], ...]  # (Dockerfile, line, COPY source) it breaks


@dataclass
class IgnoreFacts:
    path: str
    used_by: tuple[str, ...]
    patterns: tuple[IgnorePattern, ...]
    presets: list[PresetChange] = field(default_factory=list)


@dataclass(frozen=True)
class PresetSummary:
    option: int
    title: str
    transforms: tuple[str, ...]
    files: tuple[str, ...]
    verdict: str
    holds: bool


@dataclass
class ScanReport:
    root: str
    dockerfiles: list[DockerfileFacts]
    ignores: list[IgnoreFacts]
    presets: list[PresetSummary]
    unparsable: list[str] = field(default_factory=list)
    layer_trees: list = field(default_factory=list)  # dockfix.layers_view.BaseTree, per base


# -- shell reading: the model's (model.run says what BuildKit runs, model.shell reads it) ----
@dataclass(frozen=True)
class ShellCommand:
    """One simple command of a RUN as scan reports it."""

    argv: tuple[str | None, ...]  # values; None where a word is not known exactly
    assigned: tuple[tuple[str, str | None], ...]  # `NAME=value` before the command
    written: tuple[str, ...] = ()  # each word's value, or as written when unknown (a glob: `lists/*`)
    env: tuple[tuple[str, str | None], ...] = ()  # what the command runs with (model.shell; None: unknown)

    @property
    def shown(self) -> str:
        return " ".join("…" if w is None else w for w in self.argv)


def run_commands(ins: Instruction, shell: tuple[str, ...] = DEFAULT_SHELL,
                 env: Mapping[str, str | None] | None = None) -> list[ShellCommand]:
    """The simple commands a RUN executes under `shell`, in order (`sudo`/`env` dropped
    from the front). A RUN no POSIX shell reads (another SHELL, a `#!` heredoc) gives none.
    `env`: the variables the RUN starts with (`run_env`); any other is unknown."""
    run = run_execution(ins, shell)
    if run.form is RunForm.EXEC:
        commands = [ShellCommand(run.argv, (), run.argv, tuple(sorted((env or {}).items())))]
    elif not run.posix_shell:
        return []
    else:
        commands = [ShellCommand(c.args, tuple((a.name, a.value.value) for a in c.assignments),
                                 tuple(w.text if w.value is None else w.value for w in c.argv), c.env)
                    for c in read_script(run.script or "", workdir=None, env=env).commands]
    out = []
    for c in commands:
        drop = 1 if c.argv and c.argv[0] in ("sudo", "env") else 0
        if c.argv[drop:]:
            out.append(ShellCommand(c.argv[drop:], c.assigned, c.written[drop:], c.env))
    return out


def run_env(state: StateBefore) -> dict[str, str | None]:
    """The variables a RUN starts with (`model.stage_state`: the stage chain's ENV and ARG
    defaults, on what an in-repo base image sets); None where the value is not known (a
    build argument without a default, a variable that may be unset)."""
    return {name: None if b.maybe_unset else b.value.text for name, b in state.scope.bound.items()}


def _program(command: ShellCommand) -> str:
    name = command.argv[0]
    return "" if name is None else posixpath.basename(name)


def _cache_mounts(ins: Instruction) -> list[str]:
    """Targets of `RUN --mount=type=cache,target=...`."""
    out = []
    for spec in ins.flag_values("mount"):
        fields = dict(p.split("=", 1) for p in spec.split(",") if "=" in p)
        if fields.get("type") == "cache":
            out.append(posixpath.normpath(fields.get("target") or fields.get("dst") or fields.get("destination") or "/"))
    return out


# -- packages and pip: the model's readers (model.packages) --------------------------------
_APT = (PackageManager.APT_GET, PackageManager.APT)
_APK_CACHE = ("/var/cache/apk", "/var/cache/apk/", "/var/cache/apk/*")


@dataclass
class _PackageReading:
    manager: str = ""  # "apt" | "apk" | "" (no install)
    packages: list[str] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)
    apt_cleaned: bool = False
    apk_cleaned: bool = False

    def read(self, command: ShellCommand) -> None:
        system = read_system_packages(command.argv)
        if system is not None and system.action is PackageAction.INSTALL:
            self._install(system)
        elif _program(command) == "add-apt-repository":
            self.repositories += [a for a in command.argv[1:] if a is not None and not a.startswith("-")]
        elif cleans_apt_lists(command.written):  # `lists/*` as written: no pattern is expanded
            self.apt_cleaned = True
        elif _program(command) == "rm" and any(a in _APK_CACHE for a in command.written[1:]):
            self.apk_cleaned = True

    def _install(self, system: SystemPackageCommand) -> None:
        if system.manager not in (*_APT, PackageManager.APK):
            return  # dnf/yum: not in scan's report
        apk = system.manager is PackageManager.APK
        self.manager = self.manager or ("apk" if apk else "apt")
        self.packages += [p for p in system.packages if p is not None and not p.startswith("-")]
        self.apk_cleaned = self.apk_cleaned or (apk and system.no_cache)


def package_run(ins: Instruction, shell: tuple[str, ...] = DEFAULT_SHELL) -> PackageRun | None:
    """The system packages a RUN installs, and whether it leaves the package index behind."""
    found = _PackageReading()
    for command in run_commands(ins, shell):
        found.read(command)
    if not found.manager:
        return None
    mounts = _cache_mounts(ins)
    if found.manager == "apt":
        mounted = any(m in ("/var/lib/apt", "/var/lib/apt/lists") for m in mounts)
        cleaned = found.apt_cleaned or mounted
        how = ("removes /var/lib/apt/lists" if found.apt_cleaned else "cache mount on /var/lib/apt" if mounted
               else "leaves /var/lib/apt/lists in the layer")
    else:
        mounted = "/var/cache/apk" in mounts
        cleaned = found.apk_cleaned or mounted
        how = "apk --no-cache or cache removed" if cleaned else "leaves /var/cache/apk in the layer"
    return PackageRun(ins.start_line, ins.stage, found.manager, tuple(dict.fromkeys(found.packages)),
                      tuple(found.repositories), cleaned, how)


def pip_runs(ins: Instruction, env: Mapping[str, str | None] | None = None,
             shell: tuple[str, ...] = DEFAULT_SHELL) -> list[PipRun]:
    """Every `pip install` of a RUN and whether it keeps pip's cache out of the layer.
    `env`: the variables the RUN starts with (`run_env`); pip reads PIP_NO_CACHE_DIR there
    and in the command's own environment (the model's pip reader, with pip's rules)."""
    out = []
    mounted = any(m.endswith("/.cache/pip") or m.endswith("/.cache") for m in _cache_mounts(ins))
    for command in run_commands(ins, shell, env):
        pip = read_pip(command.argv)
        if pip is None or pip.action is not PipAction.INSTALL:
            continue
        if pip.no_cache is True:
            how = "--no-cache-dir"
        elif read_pip(command.argv, env=dict(command.env)).no_cache is True:
            how = "PIP_NO_CACHE_DIR"
        elif mounted:
            how = "cache mount"
        else:
            how = ""
        out.append(PipRun(ins.start_line, ins.stage, command.shown, bool(how), how))
    return out


# -- collection ----------------------------------------------------------------------------
def _stage_facts(graph: Graph, path: str, doc: Document) -> tuple[StageFacts, ...]:
    out = []
    for st in doc.stages:
        b = graph.base_of(path, st.index)
        kind = b.kind if b else "external"
        out.append(StageFacts(
            index=st.index, name=st.name, line=doc.instructions[st.from_index].start_line,
            base=(b.ref if b else st.base), base_raw=st.base, base_kind=kind,
            base_how=(b.how if b else "as written"),
            base_dockerfile=(b.image.dockerfile if b is not None and b.image is not None else None),
            instructions=tuple(i.keyword for i in doc.stage_instructions(st))))
    return tuple(out)


def _copy_sources(doc: Document, breaks: dict[tuple[int, str], tuple[str, str]]) -> tuple[CopySource, ...]:
    out = []
    for ins in doc.instructions:
        if ins.keyword not in ("COPY", "ADD"):
            continue
        if ins.heredocs:
            out += [CopySource(ins.start_line, ins.stage, ins.keyword, f"<<{h.name}", "heredoc") for h in ins.heredocs]
            continue
        frm = ins.flag("from")
        for src in ins.value[:-1]:
            if frm is not None:
                out.append(CopySource(ins.start_line, ins.stage, ins.keyword, src, "stage", frm))
            elif "://" in src or src.startswith("git@"):
                out.append(CopySource(ins.start_line, ins.stage, ins.keyword, src, "url"))
            else:
                status, detail = breaks.get((ins.start_line, src), ("context", ""))
                out.append(CopySource(ins.start_line, ins.stage, ins.keyword, src, status, detail))
    return tuple(out)


def _signature(graph: Graph, path: str, doc: Document) -> tuple:
    """The file's instructions with comments, layout and stage names left out: two files
    with the same signature build the same images."""
    index = {st.name: str(st.index) for st in doc.stages if st.name}
    out: list[tuple] = []
    for ins in doc.instructions:
        if ins.keyword == "FROM":
            b = graph.base_of(path, ins.stage)
            ref = (b.kind, str(b.stage) if b and b.kind == "stage" else (b.ref if b else ins.value[0]))
            out.append(("FROM", ins.flags, ref))
            continue
        flags = tuple(f"--from={index.get(f[7:].lower(), f[7:])}" if f.startswith("--from=") else f
                      for f in ins.flags)
        out.append((ins.keyword, flags, ins.value, tuple(h.content for h in ins.heredocs)))
    return tuple(out)


def _lines(data: bytes) -> list[bytes]:
    """Lines as BuildKit and git number them: only "\\n" ends one."""
    parts = data.split(b"\n")
    return parts[:-1] if parts[-1] == b"" else parts


def _changes(before: bytes | None, after: bytes) -> tuple[tuple[tuple[int, int], ...], int, int]:
    """Line ranges of `before` a change replaces (an insertion names the line it goes
    before), and the number of lines removed and added."""
    a, b = _lines(before or b""), _lines(after)
    regions, removed, added = [], 0, 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed += i2 - i1
        added += j2 - j1
        start = min(i1 + 1, max(len(a), 1))
        regions.append((start, max(min(i2, max(len(a), 1)), start)))
    return tuple(regions), removed, added


def _ignore_facts(graph: Graph, path: str, used_by: list[str], blocked: list[tuple[str, int, str]]) -> IgnoreFacts:
    """Each pattern of one .dockerignore: how many context files it leaves out, and which
    COPY/ADD sources (`blocked`: Dockerfile, line, source) it is the deciding pattern for."""
    ignore = DockerIgnore.parse(graph.tree.read(path))
    context = graph.dockerfiles[used_by[0]].context
    files = graph.context_files(context)
    decided: dict[int, int] = {}
    for f in files:
        p = ignore.deciding_pattern(f)
        if p is not None and not p.negated:
            decided[p.line] = decided.get(p.line, 0) + 1
    blocks: dict[int, list[tuple[str, int, str]]] = {}
    for df, line, src in blocked:
        s = posixpath.normpath(src.lstrip("/"))
        under = named(files, s)
        p = ignore.deciding_pattern(under[0]) if under else None
        if p is not None:
            blocks.setdefault(p.line, []).append((df, line, src))
    patterns = tuple(IgnorePattern(p.line, p.text, decided.get(p.line, 0), tuple(blocks.get(p.line, ())))
                     for p in ignore.patterns)
    return IgnoreFacts(path, tuple(used_by), patterns)


def _order(graph: Graph, paths: list[str]) -> list[str]:
    """Dockerfiles by path, each after the in-repo Dockerfiles its stages are built FROM."""
    out: list[str] = []
    seen: set[str] = set()

    def visit(p: str) -> None:
        if p in seen:
            return
        seen.add(p)
        node = graph.dockerfiles[p]
        if node.document is not None:
            for st in node.document.stages:
                b = graph.base_of(p, st.index)
                if b is not None and b.kind == "internal" and b.image.dockerfile in graph.dockerfiles:
                    visit(b.image.dockerfile)
        out.append(p)

    for p in sorted(paths):
        visit(p)
    return out


def _base_env(graph: Graph, builder, path: str, stage: int) -> dict[str, str]:
    """The environment a stage starts with: its base stage's or in-repo base image's."""
    b = graph.base_of(path, stage)
    if b is None or b.kind == "external":
        return {}
    if b.kind == "stage":
        return builder.stage_state(path, b.stage).env
    st = graph.image_stage(b.image)
    return {} if st is None else builder.stage_state(b.image.dockerfile, st, b.image.args).env


def collect(tree: Tree, config: Config) -> ScanReport:
    """Every fact but the presets'. The tree must hold Dockerfiles that parse
    (`engine.check_input`)."""
    from dockfix.prover.model import ModelBuilder

    graph = build_graph(tree, config)
    builder = ModelBuilder(tree, config, graph)
    models = builder.models()  # image stages first, with their build args
    by_file = {}
    for m in models.values():
        by_file.setdefault(m.dockerfile, m)
    facts: list[DockerfileFacts] = []
    unparsable = sorted(p for p, n in graph.dockerfiles.items() if n.document is None)
    for path in _order(graph, [p for p, n in graph.dockerfiles.items() if n.document is not None]):
        model = by_file.get(path)
        if model is not None and graph.dockerfiles[path].document.stages:
            facts.append(_file_facts(graph, builder, path, model))
    _mark_duplicates(graph, facts)
    return ScanReport(root=str(tree.root), dockerfiles=facts, ignores=_ignores(graph, facts), presets=[],
                      unparsable=unparsable, layer_trees=_layer_trees(graph, facts))


def _ignores(graph: Graph, facts: list[DockerfileFacts]) -> list:
    """Each `.dockerignore` in force, with the COPY sources it excludes (in file order)."""
    blocked: dict[str, list[tuple[str, int, str]]] = {}
    for f in facts:
        if f.dockerignore:
            blocked.setdefault(f.dockerignore, []).extend(
                (f.path, c.line, c.source) for c in f.copies if c.status == "excluded")
    ignores = []
    for ig in sorted({f.dockerignore for f in facts if f.dockerignore}):
        used_by = [f.path for f in facts if f.dockerignore == ig]
        ignores.append(_ignore_facts(graph, ig, used_by, blocked.get(ig, [])))
    return ignores


def _file_facts(graph: Graph, builder, path: str, model) -> DockerfileFacts:
    """The facts of one Dockerfile that parsed, from its image's model."""
    node = graph.dockerfiles[path]
    doc = node.document
    copies = _copy_sources(doc, _copy_breaks(builder, path, doc))
    state = model.state
    pip, packages = _install_runs(graph, builder, path, doc)
    user = UserFacts(user=(state.user or "root"), where=state.where.get("USER"),
                     user_sites=tuple(sorted(s for s in state.sites if s != "system")))
    images = tuple((m.ref, str(m.source)) for m in sorted(graph.images_built_from(path), key=lambda m: m.ref))
    derived = tuple(sorted({d for ref, _ in images for d, _ in graph.derived_of(ref)}))
    return DockerfileFacts(
        path=path, images=images, derived=derived, context=node.context, dockerignore=node.dockerignore,
        stages=_stage_facts(graph, path, doc), image_stage=model.stage, python=state.python,
        python_source=state.python_source, base_chain=model.base_chain, external_base=model.external_base,
        packages=tuple(packages), pip=tuple(pip), user=user, copies=copies)


def _copy_breaks(builder, path: str, doc: Document) -> dict[tuple[int, str], tuple[str, str]]:
    """(line, source) -> (excluded | missing, detail) for this file's COPY sources the
    model says the build cannot read."""
    breaks: dict[tuple[int, str], tuple[str, str]] = {}
    for st in doc.stages:
        for br in builder.stage_state(path, st.index).breaks:
            if br.path == path and br.kind in ("copy-excluded-source", "copy-missing-source"):
                status = "excluded" if br.kind == "copy-excluded-source" else "missing"
                breaks[(br.line, br.subject)] = (status, br.detail)
    return breaks


def _install_runs(graph: Graph, builder, path: str, doc: Document) -> tuple[list[PipRun], list[PackageRun]]:
    """The pip installs and the system package installs of every RUN in a stage."""
    pip: list[PipRun] = []
    packages: list[PackageRun] = []
    bases: dict[int, BaseImage | None] = {}  # by the first stage of a chain: what its base sets
    for ins in doc.instructions:
        if ins.keyword != "RUN" or ins.stage < 0:
            continue
        # the SHELL in force (a parent stage's too); one not in JSON form is no POSIX shell's
        shell = shell_before(doc, ins) or ("?",)
        pr = package_run(ins, shell)
        if pr is not None:
            packages.append(pr)
        root = stage_chain(doc, ins.stage)[-1]
        if root not in bases:
            env = _base_env(graph, builder, path, root)
            bases[root] = BaseImage(None, tuple(sorted(env.items()))) if env else None
        pip += pip_runs(ins, run_env(state_before(doc, ins, bases[root])), shell)
    return pip, packages


def _layer_trees(graph: Graph, facts: list[DockerfileFacts]) -> list:
    """The images' layer trees: one member per Dockerfile that names an image (its image stage)."""
    from dockfix.layers_view import Member, layer_trees

    members = [Member(", ".join(r for r, _ in f.images), f.path, f.image_stage) for f in facts if f.images]
    return layer_trees(graph, members)


def _mark_duplicates(graph: Graph, facts: list[DockerfileFacts]) -> None:
    """Files with the same signature: the one other images are built on (else the one with
    an image name, else the first path) is the original; the others duplicate it."""
    groups: dict[tuple, list[DockerfileFacts]] = {}
    for f in facts:
        doc = graph.dockerfiles[f.path].document
        groups.setdefault(_signature(graph, f.path, doc), []).append(f)
    for group in groups.values():
        if len(group) < 2:
            continue
        original = sorted(group, key=lambda f: (not f.derived, not f.images, f.path))[0]
        others = [f for f in group if f is not original]
        original.duplicated_by = tuple(f.path for f in others)
        for f in others:
            f.duplicate_of = original.path


def add_presets(report: ScanReport, root: Path, config: Config, options=(1, 2, 3)) -> None:
    """Run each preset's plan (as `dockfix plan --option N` would, with the configuration's
    select/ignore) and record, per file, the transforms, line ranges and notes."""
    from dockfix import pipeline, transforms

    files = {f.path: f for f in report.dockerfiles}
    files.update({i.path: i for i in report.ignores})
    for option in options:
        names = transforms.select(option, list(config.select) or None, list(config.ignore))
        plan = pipeline.make_plan(root, config, names, option)
        changed = plan.changed
        for path, target in files.items():
            notes = tuple(f"L{n.line}: {n.kind}: {n.message} [{n.transform}]" if n.line else
                          f"{n.kind}: {n.message} [{n.transform}]"
                          for n in plan.outcome.notes if n.path == path)
            if path in changed:
                old, new = changed[path]
                regions, removed, added = _changes(old, new)
                target.presets.append(PresetChange(option, tuple(plan.outcome.transforms_of(path)),
                                                   regions, removed, added, notes))
            else:
                target.presets.append(PresetChange(option, (), (), 0, 0, notes))
        report.presets.append(PresetSummary(option, transforms.PRESET_TITLES.get(option, ""), tuple(names),
                                            tuple(changed), plan.verdict.summary(), plan.verdict.holds))


def scan(root: Path, config: Config) -> ScanReport:
    """The whole analysis of ROOT. Bad input (a Dockerfile BuildKit rejects) raises
    DockerfileSyntaxError naming the file and line, before anything is collected."""
    from dockfix import engine

    tree = Tree(root, exclude=config.exclude)
    engine.check_input(tree, config)
    report = collect(tree, config)
    report.root = str(root)
    add_presets(report, root, config)
    return report


# -- rendering -----------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fold(keywords: tuple[str, ...]) -> str:
    """FROM, ENV, ENV, RUN -> `FROM, ENV ×2, RUN`."""
    out: list[tuple[str, int]] = []
    for k in keywords:
        if out and out[-1][0] == k:
            out[-1] = (k, out[-1][1] + 1)
        else:
            out.append((k, 1))
    return ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in out)


def _layers_text(layers: dict[str, int]) -> str:
    total = sum(layers.values())
    parts = ", ".join(f"{k} {n}" for k, n in layers.items())
    return f"{total} ({parts})" if parts else "0"


def _ranges(regions: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(f"L{a}" if a == b else f"L{a}-{b}" for a, b in regions)


def base_text(f: DockerfileFacts) -> str:
    parts = []
    seen: dict[tuple, list[str]] = {}
    for st in f.stages:
        key = (st.base_kind, st.base, st.base_raw, st.base_how, st.base_dockerfile)
        seen.setdefault(key, []).append(st.label)
    for (kind, ref, raw, how, dockerfile), labels in seen.items():
        where = "" if len(f.stages) == 1 else f" ({', '.join(labels)})"
        if kind == "stage":
            text = f"stage `{ref}`"
        else:
            text = _code(ref)
        if raw != ref and kind != "stage":
            text += f" from `FROM {raw}` ({how})"
        if kind == "internal":
            text += f", the in-repo image of {_code(dockerfile)}"
        parts.append(text + where)
    text = "; ".join(parts)
    if f.base_chain and f.external_base:
        text += f"; on {_code(f.external_base)}"
    return text


def python_text(f: DockerfileFacts) -> str:
    if f.python is None:
        return f"unknown ({f.python_source}: not a python image, and no pythonX.Y apt package)"
    src = f.python_source
    if f.final.base_kind == "internal" and f.path not in src:
        return f"{f.python} (inherited from {_code(f.final.base)}: {src})"
    return f"{f.python} ({src})"


def stages_text(f: DockerfileFacts) -> str:
    chain = " → ".join(f"{st.label} L{st.line}" for st in f.stages)
    kind = "single stage" if len(f.stages) == 1 else f"{len(f.stages)} stages (multi-stage)"
    if len(f.stages) == 1:
        return kind
    return f"{kind}: {chain}; the image is {f.final.label}"


def instructions_text(f: DockerfileFacts) -> str:
    if len(f.stages) == 1:
        st = f.stages[0]
        return f"{fold(st.instructions)} ({len(st.instructions)})"
    return "<br>".join(f"{st.label}: {fold(st.instructions)} ({len(st.instructions)})" for st in f.stages)


def layers_text(f: DockerfileFacts) -> str:
    final = f.final
    text = _layers_text(final.layers())
    if len(f.stages) > 1:
        text += f" in {final.label}"
        others = [st for st in f.stages if st.index != final.index]
        text += "; " + "; ".join(f"{st.label}: {_layers_text(st.layers())}" for st in others) + ", not in the image"
    if final.base_kind == "internal":
        text += f", on top of {_code(final.base)}'s layers"
    return text


def _stage_of(f: DockerfileFacts, index: int) -> str:
    return f" ({f.stages[index].label})" if len(f.stages) > 1 else ""


def packages_text(f: DockerfileFacts) -> str:
    if not f.packages:
        return "none"
    rows = []
    for p in f.packages:
        text = f"L{p.line}{_stage_of(f, p.stage)}: "
        if p.repositories:
            text += "adds " + ", ".join(_code(r) for r in p.repositories) + "; "
        text += ", ".join(p.packages)
        if p.manager != "apt":
            text += f" ({p.manager})"
        rows.append(text)
    return "<br>".join(rows)


def cleanup_text(f: DockerfileFacts) -> str:
    if not f.packages:
        return "n/a (no package installs)"
    bad = [p for p in f.packages if not p.cleaned]
    if not bad:
        lines = ", ".join(f"L{p.line}" for p in f.packages)
        hows = sorted({p.how for p in f.packages})
        return f"✅ every install RUN cleans up ({lines}: {'; '.join(hows)})"
    return "❌ " + "; ".join(f"L{p.line} {p.how}" for p in bad)


def pip_text(f: DockerfileFacts) -> str:
    if not f.pip:
        return "n/a (no pip install)"
    bad = [p for p in f.pip if not p.no_cache]
    good = [p for p in f.pip if p.no_cache]
    parts = []
    if bad:
        parts.append("❌ without it: " + ", ".join(f"L{p.line} {_code(p.command)}" for p in bad))
    if good:
        mark = "✅ " if not bad else "with it: "
        parts.append(mark + ", ".join(f"L{p.line}" + ("" if p.how == "--no-cache-dir" else f" ({p.how})")
                                      for p in good))
    return "; ".join(parts)


def user_text(f: DockerfileFacts) -> str:
    u = f.user
    if u.where is None:
        bases = " or in " + ", ".join(_code(b) for b in f.base_chain) if f.base_chain else ""
        text = f"❌ root (no USER in this file{bases})"
    else:
        where = f"L{u.where[1]}" if u.where[0] == f.path else f"{u.where[0]}:{u.where[1]}"
        text = f"{'❌' if u.is_root else '✅'} {u.user} (USER at {where})"
    if u.user_sites:
        text += "; pip --user site " + ", ".join(_code(s) for s in u.user_sites)
    return text


def copies_text(f: DockerfileFacts) -> str:
    if not f.copies:
        return "none"
    groups: dict[str, list[CopySource]] = {}
    for c in f.copies:
        groups.setdefault(c.status, []).append(c)
    labels = {"context": "✅ in the build context", "stage": "from another stage", "url": "from a URL",
              "heredoc": "inline (heredoc)"}
    parts = []
    for status in ("excluded", "missing"):
        for c in groups.get(status, []):
            why = (f"excluded by {_code(c.detail)}" if status == "excluded" else
                   f"not in the build context {_code(f.context or '.')}")
            parts.append(f"❌ L{c.line} {_code(c.source)}: {why}; the build fails here")
    for status in ("context", "stage", "url", "heredoc"):
        items = groups.get(status, [])
        if not items:
            continue
        if status == "stage":
            listed = ", ".join(f"L{c.line} {_code(c.detail + ':' + c.source)}" for c in items)
        else:
            listed = ", ".join(f"L{c.line} {_code(c.source)}" for c in items)
        parts.append(f"{labels[status]}: {listed}")
    return "<br>".join(parts)


def duplicate_text(f: DockerfileFacts) -> str | None:
    if f.duplicate_of:
        return (f"same instructions as {_code(f.duplicate_of)} (only comments, layout and stage "
                f"names differ)")
    if f.duplicated_by:
        return "duplicated by " + ", ".join(_code(p) for p in f.duplicated_by)
    return None


def image_text(f: DockerfileFacts) -> str:
    if not f.images:
        return "none (no build command, compose, bake or config names one)"
    text = "; ".join(f"{_code(ref)} ({src})" for ref, src in f.images)
    if f.derived:
        text += "; base of " + ", ".join(_code(d) for d in f.derived)
    return text


def _preset_rows(presets: list[PresetChange], titles: dict[int, str]) -> list[str]:
    rows = ["| Option | Transforms | Lines (+added/-removed) | Notes |", "| --- | --- | --- | --- |"]
    for p in presets:
        title = f"{p.option} ({titles.get(p.option, '')})"
        if p.transforms:
            what = ", ".join(p.transforms)
            lines = f"{_ranges(p.regions)} (+{p.added}/-{p.removed})"
        else:
            what, lines = "no change", ""
        rows.append(f"| {title} | {what} | {lines} | {_cell('<br>'.join(p.notes))} |")
    return rows


def _shared_base_skipped(report: ScanReport, f: DockerfileFacts) -> str | None:
    """The in-repo base image (one other images are built on) whose own external base is
    the one `f` uses directly, when `f` is neither that base nor a copy of it."""
    if f.final.base_kind != "external" or f.derived or f.duplicate_of:
        return None
    for other in report.dockerfiles:
        if other is f or not other.derived or other.final.base_kind != "external":
            continue
        if other.final.base == f.final.base and other.images:
            return other.images[0][0]
    return None


def findings(report: ScanReport) -> list[str]:
    """The repository-level conclusions, one sentence each."""
    out = _copy_findings(report)
    for f in report.dockerfiles:
        if f.duplicate_of:
            out.append(f"`{f.path}` has the same instructions as `{f.duplicate_of}`: one of them is redundant.")
    roots = [f.path for f in report.dockerfiles if f.user.is_root]
    if roots:
        n = len(report.dockerfiles)
        out.append(f"{len(roots)} of {n} Dockerfiles run as root: " + ", ".join(f"`{p}`" for p in roots) + ".")
    out += _cache_findings(report)
    for f in report.dockerfiles:
        shared = _shared_base_skipped(report, f)
        if shared is not None:
            out.append(f"`{f.path}` is built on {_code(f.final.base)} directly, not on "
                       f"{_code(shared)}, the in-repo image built on it that other images share.")
    return out


def _copy_findings(report: ScanReport) -> list[str]:
    out = []
    for f in report.dockerfiles:
        for c in f.copies:
            if c.status == "excluded":
                out.append(f"`{f.path}:{c.line}`: {c.keyword} source {_code(c.source)} is excluded by "
                           f"{_code(c.detail)}; the build fails at this step.")
            elif c.status == "missing":
                out.append(f"`{f.path}:{c.line}`: {c.keyword} source {_code(c.source)} is not in the build "
                           f"context; the build fails at this step.")
    return out


def _cache_findings(report: ScanReport) -> list[str]:
    """Package indexes and pip caches left in layers."""
    out = []
    dirty = [(f.path, p.line) for f in report.dockerfiles for p in f.packages if not p.cleaned]
    if dirty:
        out.append("Package installs that leave the index in the layer: "
                   + ", ".join(f"`{p}:{line}`" for p, line in dirty) + ".")
    elif any(f.packages for f in report.dockerfiles):
        out.append("Every apt/apk install cleans its package index.")
    cached = [(f.path, p.line) for f in report.dockerfiles for p in f.pip if not p.no_cache]
    if cached:
        out.append("pip installs without `--no-cache-dir`: " + ", ".join(f"`{p}:{line}`" for p, line in cached) + ".")
    return out


def to_markdown(report: ScanReport) -> str:
    from dockfix.transforms import PRESET_TITLES

    out = _markdown_head(report)
    out += ["## Overview", "",
            "| Dockerfile | Image | Base image | Python | Stages | Layers | apt cleanup | pip --no-cache-dir | User |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    out += [_overview_row(f) for f in report.dockerfiles]
    out += ["", "## Findings", ""]
    out += [f"- {line}" for line in findings(report)]
    for f in report.dockerfiles:
        out += _dockerfile_section(f, PRESET_TITLES)
    for ig in report.ignores:
        out += _ignore_section(ig, PRESET_TITLES)
    out += shared_layers_markdown(report)
    if report.presets:
        out += ["", "## Presets", "", "| Option | Transforms | Files changed | Prover |", "| --- | --- | --- | --- |"]
        for p in report.presets:
            files = ", ".join(f"`{x}`" for x in p.files) or "none"
            out.append(f"| {p.option} ({p.title}) | {', '.join(p.transforms)} | {len(p.files)}: {files} | "
                       f"{_cell(p.verdict)} |")
    return "\n".join(out) + "\n"


def _markdown_head(report: ScanReport) -> list[str]:
    out: list[str] = [f"# dockfix scan: `{report.root}`", ""]
    images = sum(len(f.images) for f in report.dockerfiles)
    out.append(f"{len(report.dockerfiles)} Dockerfiles, {images} named images, "
               f"{len(report.ignores)} `.dockerignore`. Read from the files (BuildKit's parse, the image "
               "graph, the prover's image model); nothing is built.")
    out.append("")
    out.append("*Instructions* lists each stage's instructions in order, FROM included (`ENV ×2`: two in "
               "a row). *Layers* counts the instructions that add a filesystem layer (RUN, COPY, ADD) in "
               "the stage the image is built from. `Ln` is line n of the file.")
    out.append("")
    if report.unparsable:
        out.append("Not scanned (BuildKit rejects them): " + ", ".join(f"`{p}`" for p in report.unparsable))
        out.append("")
    return out


def _overview_row(f: DockerfileFacts) -> str:
    image = ", ".join(_code(r) for r, _ in f.images) or "—"
    apt = "—" if not f.packages else ("✅" if all(p.cleaned for p in f.packages)
                                      else "❌ " + ", ".join(f"L{p.line}" for p in f.packages if not p.cleaned))
    pip = "—" if not f.pip else ("✅" if all(p.no_cache for p in f.pip)
                                 else "❌ " + ", ".join(f"L{p.line}" for p in f.pip if not p.no_cache))
    user = ("root" if f.user.is_root else f.user.user)
    return (f"| `{f.path}` | {image} | {_code(f.final.base)} | {f.python or '?'} | {len(f.stages)} | "
            f"{sum(f.final.layers().values())} | {apt} | {pip} | {_cell(user)} |")


def _dockerfile_section(f: DockerfileFacts, titles) -> list[str]:
    out = ["", f"## {f.path}", "", "| Item | Value |", "| --- | --- |"]
    rows = [
        ("Image", image_text(f)),
        ("Base image", base_text(f)),
        ("Python version", python_text(f)),
        ("Build stages", stages_text(f)),
        ("Instructions", instructions_text(f)),
        ("Layers", layers_text(f)),
        ("apt/apk install", packages_text(f)),
        ("apt cache cleanup", cleanup_text(f)),
        ("pip --no-cache-dir", pip_text(f)),
        ("User", user_text(f)),
        ("COPY/ADD sources", copies_text(f)),
        ("Build context", f"{_code(f.context or '.')}, .dockerignore: "
                          + (_code(f.dockerignore) if f.dockerignore else "none")),
    ]
    dup = duplicate_text(f)
    if dup:
        rows.append(("Duplicate", dup))
    out += [f"| {k} | {_cell(v)} |" for k, v in rows]
    if f.presets:
        out += ["", "What each preset would change:", ""]
        out += _preset_rows(f.presets, titles)
    return out


def _ignore_section(ig, titles) -> list[str]:
    out = ["", f"## {ig.path}", "",
           f"Used by {len(ig.used_by)} Dockerfile{'s' if len(ig.used_by) != 1 else ''}. "
           "*Excludes*: files of the build context this pattern decides to leave out.", "",
           "| Line | Pattern | Excludes | Blocks |", "| --- | --- | --- | --- |"]
    for p in ig.patterns:
        blocks = "<br>".join(f"`{df}:{line}` {_code(src)}" for df, line, src in p.blocks)
        out.append(f"| {p.line} | {_code(p.text)} | {p.excludes} | {_cell(blocks)} |")
    if ig.presets:
        out += ["", "What each preset would change:", ""]
        out += _preset_rows(ig.presets, titles)
    return out


def shared_layers_markdown(report: ScanReport) -> list[str]:
    """The "Shared layers" section: runs of leading steps several images share (layer identity
    by instruction prefix on the same base), and the distinct steps the builder runs."""
    from dockfix.layers_view import SIZES_NOTE, sharings, step_totals

    total, distinct = step_totals(report.layer_trees)
    out = ["", "## Shared layers", "",
           f"Images built on the same base share the layers of their common leading steps (same "
           f"instruction words, same build context for COPY). Distinct steps: {distinct} of {total} "
           f"summed over the images; {SIZES_NOTE}.", ""]
    rows = sharings(report.layer_trees)
    if not rows:
        return out + ["No two images share a layer."]
    out += ["| Base | Shared by | Steps | Layers | From | To |", "| --- | --- | --- | --- | --- | --- |"]
    out += [f"| {_code(s.base)} | {', '.join(_code(i) for i in s.images)} | {s.steps} | {s.fs_layers} | "
            f"{_code(s.first)} | {_code(s.last)} |" for s in rows]
    return out


def _shared_json(report: ScanReport) -> dict:
    from dockfix.layers_view import SIZES_NOTE, sharings, step_totals

    total, distinct = step_totals(report.layer_trees)
    return {"steps_total": total, "steps_distinct": distinct, "sizes": None, "note": SIZES_NOTE,
            "shared": [{"base": s.base, "images": list(s.images), "steps": s.steps, "layers": s.fs_layers,
                        "first": s.first, "last": s.last} for s in sharings(report.layer_trees)]}


def _preset_json(p: PresetChange) -> dict:
    return {"option": p.option, "transforms": list(p.transforms), "lines": [list(r) for r in p.regions],
            "added": p.added, "removed": p.removed, "notes": list(p.notes)}


def to_json(report: ScanReport) -> dict:
    dockerfiles = []
    for f in report.dockerfiles:
        dockerfiles.append({
            "path": f.path,
            "images": [{"ref": r, "mapped_by": s} for r, s in f.images],
            "base_of": list(f.derived),
            "context": f.context or ".",
            "dockerignore": f.dockerignore,
            "stages": [{"index": st.index, "name": st.name, "line": st.line, "base": st.base,
                        "base_kind": st.base_kind, "from": st.base_raw, "base_how": st.base_how,
                        "base_dockerfile": st.base_dockerfile, "instructions": list(st.instructions),
                        "layers": st.layers()} for st in f.stages],
            "image_stage": f.image_stage,
            "layers": sum(f.final.layers().values()),
            "python": {"version": f.python, "source": f.python_source},
            "base_chain": list(f.base_chain),
            "external_base": f.external_base,
            "packages": [{"line": p.line, "stage": p.stage, "manager": p.manager, "packages": list(p.packages),
                          "repositories": list(p.repositories), "cleaned": p.cleaned, "how": p.how}
                         for p in f.packages],
            "pip": [{"line": p.line, "stage": p.stage, "command": p.command, "no_cache_dir": p.no_cache,
                     "how": p.how} for p in f.pip],
            "user": {"name": f.user.user, "root": f.user.is_root,
                     "where": None if f.user.where is None else {"path": f.user.where[0], "line": f.user.where[1]},
                     "user_sites": list(f.user.user_sites)},
            "copies": [{"line": c.line, "stage": c.stage, "instruction": c.keyword, "source": c.source,
                        "status": c.status, "detail": c.detail} for c in f.copies],
            "duplicate_of": f.duplicate_of,
            "duplicated_by": list(f.duplicated_by),
            "presets": [_preset_json(p) for p in f.presets],
        })
    return {
        "schema": "dockfix-scan",
        "version": SCAN_SCHEMA_VERSION,
        "root": report.root,
        "dockerfiles": dockerfiles,
        "unparsable": report.unparsable,
        "dockerignores": [{"path": ig.path, "used_by": list(ig.used_by),
                           "patterns": [{"line": p.line, "pattern": p.text, "excludes": p.excludes,
                                         "blocks": [{"path": d, "line": n, "source": s} for d, n, s in p.blocks]}
                                        for p in ig.patterns],
                           "presets": [_preset_json(p) for p in ig.presets]} for ig in report.ignores],
        "findings": findings(report),
        "shared_layers": _shared_json(report),
        "presets": [{"option": p.option, "title": p.title, "transforms": list(p.transforms),
                     "files": list(p.files), "verdict": p.verdict, "holds": p.holds} for p in report.presets],
    }
