"""Compare two sets of image models and give a verdict, invariant by invariant.

Broken: CMD/ENTRYPOINT/WORKDIR, the application's files and destinations, ENV/ARG values
(PATH entries that follow a relocated user site excepted), EXPOSE, HEALTHCHECK, SHELL,
STOPSIGNAL, VOLUME, ONBUILD, the Python version, the requirement closure, Python constants,
entry points that stop resolving, a user site the CMD user can no longer read, and any new
build break. Allowed (info): USER when everything stays readable, ownership, PATH following a
relocated site, layer structure, packages added by a base. Breaks found in BEFORE are
reported as pre-existing (and as fixed when AFTER no longer has them).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from enum import Enum

from dockfix.graph.discover import is_dockerfile_name
from dockfix.model.entry_point import entry_argv
from dockfix.prover.access import Access, access_diffs, site_access
from dockfix.prover.model import Break, ImageModel, StageState, home_of, requirement_name, ultimate_origin
from dockfix.prover.rules import deny, fixed_copy_patterns, fixed_requirements
from dockfix.prover.steps import path_without_user_sites
from dockfix.tree import Tree

DEFECT_KINDS = {
    "copy-excluded-source": "A COPY/ADD source is excluded by .dockerignore: the build fails at that step.",
    "copy-missing-source": "A COPY/ADD source does not exist in the build context: the build fails.",
    "missing-requirement-file": "pip reads a requirement file (or an -r/-c include) that is not in the image.",
    "entry-point-unresolved": "CMD/ENTRYPOINT names a module, file or executable the image does not have.",
    "unreadable-user-site": "pip --user installed into a home the CMD user cannot read.",
}


class Outcome(str, Enum):
    """The verdict on one image (default-deny: proved only when every difference is allowed)."""

    PROVED = "proved"
    BROKEN = "broken"  # a difference that changes what the image does
    UNPROVEN = "unproven"  # a difference the model cannot read, or that no rule allows


SEVERITIES = ("broken", "unproven", "pre-existing", "fixed", "info")


@dataclass(frozen=True)
class Finding:
    image: str
    invariant: str  # e.g. "CMD", "requirements", or a defect kind
    severity: str  # broken | unproven | info | pre-existing | fixed
    before: str
    after: str
    path: str | None = None
    line: int | None = None
    message: str = ""

    @property
    def kind(self) -> str:
        return self.invariant

    def where(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}"
        return self.path or ""

    def line_text(self) -> str:
        return f"{self.where() or self.image}: {self.severity}: {self.message or self.invariant} [{self.image}]"

    def to_json(self) -> dict:
        return {"image": self.image, "invariant": self.invariant, "severity": self.severity,
                "before": self.before, "after": self.after, "path": self.path, "line": self.line,
                "message": self.message}


@dataclass
class Verdict:
    findings: list[Finding] = field(default_factory=list)
    images: int = 0

    @property
    def holds(self) -> bool:
        """Every image is proved: nothing broken, nothing unproven."""
        return self.outcome is Outcome.PROVED

    @property
    def outcomes(self) -> dict[str, Outcome]:
        """The images that are not proved, by their worst finding (the others are proved)."""
        out: dict[str, Outcome] = {}
        for f in self.findings:
            if f.severity == "broken":
                out[f.image] = Outcome.BROKEN
            elif f.severity == "unproven" and f.image not in out:
                out[f.image] = Outcome.UNPROVEN
        return out

    @property
    def outcome(self) -> Outcome:
        found = set(self.outcomes.values())
        return Outcome.BROKEN if Outcome.BROKEN in found else Outcome.UNPROVEN if found else Outcome.PROVED

    def summary(self) -> str:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}
        head = {Outcome.PROVED: "invariants hold", Outcome.BROKEN: "INVARIANTS BROKEN",
                Outcome.UNPROVEN: "UNPROVEN"}[self.outcome]
        rest = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return f"{head} ({self.images} image{'s' if self.images != 1 else ''} compared{'; ' + rest if rest else ''})"

    def report(self) -> str:
        lines = [f"verify: {self.summary()}"]
        for image, outcome in sorted(self.outcomes.items()):
            lines.append(f"  {outcome.value.upper()}: {image}")
        return "\n".join([*lines, *finding_lines(self.findings, SEVERITIES, lambda f: f.invariant)])

    def to_json(self) -> dict:
        return {"holds": self.holds, "images": self.images, "summary": self.summary(),
                "findings": [f.to_json() for f in self.findings], "outcome": self.outcome.value,
                "outcomes": {k: o.value for k, o in sorted(self.outcomes.items())}}


def finding_lines(findings, severities: tuple[str, ...], what) -> list[str]:
    """Report lines, most severe first: `severity: image: what at where: message`, and for a
    broken finding its before and after. Shared by the prover's and the real builds'
    findings (`what` names the invariant or the check)."""
    order = {s: i for i, s in enumerate(severities)}
    lines = []
    for f in sorted(findings, key=lambda f: (order[f.severity], f.image, what(f))):
        where = f" at {f.where()}" if f.where() else ""
        lines.append(f"  {f.severity}: {f.image}: {what(f)}{where}: {f.message}")
        if f.severity in ("broken", "unproven") and (f.before or f.after):
            lines.append(f"      before: {f.before}")
            lines.append(f"      after:  {f.after}")
    return lines


# -- derived facts -------------------------------------------------------------------------
def app_files(state: StageState) -> dict[str, str]:
    return {p: ultimate_origin(e.origin) for p, e in state.files.items()}


def _alternatives(state: StageState) -> set[str]:
    """The paths a file may be at, its destination being perhaps a directory
    (`FileEntry.alternative`)."""
    return {p for p, e in state.files.items() if e.alternative}


def readable_sites(state: StageState) -> dict[str, set[str]]:
    return {site: reqs for site, reqs in state.sites.items() if site_access(state, site) is Access.YES}


_PYTHON_PROGRAM = re.compile(r"^python[0-9.]*$")


def argv_of(state: StageState) -> list[str]:
    """ENTRYPOINT then CMD as argv (`model.entry_point`)."""
    return entry_argv(state.entrypoint, state.cmd, state.cmd_json)


def _python_roots(st: StageState) -> list[str] | None:
    """Where `python -m` looks for modules; None when the model cannot read it."""
    if "ENV PYTHONPATH" in st.unknown or "WORKDIR" in st.unknown:
        return None
    return [st.workdir] + [p for p in st.env.get("PYTHONPATH", "").split(":") if p]


def _off_path(st: StageState, directory: str) -> bool:
    """The directory is not on PATH (a PATH the model cannot read proves nothing)."""
    return "PATH" in st.env and directory not in st.env["PATH"].split(":")


@dataclass(frozen=True)
class _Lookup:
    """Where the CMD's program and modules are looked for in one image."""

    st: StageState
    files: dict
    roots: list[str]
    sites: dict[str, set[str]]  # the sites the CMD user reads

    def module_file(self, mod: str, main: bool) -> str | None:
        rel = mod.replace(".", "/")
        candidates = [f"{rel}.py", f"{rel}/__main__.py"] if main else [f"{rel}.py", f"{rel}/__init__.py"]
        for root in self.roots:
            for cand in candidates:
                p = posixpath.normpath(posixpath.join(root, cand))
                if p in self.files:
                    return p
        return None

    def installed(self) -> set[str]:
        return {requirement_name(r) for reqs in self.sites.values() for r in reqs}


