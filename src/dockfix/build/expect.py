"""What the static verdict predicts of each image, and the real file-system differences it explains.

`verify --build` holds the static prover to what the builds show: a difference between the
BEFORE and AFTER images that the static verdict did not predict is a prover bug. The
prediction of one image (`Expected`) is read from the static verdict (its outcome and the
invariants its findings name) and from the two static models (the accounts each creates,
the pip user sites each installs to). Real config differences are matched to the
invariants by name (`CONFIG_INVARIANTS`). Real file-system differences are explained by the
rules below, each a consequence of a difference the static verdict allowed; whatever no
rule explains is unexplained (`FsComparison.unexplained`):

* accounts: the account databases (`ACCOUNT_FILES`) differ when AFTER creates an account
  that BEFORE does not (the prover's account rule allowed that account).
* new home: the home directory of such an account (as the AFTER image's passwd gives it),
  new in AFTER, and in it the copies of ``/etc/skel`` that ``useradd -m`` makes.
* relocated user site: the static models install the same requirements into another user
  site (``/root/.local`` → ``/home/appuser/.local``, the PATH rule): every path under the
  BEFORE site is gone and the same relative path under the AFTER site is new, with the same
  type, mode, size and content (the owner may be a new account).
* ownership: a path whose only difference is its owner or group, now an account AFTER
  creates (the prover's ownership rule: who owns a file changes who may write it, not what
  it holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from dockfix.build.filesystem import FsChange, FsEntry, Snapshot

# A real config field and the static invariant that names the same difference.
CONFIG_INVARIANTS = {"Cmd": "CMD", "Entrypoint": "ENTRYPOINT", "WorkingDir": "WORKDIR", "ExposedPorts": "EXPOSE",
                     "Healthcheck": "HEALTHCHECK", "User": "USER", "StopSignal": "STOPSIGNAL", "Volumes": "VOLUME",
                     "OnBuild": "ONBUILD", "Shell": "SHELL"}

ACCOUNT_FILES = frozenset(f"etc/{name}{backup}" for name in ("passwd", "group", "shadow", "gshadow", "subuid", "subgid")
                          for backup in ("", "-"))


def static_invariant(check: str) -> str:
    """`Env X` → `ENV X`, `Label X` → `LABEL X`, `Cmd` → `CMD`, …"""
    for real, static in (("Env ", "ENV "), ("Label ", "LABEL ")):
        if check.startswith(real):
            return static + check[len(real):]
    return CONFIG_INVARIANTS.get(check, check)


@dataclass(frozen=True)
class Expected:
    """What the static verdict says of one image (`NO_STATIC` when none was given)."""

    outcome: str | None  # proved | broken | unproven; None: no static verdict
    invariants: frozenset[str] = frozenset()  # every invariant its findings name
    new_accounts: frozenset[str] = frozenset()  # names and uids AFTER's steps create, BEFORE's do not
    moved_sites: tuple[tuple[str, str], ...] = ()  # (BEFORE user base, AFTER user base), same requirements

    @property
    def proved(self) -> bool:
        return self.outcome == "proved"

    def predicts(self, check: str) -> bool:
        return static_invariant(check) in self.invariants


NO_STATIC = Expected(None)


def expectations(verdict, before_models: dict, after_models: dict) -> dict[str, Expected]:
    """One `Expected` per image the static verdict judged (`prover.Verdict`, `ImageModel`s)."""
    outcomes = verdict.outcomes
    out = {}
    for key in set(before_models) & set(after_models):
        bs, as_ = before_models[key].state, after_models[key].state
        out[key] = Expected(outcomes[key].value if key in outcomes else "proved",
                            frozenset(f.invariant for f in verdict.findings if f.image == key),
                            frozenset(_accounts(as_) - _accounts(bs)), _moved_sites(bs.sites, as_.sites))
    return out


def static_expectations(before_root: str | Path, after_root: str | Path, config, before_config=None) -> dict[str, Expected]:
    """Read both trees as `dockfix verify BEFORE AFTER` does and predict each image."""
    from dockfix.prover import build_models
    from dockfix.prover.compare import compare
    from dockfix.tree import Tree

    own = before_config or config
    tb, ta = Tree(before_root, exclude=own.exclude), Tree(after_root, exclude=config.exclude)
    before, after = build_models(tb, own), build_models(ta, config)
    return expectations(compare(before, after, tb, ta), before, after)


def _accounts(state) -> set[str]:
    return {name for step in state.steps for name in step.accounts}


def _moved_sites(before: dict, after: dict) -> tuple[tuple[str, str], ...]:
    gone = [p for p in before if p not in after and p.endswith("/.local")]
    new = [p for p in after if p not in before and p.endswith("/.local")]
    return tuple((b, a) for b in gone for a in new if before[b] == after[a])


SAMPLE = 20  # explained paths listed per rule in the JSON report


class FsRule(str, Enum):
    ACCOUNTS = "accounts"
    NEW_HOME = "new home"
    USER_SITE = "relocated user site"
    OWNERSHIP = "ownership"


@dataclass(frozen=True)
class FsComparison:
    """Two images' file systems: how many paths, which differences each rule explains."""

    paths: int  # paths on either side (volatile ones left out)
    volatile: int  # volatile paths left out, both sides
    explained: dict[FsRule, tuple[str, ...]] = field(default_factory=dict)
    unexplained: tuple[FsChange, ...] = ()

    @property
    def differing(self) -> int:
        return sum(len(p) for p in self.explained.values()) + len(self.unexplained)

    def summary(self) -> str:
        rules = ", ".join(f"{len(p)} {rule.value}" for rule, p in self.explained.items() if p)
        return (f"{self.paths:,} paths ({self.volatile:,} volatile left out); {self.differing:,} differ"
                + (f": {rules}" if rules else "") + f"; {len(self.unexplained)} unexplained")

    def to_json(self) -> dict:
        """Every unexplained difference; of the explained ones, the count and the first
        `SAMPLE` paths of each rule (a moved user site is thousands of allowed paths)."""
        return {"paths": self.paths, "volatile": self.volatile,
                "explained": {rule.value: {"count": len(p), "sample": list(p[:SAMPLE])}
                              for rule, p in self.explained.items()},
                "unexplained": [c.describe() for c in self.unexplained]}


