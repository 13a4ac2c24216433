"""Default-deny: the differences between two models of an image that compare.py's older checks
do not judge, each either allowed by a rule the prover's README argues, or reported.

Every function here takes the BEFORE and AFTER models of one image and yields `Diff`s: a
difference that changes what the image is (`broken`), one the model cannot read or that no
rule allows (`unproven`), or one a rule allows (`info`, with the rule's name in the message).
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from dockfix.prover.model import ImageModel, PipInstall, StageState, requirement_name
from dockfix.prover.reads import Installs
from dockfix.prover.steps import ACCOUNT_PROGRAMS, ANY_USER, Step


T = TypeVar("T")


@dataclass(frozen=True)
class Diff:
    invariant: str
    severity: str  # broken | unproven | info
    before: str
    after: str
    field: str | None  # the `where` key of the AFTER state that locates it
    message: str


def deny(b: ImageModel, a: ImageModel) -> list[Diff]:
    bs, as_ = b.state, a.state
    out: list[Diff] = []
    for check in (_forms, _directives, _labels, _bases, _copy_steps, _unread_copies, _accounts):
        out.extend(check(bs, as_))
    out.extend(_run_steps(bs, as_, fixed_copy_patterns(b)))
    out.extend(_pip(b, a))
    out.extend(_spec_order(bs, as_))
    out.extend(_pip_packages(b, a))
    out.extend(_packages(b, a))
    return out


def _forms(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """ENTRYPOINT and HEALTHCHECK as BuildKit reads them: a shell form runs under the SHELL."""
    for name, value, form in (("ENTRYPOINT", lambda s: s.entrypoint, lambda s: s.entrypoint_json),
                              ("HEALTHCHECK", lambda s: s.healthcheck, lambda s: s.healthcheck_json)):
        if value(bs) == value(as_) and value(bs) is not None and form(bs) != form(as_):
            yield Diff(name, "broken", _form(form(bs)), _form(form(as_)), name,
                       f"{name} changed form: an exec form runs its argv, a shell form runs it under SHELL")


def _form(is_json: bool) -> str:
    return "exec form" if is_json else "shell form"


def _directives(bs: StageState, as_: StageState) -> Iterator[Diff]:
    if bs.directives != as_.directives:
        yield Diff("parser directive", "broken", _pairs(bs.directives), _pairs(as_.directives), None,
                   "the parser directives (# syntax=, # escape=, # check=) changed: another frontend or reading")


def _pairs(pairs) -> str:
    return ", ".join(f"{k}={v}" for k, v in pairs) or "-"


def _labels(bs: StageState, as_: StageState) -> Iterator[Diff]:
    for k in sorted(set(bs.labels) | set(as_.labels)):
        if bs.labels.get(k) != as_.labels.get(k):
            yield Diff(f"LABEL {k}", "broken", str(bs.labels.get(k)), str(as_.labels.get(k)), None,
                       f"LABEL {k} changed")


def _bases(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """Every external base reference, whole (registry, name, tag, digest) and its --platform."""
    if bs.bases != as_.bases:
        gone = [r for r in bs.bases if r not in as_.bases]
        new = [r for r in as_.bases if r not in bs.bases]
        yield Diff("base", "broken", _refs(gone) or _refs(bs.bases), _refs(new) or _refs(as_.bases), None,
                   "the external base images the image is built from changed" if gone or new
                   else "the external base images are used in another order")


def _refs(refs) -> str:
    return ", ".join(r + (f" (--platform={p})" if p else "") for r, p in refs)


def _packages(b: ImageModel, a: ImageModel) -> Iterator[Diff]:
    """apt/apk packages: one removed is broken; one added is allowed only when it comes with
    an in-repo base the image is now built on (the rebase rule), else unproven."""
    yield from _package_ops(b, a)
    gone = b.state.packages - a.state.packages
    new = a.state.packages - b.state.packages
    if gone:
        yield Diff("packages", "broken", ", ".join(sorted(gone)), "-", None,
                   "system packages no longer installed: " + ", ".join(sorted(gone)))
    if new:
        rebased = a.base_chain != b.base_chain
        yield Diff("packages", "info" if rebased else "unproven", "-", ", ".join(sorted(new)), None,
                   ("rebase rule: packages added by the in-repo base " if rebased
                    else "packages installed only after the rewrite (no rule allows adding one): ")
                   + ", ".join(sorted(new)))


def _package_ops(b: ImageModel, a: ImageModel) -> Iterator[Diff]:
    """Package commands other than the names installs add: options, removals, upgrades,
    index updates (compared as sets: merged RUNs run each once). Installs and updates only
    AFTER has are allowed when the image is now built on an in-repo base (the rebase rule)."""
    bs, as_ = b.state, a.state
    if bs.package_ops == as_.package_ops:
        return
    gone, new = bs.package_ops - as_.package_ops, as_.package_ops - bs.package_ops
    unread = any(op.unread for op in (*gone, *new))
    if {op._replace(env=()) for op in gone} == {op._replace(env=()) for op in new}:
        yield Diff("package commands", "unproven", _ops(gone), _ops(new), None,
                   "system package commands run with another environment (an ENV or ARG they may read "
                   "moved or changed): what they install may differ")
        return
    if not gone and not unread and all(op.action in _ADDING for op in new):
        rebased = a.base_chain != b.base_chain
        yield Diff("package commands", "info" if rebased else "unproven", "-", _ops(new), None,
                   ("rebase rule: package commands of the in-repo base " if rebased
                    else "package installs only after the rewrite (no rule allows adding one): ") + _ops(new))
        return
    yield Diff("package commands", "unproven" if unread else "broken", _ops(gone), _ops(new), None,
               "system package commands changed (action, options, RUN flags or the packages a removal takes)"
               + ("; part of them cannot be read" if unread else ""))


_ADDING = frozenset({"install", "update"})


def _ops(ops) -> str:
    return "; ".join(f"{o.manager} {o.action} {' '.join(f'{k}={v}' for k, v in o.options)} "
                     f"{' '.join(o.removed)}".strip() for o in sorted(ops)[:3]) or "-"


class PipSignature(NamedTuple):
    """What a pip command does besides which requirements it installs (`_pip_signature`)."""

    action: str
    spelling: str  # the launcher: "python3.11 -m pip", "pip3", "uv pip"
    options: tuple[str, ...]
    index_urls: tuple[str, ...]
    constraints: tuple[str, ...]
    editables: tuple[str, ...]
    target: str | None
    prefix: str | None
    user: str  # who runs a system-wide install ("" for a --user one)
    flags: tuple[str, ...]
    env: tuple[str, ...]
    unknowns: tuple[str, ...]


def _pip_signature(p: PipInstall) -> PipSignature:
    """What a pip command does besides which requirements it installs (compared as sets
    through the sites): its action, launcher, options, where it installs, its RUN's flags and
    the environment it reads besides its PIP_* options (PATH picks the pip that runs, PYTHON*
    configure it)."""
    options = ()
    if p.command is not None:
        options = tuple(repr(k) for k in (_option_key(x) for x in p.command.options) if k is not None)
    # Who runs it: what a system-wide (or --target/--prefix) install writes is owned by that
    # user (and fails where it may not write); a --user install is judged by its site.
    user = "" if p.user_site else "root" if p.user in ("root", "0") else p.user
    return PipSignature(p.action.value, p.spelling, options, p.index_urls, p.constraints, p.editables, p.target,
                        p.prefix, user, p.flags, p.env, p.unknowns)


_REQUIREMENT_DESTS = frozenset({"requirements", "constraints", "editables", "user", "use_user_site"})
# `--no-cache-dir` (pip) and `--no-cache` (uv): the download and wheel cache is not kept.
_CACHE_OFF = frozenset({("cache_dir", False), ("no_cache", True)})


def _option_key(option) -> tuple | None:
    """An option without the requirement files it names (those are compared by content) and
    without --user (compared through the site it installs to)."""
    dest = getattr(option, "dest", None)
    if dest in _REQUIREMENT_DESTS:
        return None
    if (dest, getattr(option, "value", None)) in _CACHE_OFF:
        return None  # rule "pip's cache turned off": what is installed is the same
    return (dest, str(getattr(option, "value", "")))


def _pip_sequence(records: list[PipInstall]) -> list[PipSignature]:
    """The pip commands in order, one entry for a run of consecutive equal ones (merged RUNs
    run them as one command)."""
    return _merged(_pip_signature(p) for p in records)


def _pip(b: ImageModel, a: ImageModel) -> Iterator[Diff]:
    bs, as_ = b.state, a.state
    sb, sa = _pip_sequence(bs.pip), _pip_sequence(as_.pip)
    if sb == sa:
        return
    if a.base_chain != b.base_chain:
        # The rebase rule: the in-repo base's own pip commands (its builder's, copied from)
        # come with it; the image's own must be the same.
        theirs = {p.path for p in bs.pip} | {a.dockerfile}
        own = _pip_sequence([p for p in as_.pip if p.path in theirs])
        if own == sb:
            yield Diff("pip", "info", "-", _pip_text(sa, sb), None, "rebase rule: pip commands of the in-repo base")
            return
    if _same_but(sb, sa, user=""):
        # The same commands run by another user: what a system-wide install writes is owned
        # by another user, and as a non-root user pip falls back to its user site, or fails,
        # depending on the base's permissions, which the model does not know.
        yield Diff("pip", "unproven", _pip_text(sb, sa), _pip_text(sa, sb), None,
                   "pip commands run as another user: where they install and who owns it depend on "
                   "the base's permissions")
        return
    unread = any(sig.unknowns for sig in (*sb, *sa))
    if _same_but(sb, sa, env=()):
        yield Diff("pip", "unproven", _pip_text(sb, sa), _pip_text(sa, sb), None,
                   "pip commands run with another environment (an ENV or ARG they may read moved or "
                   "changed): what they install may differ")
        return
    yield Diff("pip", "unproven" if unread else "broken", _pip_text(sb, sa), _pip_text(sa, sb), None,
               "pip commands changed (action, launcher, options, indexes, constraints, editables, target, "
               "RUN flags, environment or order)"
               + ("; part of them cannot be read" if unread else ""))


def _pip_packages(b: ImageModel, a: ImageModel) -> Iterator[Diff]:
    """The same pip commands with other system packages installed when they run: pip builds a
    project without a wheel against what is there (a compiler, libpq's headers), or fails. The
    packages an in-repo base the image is now built on installs come first (the rebase rule)."""
    bs, as_ = b.state, a.state
    if [p.packages for p in bs.pip] == [p.packages for p in as_.pip]:
        return
    sb, sa = [_pip_signature(p) for p in bs.pip], [_pip_signature(p) for p in as_.pip]
    if _merged(sb) != _merged(sa):
        return  # `_pip` judges the commands themselves
    pb = _merged(zip(sb, (p.packages for p in bs.pip)))
    pa = _merged(zip(sa, (p.packages for p in as_.pip)))
    if pb == pa:
        return
    before, after = next(((x[1], y[1]) for x, y in zip(pb, pa) if x != y), (frozenset(), frozenset()))
    text = lambda names: ", ".join(sorted(names)[:5]) or "-"  # noqa: E731
    rebased = a.base_chain != b.base_chain
    yield Diff("pip", "info" if rebased else "unproven", text(before - after), text(after - before), None,
               ("rebase rule: the in-repo base's system packages are installed before the image's pip commands"
                if rebased else "pip commands run with other system packages installed: a project without a "
                "wheel builds against them (or fails)"))


def _spec_order(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """A project pip commands name with different specs (`six==1.15.0`, later `six==1.16.0`):
    the later command decides what lands, which the requirement set (compared through the
    sites, as a set) does not say. The commands naming it must run in the same order."""
    if [(p.action, p.requirements) for p in bs.pip] == [(p.action, p.requirements) for p in as_.pip]:
        return  # the same specs in the same commands, in the same order
    # What AFTER installs from a file BEFORE could not open is the fixed step's: BEFORE is
    # judged as it would be once that step works.
    fixed = fixed_requirements(bs, as_)
    ob, oa = _spec_orders(bs.pip, fixed), _spec_orders(as_.pip, fixed)
    if ob != oa:
        names = sorted(n for n in ob.keys() | oa.keys() if ob.get(n) != oa.get(n))
        yield Diff("pip", "broken", _orders_text(ob, names), _orders_text(oa, names), None,
                   f"pip commands that name {', '.join(names[:3])} with different specs run in another order: "
                   "the last one decides what lands")


def _spec_orders(records: list[PipInstall], fixed: frozenset[str] = frozenset()) -> dict[str, list[tuple[str, ...]]]:
    """For each project named by more than one spec, what each pip command naming it does
    with it (action and specs), in order, `fixed` aside; a command repeated at once counts once."""
    specs: dict[str, set[str]] = {}
    for p in records:
        for r in p.requirements:
            if r not in fixed:
                specs.setdefault(requirement_name(r), set()).add(r)
    several = {name for name, found in specs.items() if len(found) > 1}
    orders: dict[str, list[tuple[str, ...]]] = {}
    for p in records if several else ():
        mine: dict[str, list[str]] = {}
        for r in p.requirements:
            name = requirement_name(r)
            if name in several and r not in fixed:
                mine.setdefault(name, []).append(r)
        for name, found in mine.items():
            entry = (p.action.value, *sorted(found))
            order = orders.setdefault(name, [])
            if not order or order[-1] != entry:
                order.append(entry)
    return orders


def fixed_requirements(bs: StageState, as_: StageState) -> frozenset[str]:
    """What AFTER's pip installs from requirement files BEFORE's pip could not open and
    AFTER's can: fewer pip commands fail to open the file (one that fails on both sides, read
    again after its COPY, is no fix)."""
    failed = Counter(b.subject for b in bs.breaks if b.kind == "missing-requirement-file")
    failed.subtract(b.subject for b in as_.breaks if b.kind == "missing-requirement-file")
    missing = {subject for subject, n in failed.items() if n > 0}
    if not missing:
        return frozenset()
    return frozenset(r for p in as_.pip if missing & set(p.files) for r in p.requirements)


def _orders_text(orders: dict[str, list[tuple[str, ...]]], names: list[str]) -> str:
    return "; ".join(" then ".join(" ".join(e) for e in orders.get(n, [])) or f"{n}: -" for n in names[:3])


def _same_but(sb: list[PipSignature], sa: list[PipSignature], **blank) -> bool:
    """The two pip sequences are the same once the fields `blank` names are blanked."""
    return _merged(s._replace(**blank) for s in sb) == _merged(s._replace(**blank) for s in sa)


def _merged(sequence: Iterable[T]) -> list[T]:
    """One entry for each run of consecutive equal items (merged RUNs run them as one command):
    pip signatures, which the rules below blank a field of first to compare the rest, or a
    signature with the system packages installed when it runs (`_pip_packages`)."""
    out: list[T] = []
    for sig in sequence:
        if not out or out[-1] != sig:
            out.append(sig)
    return out


def _pip_text(mine: list[PipSignature], other: list[PipSignature]) -> str:
    only = [s for s in mine if s not in other] or mine
    return "; ".join(f"{s.spelling} {s.action} {' '.join(s.options)}{' as ' + s.user if s.user else ''}".strip()
                     for s in only[:3])


def _copy_steps(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """COPY/ADD flags that change what lands besides its origin (--from is the files' origin,
    --chown their owner: both judged with the files): --chmod, --exclude, --parents, --link.
    Compared as the set of flag combinations the steps use (a rebase moves steps into the
    base). --link alone is unproven (README: BuildKit places a --link layer without reading
    the earlier ones, so a symlink among the destination's parents, unknown in an external
    base, lands it elsewhere)."""
    fb = {_copy_key(s) for s in bs.steps if s.keyword != "RUN"} - {()}
    fa = {_copy_key(s) for s in as_.steps if s.keyword != "RUN"} - {()}
    if fb == fa:
        return
    unlinked = {tuple(f for f in k if f != "--link") for k in fb} - {()} == \
        {tuple(f for f in k if f != "--link") for k in fa} - {()}
    yield Diff("COPY flags", "unproven" if unlinked else "broken", _flagset(fb - fa), _flagset(fa - fb), None,
               "COPY --link added or removed: the model cannot see the base's symlinks it would bypass"
               if unlinked else "COPY/ADD --chmod, --exclude, --parents or --link changed")


def _unread_copies(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """COPY/ADD steps whose files the model cannot read (a word it cannot expand, a build
    context the graph does not know) are compared as written, destination resolved (README:
    COPY/ADD the model cannot read): an ADD that became a COPY there may have extracted an
    archive, a wildcard may match other files."""
    gone = Counter(bs.unread_copies) - Counter(as_.unread_copies)
    new = Counter(as_.unread_copies) - Counter(bs.unread_copies)
    if gone or new:
        yield Diff("COPY/ADD not read", "unproven", "; ".join(sorted(gone)) or "-", "; ".join(sorted(new)) or "-",
                   None, "a COPY/ADD whose files the model cannot read (an unknown word or build context) "
                   "changed: what it lands is not known")


def _copy_key(s: Step) -> tuple[str, ...]:
    return tuple(f for f in s.flags if not f.startswith(("--chown", "--from")))


def _is_account_item(step: Step, item: str) -> bool:
    """A residue command that only creates an account, or chowns to one the step creates."""
    words = item.split()
    if not words:
        return False
    prog = words[0].rsplit("/", 1)[-1]
    if prog in ACCOUNT_PROGRAMS:
        return True
    if prog == "chown" and step.accounts:
        owner = next((w for w in words[1:] if not w.startswith("-")), "")
        return bool(owner) and owner.split(":")[0] in step.accounts
    return False


class ResidueItem(NamedTuple):
    """A command no other rule reads, with what it runs as and with (`_residue`)."""

    flags: tuple[str, ...]  # its RUN's
    user: str  # "any" for a builtin that touches no file
    command: str  # text, directory, condition, shell, environment (prover.steps)
    files: frozenset[tuple[str, str]]  # (image path, origin) of the files present it may read
    installs: frozenset[str]  # the installs both images make that ran before it

    def unplaced(self) -> "ResidueItem":
        """Without the files present and installs before it: the command as it is written."""
        return self._replace(files=frozenset(), installs=frozenset())


def _residue(st: StageState, accounts: bool, before: bool = False, common: frozenset[str] = frozenset()
             ) -> list[ResidueItem]:
    """(flags, user, command, files present, installs before) of every command no other rule
    reads, in order; account items apart (`accounts` selects them, without files and installs:
    an account tool reads none of them). Installs are those of `common`, what both images
    install: a difference in what is installed is judged by the package and pip rules, this
    one judges whether the command ran before or after each install."""
    return [ResidueItem(s.flags, "any" if item.endswith(ANY_USER) else _user_key(s, before), item,
                        frozenset() if accounts else files, frozenset() if accounts else installed.items() & common)
            for s in st.steps if s.keyword == "RUN"
            for item, files, installed in _reads(s)
            if _is_account_item(s, item) == accounts]


def _reads(s: Step) -> Iterator[tuple[str, frozenset, Installs]]:
    """Each residue item of a RUN step with the files present and the installs before it."""
    if not s.residue:
        return iter(())
    return zip(s.residue, s.files, s.installed, strict=True)


def _user_key(step: Step, before: bool) -> str:
    """A BEFORE step that runs a package manager's install as a non-root user fails there;
    it is judged as the step it would be once it works: run as root (README: root-only rule)."""
    if before and step.root_only and step.user != "root" and not step.user.startswith("?"):
        return "root"
    return step.user


def fixed_copy_patterns(b: ImageModel) -> list[re.Pattern]:
    """For each COPY of BEFORE that fails on a source .dockerignore excludes (judged as the
    step once it works, README: Fixed failing COPY), the context origins it lands."""
    return [_source_pattern(posixpath.normpath(posixpath.join(b.context, br.subject)) if b.context
                            else posixpath.normpath(br.subject))
            for br in b.state.breaks if br.kind == "copy-excluded-source"]


def _source_pattern(source: str) -> re.Pattern:
    """The context origins a COPY source names (filepath.Match: `*` and `?` stop at `/`),
    and everything below them."""
    out = []
    for ch in source:
        out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
    return re.compile("context:" + "".join(out) + "(/.*)?")


def _run_steps(bs: StageState, as_: StageState, fixed: list[re.Pattern]) -> Iterator[Diff]:
    """Commands the model does not read are proved unchanged only when they are the same, in
    the same order, with the same RUN flags, user, directory and condition."""
    flags_b = {s.flags for s in bs.steps if s.keyword == "RUN"} - {()}  # a RUN without flags: no combination
    flags_a = {s.flags for s in as_.steps if s.keyword == "RUN"} - {()}
    if flags_b != flags_a:
        yield Diff("RUN flags", "broken", _flagset(flags_b - flags_a), _flagset(flags_a - flags_b), None,
                   "RUN --mount/--network/--security (or another flag) changed")
    yield from _residue_diff(bs, as_, fixed)
    yield from _root_only(bs, as_)
    lost = [x for x in _residue(bs, True) if x not in _residue(as_, True)]
    if lost:
        yield Diff("accounts", "broken", _items(lost), "-", None, "a command that created an account is gone")


def _residue_diff(bs: StageState, as_: StageState, fixed: list[re.Pattern]) -> Iterator[Diff]:
    common = bs.installed.items() & as_.installed.items()
    rb, ra = _residue(bs, False, True, common), _residue(as_, False, False, common)
    if fixed:  # files of a fixed failing COPY: what the working step lands on both sides
        rb, ra = _without_origins(rb, fixed), _without_origins(ra, fixed)
    if _yarn_classic(as_):
        ra = [x for x in ra if not x.command.startswith(_YARN_CLEAN) or x in rb]
    if rb != ra:
        yield _residue_change(rb, ra)


def _residue_change(rb: list[ResidueItem], ra: list[ResidueItem]) -> Diff:
    gone = [x for x in rb if x not in ra]
    new = [x for x in ra if x not in rb]
    if [x.unplaced() for x in rb] == [x.unplaced() for x in ra]:
        return Diff("RUN", "unproven", _items(gone), _items(new), None,
                    "commands the model does not read run with other files present or after other installs "
                    "(a COPY, ADD or package install moved across them): they may read them")
    return Diff("RUN", "unproven", _items(gone or rb), _items(new or ra), None,
                "commands the model does not read changed (text, order, user, directory, shell, environment or flags): "
                "their effect cannot be compared" if gone or new else
                "commands the model does not read run in another order")


def _without_origins(residue: list[ResidueItem], patterns: list[re.Pattern]) -> list[ResidueItem]:
    return [x._replace(files=frozenset(f for f in x.files if not any(p.match(f[1]) for p in patterns)))
            for x in residue]


_YARN_CLEAN = "yarn cache clean ["
_NOT_YARN_1_FILES = frozenset({".yarnrc.yml", ".yarnrc", ".pnp.cjs", ".pnp.js"})
_NOT_YARN_1_WORDS = ("corepack", "yarn set version", "yarn policies", "@yarn/berry", "yarnPath", "YARN_")


def _yarn_classic(st: StageState) -> bool:
    """The image's yarn is the official node image's yarn 1 (README: the yarn cache rule): every
    external base is an official node image, no file of the image configures another yarn
    (.yarnrc.yml, .yarnrc) or Plug'n'Play (.pnp.cjs), no command switches yarn (corepack, yarn
    set version) and no environment variable configures it."""
    from dockfix.model.bases import facts_of

    if not st.bases or any(not (f := facts_of(ref)) or not f.image.startswith("node:") for ref, _ in st.bases):
        return False
    if any(path.rsplit("/", 1)[-1] in _NOT_YARN_1_FILES for path in st.files):
        return False
    if any(k.startswith("YARN_") for k in st.env):
        return False
    return not any(w in item for s in st.steps if s.keyword == "RUN" for item in s.residue for w in _NOT_YARN_1_WORDS)


def _root_only(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """A package install AFTER runs as a non-root user (and BEFORE did not): a build break."""
    failing_b = {(s.flags, s.residue) for s in bs.steps if _fails_as_non_root(s)}
    for s in as_.steps:
        if _fails_as_non_root(s) and (s.flags, s.residue) not in failing_b:
            yield Diff("root-only step", "broken", "root", s.user, None,
                       f"{s.path}:{s.line} runs a package manager's install or an account tool as {s.user}: "
                       "it fails unless root")


def _fails_as_non_root(step: Step) -> bool:
    return step.root_only and step.user != "root" and not step.user.startswith("?")


def _flagset(flags) -> str:
    return "; ".join(" ".join(f) or "(none)" for f in sorted(flags)) or "-"


def _items(items: list[ResidueItem]) -> str:
    return "; ".join(f"{x.command} (as {x.user}{', ' + ' '.join(x.flags) if x.flags else ''})" for x in items[:3])


_NUMERIC = re.compile(r"^\d+$")


def _accounts(bs: StageState, as_: StageState) -> Iterator[Diff]:
    """A user or group that USER or --chown names after the rewrite, and not before, must be
    one a step of the image creates, or root. A number needs no account: the runtime uses
    a numeric uid/gid as it is (only a name is looked up in /etc/passwd and /etc/group)."""
    created = {n for s in as_.steps for n in s.accounts}
    used_before = _names_used(bs)
    for name, where in _names_used(as_).items():
        if name in used_before or name in created or name in ("root", "") or name.startswith("?") \
                or _NUMERIC.match(name):
            continue
        yield Diff("account", "unproven", "-", name, None,
                   f"{name} (at {where}) is a user or group no step of the image creates; the base's "
                   f"accounts are not known to the model")


def _names_used(st: StageState) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in st.steps:
        for f in s.flags:
            if f.startswith("--chown="):
                for part in f[len("--chown="):].split(":"):
                    out.setdefault(part, f"{s.path}:{s.line}")
        if s.user:
            for part in s.user.split(":"):
                out.setdefault(part, f"{s.path}:{s.line}")
    final = st.user or "root"
    where = st.where.get("USER")
    for part in final.split(":"):
        out.setdefault(part, f"{where[0]}:{where[1]}" if where else "USER")
    return out