def entry_point_problems(model: ImageModel, tree: Tree, check_attrs: bool) -> list[str]:
    """Why the CMD/ENTRYPOINT would not start (empty when it resolves)."""
    st = model.state
    argv = argv_of(st)
    roots = _python_roots(st)
    if not argv or roots is None:
        return []  # nothing runs, or where Python looks is not known: nothing can be said either way
    look = _Lookup(st, st.files, roots, readable_sites(st))
    prog = posixpath.basename(argv[0])
    if _PYTHON_PROGRAM.match(prog):
        return _python_problems(look, argv)
    if argv[0].startswith(("/", "./")) and not argv[0].startswith(("/usr/", "/bin/", "/sbin/")):
        p = posixpath.normpath(posixpath.join(st.workdir, argv[0]))
        return [] if p in st.files else [f"executable {argv[0]} is not in the image"]
    return [*_program_problems(look, prog), *_server_problems(look, tree, argv, check_attrs)]


def _python_problems(look: _Lookup, argv: list[str]) -> list[str]:
    """`python -m module` (a file below a root, or an installed distribution) and `python x.py`."""
    if "-m" in argv and argv.index("-m") + 1 < len(argv):
        mod = argv[argv.index("-m") + 1]
        if look.module_file(mod, True) is None and requirement_name(mod.split(".")[0]) not in look.installed():
            return [f"module {mod} is not in the image (searched {', '.join(look.roots)})"]
    elif len(argv) > 1 and argv[1].endswith(".py"):
        if posixpath.normpath(posixpath.join(look.st.workdir, argv[1])) not in look.files:
            return [f"script {argv[1]} is not in the image"]
    return []


