"""The invariant prover: a pure function of (before tree, after tree, config).

Like black's equivalence check, it re-derives everything from the texts (an effective model
of every image: config, files, pip, packages, Python version, constants, entry points) and
compares; it never trusts what a transform says it did, and imports no transform.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from dockfix.config import Config
from dockfix.errors import DockfixError
from dockfix.prover.compare import DEFECT_KINDS, Finding, Outcome, Verdict, compare, entry_point_problems
from dockfix.prover.model import ImageModel, build_models
from dockfix.tree import Tree

__all__ = ["DEFECT_KINDS", "WARNING", "build_defects", "Finding", "ImageModel", "Outcome", "Verdict", "build_models", "defects_of", "find_defects",
           "glob_findings", "prove", "prove_scope", "verify_revision", "verify_trees"]


def prove(before: Tree, after: Tree, config: Config, before_config: Config | None = None) -> Verdict:
    """`before_config`: BEFORE's own configuration when the trees are two checkouts (each is
    read with its own; an `exclude` added in AFTER must not hide BEFORE's files)."""
    own = before_config or config
    globs = tuple(dict.fromkeys((*own.invariant_globs, *config.invariant_globs)))
    return compare(build_models(before, own), build_models(after, config), before, after, globs)


def prove_scope(before: Tree, after: Tree, config: Config) -> tuple[Verdict, list[Finding]]:
    """For the scheduler: the per-image verdict of a scope (no invariant globs: those are
    repository-wide, see `glob_findings`) and the defects of its BEFORE tree, from one
    model of each tree."""
    models = build_models(before, config)
    verdict = compare(models, build_models(after, config), before, after, ())
    return verdict, defects_of(models, before)


def glob_findings(before: Tree, after: Tree, config: Config) -> list[Finding]:
    """What `prove` adds for the configured invariant globs (whole files kept byte for byte)."""
    return compare({}, {}, before, after, config.invariant_globs).findings


WARNING = "warning"  # a finding about BEFORE that is reported but is no build defect


def build_defects(findings: list[Finding]) -> list[Finding]:
    """The findings a real build would hit (what fails `check`), without the warnings."""
    return [f for f in findings if f.severity != WARNING]


def find_defects(tree: Tree, config: Config) -> list[Finding]:
    """Findings of one tree: steps the build would fail at (severity pre-existing), and
    entry points that do not resolve (severity `WARNING`)."""
    return defects_of(build_models(tree, config), tree)


def defects_of(models: dict[str, ImageModel], tree: Tree) -> list[Finding]:
    out: list[Finding] = []
    seen = set()
    for key, model in models.items():
        for br in model.state.breaks:
            k = (br.kind, br.path, br.line, br.subject)
            if k in seen:
                continue
            seen.add(k)
            out.append(Finding(key, br.kind, "pre-existing", "", "", br.path, br.line, br.message))
        # A CMD/ENTRYPOINT the model cannot resolve is not a step a build fails at (and the
        # model does not see what RUNs or other images put there): a warning, not a defect.
        for problem in entry_point_problems(model, tree, check_attrs=False):
            where = model.state.where.get("CMD") or model.state.where.get("ENTRYPOINT") or (model.dockerfile, None)
            out.append(Finding(key, "entry-point-unresolved", WARNING, "", "", where[0], where[1], problem))
    return sorted(out, key=lambda f: (f.path or "", f.line or 0, f.invariant))


def verify_trees(before_root: str | Path, after_root: str | Path, config: Config,
                 before_config: Config | None = None) -> Verdict:
    """Two checkouts, each read with its own configuration (`config` is AFTER's)."""
    own = before_config or config
    return prove(Tree(before_root, exclude=own.exclude), Tree(after_root, exclude=config.exclude), config, own)


def verify_revision(rev: str, root: str | Path, config: Config) -> Verdict:
    """Compare git revision REV of ROOT with ROOT's working tree, as a hook judges a commit:
    the build definition (Dockerfiles, ignore files, compose/bake files and the build scripts
    that name images, requirement and project files) is REV's on one side and the working
    tree's on the other; every other file (application code) is an input of both builds, so
    both read the working tree's. A commit that edits only application code passes; one that
    edits the build definition is judged."""
    root = Path(root)
    files = _files_at_revision(rev, root)
    own = _config_at_revision(files)
    skip = tuple(e.strip("/") for e in own.exclude)  # the revision's own `exclude` (a Tree excludes only on disk)
    files = {p: b for p, b in files.items() if not any(p == e or p.startswith(e + "/") for e in skip)}
    after = Tree(root, exclude=config.exclude)
    revision = Tree(Path("/nonexistent-dockfix-revision"), files=files)
    recipe = recipe_files(revision, own) | recipe_files(after, config)
    inputs = {p: after.read(p) for p in after.paths() if p not in recipe and not any(
        p == e or p.startswith(e + "/") for e in skip)}
    before = Tree(Path("/nonexistent-dockfix-revision"),
                  files={**inputs, **{p: b for p, b in files.items() if p in recipe}})
    return prove(before, after, config, own)


_REQUIREMENT_NAME = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|[^/]*requirements/[^/]+\.(txt|in)"
                               r"|pyproject\.toml|setup\.py|setup\.cfg|Pipfile(\.lock)?|poetry\.lock|uv\.lock"
                               r"|\.dockfix\.toml|[^/]*\.dockerignore|\.dockerignore)$")


def recipe_files(tree: Tree, config: Config) -> set[str]:
    """The files that define the builds of `tree`: the Dockerfiles and ignore files the graph
    reads, the compose/bake files and scripts its image mappings come from, requirement and
    Python project files (by name: pip reads them), dockfix's own configuration."""
    from dockfix.graph import build_graph

    graph = build_graph(tree, config)
    out = set(graph.dockerfiles)
    out.update(n.dockerignore for n in graph.dockerfiles.values() if n.dockerignore)
    out.update(m.source.path for m in graph.images.values() if m.source.path)
    out.update(p for p in tree.paths() if _REQUIREMENT_NAME.search(p))
    return out


def _config_at_revision(files: dict[str, bytes]) -> Config:
    """The revision's own configuration (its .dockfix.toml or pyproject.toml), read as
    `load_config` reads a checkout."""
    import tempfile

    from dockfix.config import load_config

    with tempfile.TemporaryDirectory(prefix="dockfix-rev-") as tmp:
        for name in (".dockfix.toml", "pyproject.toml"):
            if name in files:
                Path(tmp, name).write_bytes(files[name])
        return load_config(tmp)


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise DockfixError("git is not installed", path=str(root)) from None
    if out.returncode != 0:
        raise DockfixError(f"git {args[0]} failed: {out.stderr.decode(errors='replace').strip()}", path=str(root))
    return out.stdout


def _files_at_revision(rev: str, root: Path) -> dict[str, bytes]:
    listing = _git(root, "ls-tree", "-r", "-z", rev, "--", ".")
    shas: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":
            shas[path.decode("utf-8", "surrogateescape")] = sha.decode()
    if not shas:
        return {}
    batch = _git(root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in shas.values()).encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for sha in shas.values():
        nl = batch.index(b"\n", pos)
        header = batch[pos:nl].split()
        size = int(header[2])
        blobs[sha] = batch[nl + 1: nl + 1 + size]
        pos = nl + 1 + size + 1
    return {p: blobs[s] for p, s in shas.items()}