def compare_file_systems(before: Snapshot, after: Snapshot, changes: list[FsChange], expected: Expected) -> FsComparison:
    """Attribute each change to the first rule that explains it."""
    left = {c.path: c for c in changes}
    owners = _new_owner_ids(after, before, expected.new_accounts)
    explained = {FsRule.USER_SITE: _take(left, _site_moves(before, after, left, expected.moved_sites, owners))}
    if expected.new_accounts:
        explained[FsRule.ACCOUNTS] = _take(left, [p for p in left if p in ACCOUNT_FILES])
        explained[FsRule.NEW_HOME] = _take(left, _new_home_paths(before, after, left, expected.new_accounts))
    explained[FsRule.OWNERSHIP] = _take(left, [p for p, c in left.items() if c.owner_only and _owned_by(c, owners)])
    return FsComparison(len(set(before.entries) | set(after.entries)), before.volatile + after.volatile,
                        {r: p for r, p in explained.items() if p}, tuple(left.values()))


def _take(left: dict[str, FsChange], paths) -> tuple[str, ...]:
    taken = tuple(sorted(paths))
    for p in taken:
        del left[p]
    return taken


def _new_owner_ids(after: Snapshot, before: Snapshot, names: frozenset[str]) -> tuple[set[int], set[int]]:
    """(uids, gids) of the accounts AFTER creates (by name, or a uid given with -u)."""
    new_users = [n for n in names if n in after.users and n not in before.users]
    new_groups = [n for n in names if n in after.groups and n not in before.groups]
    numeric = {int(n) for n in names if n.isdigit()}
    return after.user_ids(new_users) | numeric, after.group_ids(new_groups)


def _owned_by(change: FsChange, owners: tuple[set[int], set[int]]) -> bool:
    b, a = change.before, change.after
    assert b is not None and a is not None
    return (a.uid == b.uid or a.uid in owners[0]) and (a.gid == b.gid or a.gid in owners[1])


def _under(path: str, root: str) -> str | None:
    """`path` relative to `root` ("" for root itself), None when outside it."""
    if path == root:
        return ""
    return path[len(root) + 1:] if path.startswith(root + "/") else None


def _site_moves(before: Snapshot, after: Snapshot, left: dict[str, FsChange], moves, owners) -> list[str]:
    out = []
    for b_base, a_base in moves:
        b_root, a_root = b_base.strip("/"), a_base.strip("/")
        gone = {rel: p for p, c in left.items() if c.after is None and (rel := _under(p, b_root)) is not None}
        new = {rel: p for p, c in left.items() if c.before is None and (rel := _under(p, a_root)) is not None}
        for rel in gone.keys() & new.keys():
            b, a = before.entries[gone[rel]], after.entries[new[rel]]
            if b.same_but_owner(a) and _owned_by(FsChange(rel, b, a), owners):
                out += [gone[rel], new[rel]]
    return out


def _new_home_paths(before: Snapshot, after: Snapshot, left: dict[str, FsChange], names) -> list[str]:
    skel = {rel: e for p, e in after.entries.items() if (rel := _under(p, "etc/skel"))}
    out = []
    for name in names:
        account = after.users.get(name)
        home = account.home.strip("/") if account else ""
        if not home or name in before.users or home in before.entries:
            continue  # no home, not new, or a directory that was there (useradd -d /app)
        for p, c in left.items():
            rel = _under(p, home) if c.before is None else None
            if rel == "" or (rel is not None and _skeleton_copy(c.after, skel.get(rel))):
                out.append(p)
    return out


def _skeleton_copy(entry: FsEntry | None, skel: FsEntry | None) -> bool:
    return entry is not None and skel is not None and entry.same_but_owner(skel)