def _program_problems(look: _Lookup, prog: str) -> list[str]:
    """A program pip installed: into a site the CMD user reads, whose bin is on PATH."""
    st = look.st
    name = requirement_name(prog)
    installed = look.installed()
    if name not in installed and name in {requirement_name(r) for reqs in st.sites.values() for r in reqs}:
        user = (st.user or "root").split(":")[0]
        return [f"{prog}: not found (installed with pip --user into a home that {user} cannot read; "
                f"{user}'s home is {home_of(st)})"]
    if name in installed:
        site = next(s for s, reqs in look.sites.items() if name in {requirement_name(r) for r in reqs})
        if site != "system" and _off_path(st, f"{site}/bin"):
            return [f"{prog}: not found ({site}/bin is not on PATH)"]
    return []


_SERVER_PROGRAMS = frozenset({"gunicorn", "uvicorn", "daphne", "hypercorn"})


def _server_problems(look: _Lookup, tree: Tree, argv: list[str], check_attrs: bool) -> list[str]:
    """A Python app server's `module:attr` target: the module is in the image, and (when the
    Python files changed) it defines the attribute."""
    prog = posixpath.basename(argv[0])
    if prog not in _SERVER_PROGRAMS:
        return []
    target = next((a for a in argv[1:] if ":" in a and not a.startswith("-") and "/" not in a
                   and not re.match(r"^[\d.]+:\d+$", a)), None)
    if not target:
        return []
    mod, _, attr = target.partition(":")
    f = look.module_file(mod, False)
    if f is None:
        return [f"{prog} target {target}: module {mod} is not in the image"]
    origin = ultimate_origin(look.files[f].origin)
    if not (check_attrs and attr.isidentifier() and origin.startswith("context:")):
        return []
    from dockfix.prover.python import read_module

    _, names = read_module(tree.read(origin[len("context:"):]))
    return [] if attr in names else [f"{prog} target {target}: {mod} defines no {attr}"]


# -- comparison ----------------------------------------------------------------------------
def compare(before: dict[str, ImageModel], after: dict[str, ImageModel], tb: Tree, ta: Tree,
            invariant_globs: tuple[str, ...] = ()) -> Verdict:
    v = Verdict(images=len(set(before) | set(after)))
    dockerfiles = frozenset(m.dockerfile for m in (*before.values(), *after.values()))
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is None:
            v.findings.append(Finding(key, "image", "info", "", a.dockerfile, a.dockerfile, None, "new image"))
            continue
        if a is None:
            v.findings.append(Finding(key, "image", "broken", b.dockerfile, "(gone)", b.dockerfile, None,
                                      "the image is no longer built by the repository"))
            continue
        _compare_image(v, key, b, a, tb, ta, dockerfiles)
    _compare_globs(v, tb, ta, invariant_globs)
    return v


def _unknown_changes(bs: StageState, as_: StageState):
    """Values the model cannot read (StageState.unknown) that are not the same expression
    of the same inputs on both sides. USER is judged below (a change of user is
    information, the accounts it names by rules.py), a name known on either side is judged with the
    known values, and a WORKDIR that differs is reported as WORKDIR."""
    for k in sorted(set(bs.unknown) | set(as_.unknown)):
        bv, av = bs.unknown.get(k), as_.unknown.get(k)
        if bv == av or k == "USER":
            continue
        if k.startswith("ENV ") and (k[4:] in bs.env or k[4:] in as_.env):
            continue
        if k == "WORKDIR" and bs.workdir != as_.workdir:
            continue
        yield k, "unknown" if bv is None else bv.render(), "unknown" if av is None else av.render()


def _where(m: ImageModel, field_name: str, before: ImageModel | None = None) -> tuple[str | None, int | None]:
    """Where AFTER sets the field; where BEFORE set it when AFTER no longer does (a fact of
    BEFORE is reported at its line in the BEFORE file)."""
    w = m.state.where.get(field_name) or (before.state.where.get(field_name) if before else None)
    return (w[0], w[1]) if w else (m.dockerfile, None)


@dataclass(frozen=True)
class _Pair:
    """One image's two models, and where its findings go."""

    v: Verdict
    key: str
    b: ImageModel
    a: ImageModel
    tb: Tree
    ta: Tree

    def add(self, invariant: str, severity: str, before, after, where: tuple[str | None, int | None],
            message: str) -> None:
        self.v.findings.append(Finding(self.key, invariant, severity, str(before), str(after), where[0], where[1],
                                       message))

    def broken(self, inv: str, before, after, field_name: str | None = None, msg: str = "") -> None:
        where = _where(self.a, field_name, self.b) if field_name else (self.a.dockerfile, None)
        self.add(inv, "broken", before, after, where, msg or f"{inv} changed")


_CONFIG = (("CMD", lambda s: s.cmd), ("ENTRYPOINT", lambda s: s.entrypoint), ("WORKDIR", lambda s: s.workdir),
           ("EXPOSE", lambda s: s.expose), ("HEALTHCHECK", lambda s: s.healthcheck), ("SHELL", lambda s: s.shell),
           ("STOPSIGNAL", lambda s: s.stopsignal), ("VOLUME", lambda s: s.volumes), ("ONBUILD", lambda s: s.onbuild))


def _compare_image(v: Verdict, key: str, b: ImageModel, a: ImageModel, tb: Tree, ta: Tree,
                   dockerfiles: frozenset[str] = frozenset()) -> None:
    pair = _Pair(v, key, b, a, tb, ta)
    _compare_config(pair)
    _compare_env(pair)
    _compare_by_rules(pair)
    _compare_build(pair)
    changed = _compare_files(pair)
    _compare_requirements(pair)
    _compare_sites(pair)
    _compare_contents(v, key, changed, tb, ta, dockerfiles)
    _compare_entry_points(pair, changed)
    _compare_breaks(v, key, b.state.breaks, a.state.breaks)


def _compare_config(pair: _Pair) -> None:
    bs, as_ = pair.b.state, pair.a.state
    for name, getter in _CONFIG:
        if getter(bs) != getter(as_):
            pair.broken(name, getter(bs), getter(as_), name)
    if (bs.cmd_json, bs.cmd) != (as_.cmd_json, as_.cmd) and bs.cmd == as_.cmd:
        pair.broken("CMD", _form_name(bs.cmd_json), _form_name(as_.cmd_json), "CMD")


def _form_name(is_json: bool) -> str:
    return "exec form" if is_json else "shell form"


def _compare_env(pair: _Pair) -> None:
    """ENV (PATH may follow a relocated user site) and the ARGs both sides declare."""
    bs, as_ = pair.b.state, pair.a.state
    for k in sorted(set(bs.env) | set(as_.env)):
        bv, av = bs.env.get(k), as_.env.get(k)
        if bv == av:
            continue
        if k == "PATH" and bv is not None and av is not None and \
                path_without_user_sites(bv) == path_without_user_sites(av):
            pair.add("ENV PATH", "info", bv, av, _where(pair.a, "ENV PATH"), "PATH follows the relocated user site")
            continue
        pair.broken(f"ENV {k}", bv, av, f"ENV {k}")
    for k in sorted(set(bs.args) & set(as_.args)):
        if bs.args[k] != as_.args[k]:
            pair.broken(f"ARG {k}", bs.args[k], as_.args[k], f"ARG {k}")


def _compare_by_rules(pair: _Pair) -> None:
    """Values the model cannot read, the default-deny rules (rules.py) and the runtime
    user's access (access.py)."""
    b, a = pair.b, pair.a
    for k, bv, av in _unknown_changes(b.state, a.state):
        pair.add(k, "unproven", bv, av, _where(a, k), f"{k} differs, and the model cannot read it on at least one side")
    for d in (*deny(b, a), *access_diffs(b, a, pair.tb, pair.ta, argv_of(b.state))):
        pair.add(d.invariant, d.severity, d.before, d.after, _where(a, d.field) if d.field else (a.dockerfile, None),
                 d.message)


def _compare_build(pair: _Pair) -> None:
    """The Python version, and a BEFORE that fails (judged as the image it would be once the
    failing step works: the model replays past it; the fix is reported with the breaks)."""
    bs, as_ = pair.b.state, pair.a.state
    if bs.python != as_.python:
        pair.broken("Python version", f"{bs.python} ({bs.python_source})", f"{as_.python} ({as_.python_source})")
    if bs.breaks:
        br = bs.breaks[0]
        pair.add("build", "info", "fails", "", (br.path, br.line),
                 "BEFORE fails to build here; judged as the image it would be once that step works")


def _compare_files(pair: _Pair) -> list[tuple[str, str, str]]:
    """The file set, owners and USER (information: access.py judges them); returns the
    files whose content changed."""
    bs, as_ = pair.b.state, pair.a.state
    bf, af = app_files(bs), app_files(as_)
    changed = _changed_sources(bf, af, pair.tb, pair.ta)
    bf, af = _without_fixed_copies(pair.v, pair.key, pair.b, pair.a, bf, af)
    maybe_b, maybe_a = _alternatives(bs) & bf.keys(), _alternatives(as_) & af.keys()  # a fixed COPY's aside
    if bf != af:
        _file_set(pair.v, pair.key, pair.a, bf, af, maybe_b | maybe_a)
    elif maybe_b != maybe_a:
        pair.add("files", "unproven", "", "", (pair.a.dockerfile, None),
                 "a file that lands in a destination which may be a directory (or as it) in one image "
                 "lands in one known place in the other")
    owners_b = {p: e.owner for p, e in bs.files.items()}
    owners_a = {p: e.owner for p, e in as_.files.items()}
    if owners_b != owners_a and set(owners_b) == set(owners_a):
        pair.add("ownership", "info", "", "", (pair.a.dockerfile, None), "file ownership changed")
    if (bs.user or "root") != (as_.user or "root"):
        pair.add("USER", "info", bs.user or "root", as_.user or "root", _where(pair.a, "USER"),
                 f"runs as {as_.user or 'root'} instead of {bs.user or 'root'}")
    return changed


def _all_requirements(sites: dict[str, set[str]]) -> frozenset[str]:
    return frozenset().union(*sites.values()) if sites else frozenset()


def _compare_requirements(pair: _Pair) -> None:
    bs, as_ = pair.b.state, pair.a.state
    breqs, areqs = _all_requirements(bs.sites), _all_requirements(as_.sites)
    if breqs == areqs:
        return
    if breqs <= areqs and areqs - breqs <= fixed_requirements(bs, as_):
        # BEFORE's pip could not open a requirement file that AFTER's finds: what that file
        # installs is what the failing step installs once it works (reported as the fix).
        pair.add("requirements", "info", "-", ", ".join(sorted(areqs - breqs)), (pair.a.dockerfile, None),
                 "requirements of a requirement file BEFORE could not open (the fixed step)")
        return
    pair.broken("requirements", ", ".join(sorted(breqs - areqs)) or "-", ", ".join(sorted(areqs - breqs)) or "-",
                msg="the installed requirement set changed (before-only / after-only shown)")


def _compare_sites(pair: _Pair) -> None:
    """Where pip's files lie, and what of them the CMD user reads. A user site (`~/.local`)
    may move with its user (the non-root rule: judged by what the CMD user reads); any other
    site keeps its path. What the CMD user read before and cannot (or may not) now is lost."""
    bs, as_ = pair.b.state, pair.a.state
    # What AFTER installs from a requirement file BEFORE could not open is the fixed step's
    # (reported with the requirements), wherever it lies.
    fixed = fixed_requirements(bs, as_)
    placed_b, placed_a = _placed_sites(bs, fixed), _placed_sites(as_, fixed)
    # The same sites holding another requirement set is the requirements' difference (reported
    # there); other sites, or the same requirements in other sites, are where they lie.
    moved = placed_b.keys() != placed_a.keys() or (
        placed_b != placed_a and _all_requirements(bs.sites) == _all_requirements(as_.sites))
    if moved:
        pair.broken("pip site", _sites_text(placed_b, placed_a), _sites_text(placed_a, placed_b), None,
                    "what pip installed lies at another path (a --target or --prefix site, or a site copied "
                    "from another stage)")
    lost = (_all_requirements(readable_sites(bs)) - _all_requirements(readable_sites(as_))) \
        & _all_requirements(as_.sites)
    if not lost:
        return
    unknown = {r for site, reqs in as_.sites.items() if site_access(as_, site) is Access.UNKNOWN for r in reqs}
    maybe = lost <= unknown
    user = as_.user or "root"
    pair.add("user site", "unproven" if maybe else "broken", "readable", "perhaps unreadable" if maybe else "unreadable",
             _where(pair.a, "USER"),
             f"{user} {'may' if maybe else 'can'} no longer read what pip installed: {', '.join(sorted(lost)[:5])}")


def _placed_sites(state: StageState, fixed: frozenset[str] = frozenset()) -> dict[str, frozenset[str]]:
    """The sites that are not a user's own (`~/.local`), with what each holds (less `fixed`)."""
    placed = {site: frozenset(reqs) - fixed for site, reqs in state.sites.items() if not site.endswith("/.local")}
    return {site: reqs for site, reqs in placed.items() if reqs}


def _sites_text(mine: dict[str, frozenset[str]], other: dict[str, frozenset[str]]) -> str:
    return "; ".join(f"{site}: {', '.join(sorted(reqs)[:3])}" for site, reqs in sorted(mine.items())
                     if other.get(site) != reqs) or "-"


def _compare_entry_points(pair: _Pair, changed: list[tuple[str, str, str]]) -> None:
    python_changed = any(p.endswith(".py") for p, _, _ in changed)  # only then can a target's attribute go
    bp = entry_point_problems(pair.b, pair.tb, check_attrs=python_changed)
    for p in entry_point_problems(pair.a, pair.ta, check_attrs=python_changed):
        if p not in bp:
            pair.broken("entry point", "resolves", p, "CMD", p)


def _without_fixed_copies(v: Verdict, key: str, b: ImageModel, a: ImageModel, bf: dict[str, str],
                          af: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Files of a COPY that failed before (a pre-existing break) are not "new": they are what
    the step lands once it works (the fixed break is reported on its own). A failing COPY that
    AFTER removed instead of fixing is broken."""
    failing = [br for br in b.state.breaks if br.kind == "copy-excluded-source"]
    if not failing:
        return bf, af
    failed = fixed_copy_patterns(b)
    for br, f in zip(failing, failed):
        if _removed_not_fixed(br, f, a, af):
            v.findings.append(Finding(key, "files", "broken", f"{br.subject} (once the step works)", "(absent)",
                                      br.path, br.line, f"the failing COPY of {br.subject!r} is gone rather than "
                                      "fixed: its files do not land"))
    keep = lambda files: {p: o for p, o in files.items() if not any(f.match(o) for f in failed)}  # noqa: E731
    return keep(bf), keep(af)


def _removed_not_fixed(br: Break, pattern: re.Pattern, a: ImageModel, af: dict[str, str]) -> bool:
    """AFTER neither still fails at the COPY, nor copies its source (in any stage), nor has its files."""
    if any(x.kind == br.kind and x.subject == br.subject for x in a.state.breaks):
        return False
    if any(br.subject in s.residue for s in a.state.steps if s.keyword in ("COPY", "ADD")):
        return False
    return not any(pattern.match(o) for o in af.values())


def _file_set(v: Verdict, key: str, a: ImageModel, bf: dict[str, str], af: dict[str, str],
              maybe: set[str]) -> None:
    """The image's files differ: broken when a known file differs; unproven when every
    difference involves a file the model cannot read (an `unknown:` origin on either side) or
    one of a file's two places (`maybe`: its destination may be a directory)."""
    gone = sorted(set(bf) - set(af))
    new = sorted(set(af) - set(bf))
    moved = sorted(p for p in set(bf) & set(af) if bf[p] != af[p])
    parts = []
    if gone:
        parts.append(f"{len(gone)} gone ({', '.join(gone[:3])}{'…' if len(gone) > 3 else ''})")
    if new:
        parts.append(f"{len(new)} new ({', '.join(new[:3])}{'…' if len(new) > 3 else ''})")
    if moved:
        parts.append(f"{len(moved)} from another source ({', '.join(moved[:3])})")
    known = [p for p in (*gone, *new, *moved) if p not in maybe
             and not bf.get(p, "").startswith("unknown:") and not af.get(p, "").startswith("unknown:")]
    severity = "broken" if known else "unproven"
    v.findings.append(Finding(key, "files", severity, f"{len(bf)} files", f"{len(af)} files", a.dockerfile, None,
                              "the image's file set changed: " + "; ".join(parts)
                              + ("" if known else " (files the model cannot read or place)")))


def _changed_sources(bf: dict[str, str], af: dict[str, str], tb: Tree, ta: Tree) -> list[tuple[str, str, str]]:
    """The files in both images, from the build context (or an archive ADD extracts from it)
    both times, whose bytes differ: (image path, before origin, after origin), by path.
    `bf`/`af` are `app_files`. Two views of one disk can differ only where an origin moved or
    a view wrote the file, so a large context is compared with set operations instead of
    file by file."""
    maybe = tb.differing(ta)
    if maybe is None:  # two disks (verify BEFORE AFTER): any file may differ
        pairs = [(p, bf[p], o) for p, o in af.items() if p in bf]
    else:
        pairs = [(p, bf[p], o) for p, o in af.items() - bf.items() if p in bf]
        pairs += [(p, o, o) for p, o in af.items() if bf.get(p) == o and _source_file(o) in maybe]
    return [(p, ob, oa) for p, ob, oa in sorted(pairs)
            if _source_file(ob) is not None and _source_file(oa) is not None
            and not _same_content(tb, _source_file(ob), ta, _source_file(oa))]


def _source_file(origin: str) -> str | None:
    """The repository file a context or archive origin reads (None for any other origin)."""
    if origin.startswith("context:"):
        return origin[8:]
    if origin.startswith("archive:"):
        return origin[8:].split("!", 1)[0]
    return None


def _same_content(tb: Tree, pb: str, ta: Tree, pa: str) -> bool:
    """Equal bytes; two disks are compared by streaming (a context may hold files of
    gigabytes that the trees must not keep in memory)."""
    if tb.differing(ta) is None and pb not in tb.differing(tb) and pa not in ta.differing(ta):
        import filecmp

        try:
            return filecmp.cmp(tb.root / pb, ta.root / pa, shallow=False)
        except OSError:
            pass
    return tb.same_bytes(pb, ta, pa)


def _is_recipe(path: str, dockerfiles: frozenset[str]) -> bool:
    """The build's own recipe: a transform rewrites these, and an image that copies its context
    whole holds them as data (the rule "The recipe copied as data" in the README): a file
    discovery takes for a Dockerfile (one predicate with graph discovery), the Dockerfile of an
    image of this build (`-f` names any file), or an ignore file."""
    name = path.rsplit("/", 1)[-1]
    return path in dockerfiles or is_dockerfile_name(name) or name.endswith(".dockerignore")


def _compare_contents(v: Verdict, key: str, changed: list[tuple[str, str, str]], tb: Tree, ta: Tree,
                      dockerfiles: frozenset[str] = frozenset()) -> None:
    """Every file that lands in both images from the context and changed: a Python file by
    its code (the module's syntax tree: comments and layout are not code), a Dockerfile or
    ignore file by the recipe rule, any other by its bytes."""
    for p, ob, oa in changed:
        source = _source_file(oa)
        plain = ob.startswith("context:") and oa.startswith("context:")
        if plain and p.endswith(".py"):
            _compare_python(v, key, p, tb.read(ob[8:]), ta.read(source), source)
        elif plain and _is_recipe(source, dockerfiles):
            v.findings.append(Finding(key, "files", "info", "", "", source, None,
                                      f"{p}: the build recipe, copied as data, is the rewritten one"))
        else:
            v.findings.append(Finding(key, "files", "broken", _source_file(ob) or ob, source, source, None,
                                      f"{p}: the content of a file the image holds changed"))


def _compare_python(v: Verdict, key: str, p: str, db: bytes, da: bytes, source: str) -> None:
    """A Python file by its code: the constants that changed are named, else the code."""
    from dockfix.prover.python import code_of, read_module

    if code_of(db) == code_of(da):
        return
    cb, _ = read_module(db)
    ca, _ = read_module(da)
    names = [n for n in sorted(set(cb) | set(ca)) if cb.get(n) != ca.get(n)]
    for name in names:
        v.findings.append(Finding(key, "Python constant", "broken", f"{name} = {cb.get(name)}",
                                  f"{name} = {ca.get(name)}", source, None, f"{name} in {p} changed"))
    if not names:
        v.findings.append(Finding(key, "Python code", "broken", "", "", source, None,
                                  f"the code of {p} changed (its syntax tree; comments and layout are not code)"))


def _break_key(br: Break) -> tuple[str, str, str]:
    return (br.kind, br.path, br.subject)


def _compare_breaks(v: Verdict, key: str, before: list[Break], after: list[Break]) -> None:
    bk = {_break_key(x): x for x in before}
    ak = {_break_key(x): x for x in after}
    for k, br in ak.items():
        sev = "pre-existing" if k in bk else "broken"
        at = bk.get(k, br)  # a pre-existing defect is where it is on disk: in the BEFORE file
        v.findings.append(Finding(key, br.kind, sev, "builds" if sev == "broken" else "fails",
                                  "fails", at.path, at.line, br.message))
    for k, br in bk.items():
        if k not in ak:
            v.findings.append(Finding(key, br.kind, "fixed", "fails", "builds", br.path, br.line,
                                      "pre-existing defect fixed: " + br.message))


def _compare_globs(v: Verdict, tb: Tree, ta: Tree, globs: tuple[str, ...]) -> None:
    if not globs:
        return
    import fnmatch

    paths = sorted({p for t in (tb, ta) for p in t.paths() if any(fnmatch.fnmatchcase(p, g) for g in globs)})
    for p in paths:
        db = tb.read(p) if tb.exists(p) else None
        da = ta.read(p) if ta.exists(p) else None
        if db == da:
            continue
        if p.endswith(".py") and db is not None and da is not None:
            _compare_python(v, "(repository)", p, db, da, p)
        else:
            v.findings.append(Finding("(repository)", "invariant file", "broken", "present" if db else "absent",
                                      "changed" if da else "absent", p, None, "a file under an invariant glob changed"))
