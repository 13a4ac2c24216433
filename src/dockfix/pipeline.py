"""plan / apply / check: the engine, then the prover, then (for apply) the writer.

`apply` = transforms → prover on the result (refuse when anything is broken) → a
second pass that must change nothing → all-or-nothing write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dockfix import engine
from dockfix.config import Config
from dockfix.errors import Refused
from dockfix.planfile import PLAN_SCHEMA_VERSION
from dockfix.tree import Tree

if TYPE_CHECKING:
    from dockfix.prover import Verdict


@dataclass
class Plan:
    root: Path
    option: int | None
    outcome: engine.Outcome
    verdict: "Verdict"
    defects: list = field(default_factory=list)  # pre-existing defects of the BEFORE tree
    leftover: dict[str, bytes] | None = None  # the second pass's changes, when it was run

    @property
    def changed(self) -> dict[str, tuple[bytes | None, bytes]]:
        return self.outcome.changed

    def diff(self) -> bytes:
        return self.outcome.diff()

    def to_json(self) -> dict:
        changes = []
        for path, (old, new) in self.changed.items():
            changes.append({
                "path": path,
                "transforms": self.outcome.transforms_of(path),
                "sha256_before": sha256(old),
                "sha256_after": sha256(new),
                "diff": self.outcome.diff_of(path, old, new).decode("utf-8", "surrogateescape"),
            })
        return {
            "schema": "dockfix-plan",
            "version": PLAN_SCHEMA_VERSION,
            "root": str(self.root),
            "option": self.option,
            "transforms": list(self.outcome.names),
            "changes": changes,
            "notes": [{"transform": n.transform, "kind": n.kind, "path": n.path, "line": n.line,
                       "message": n.message} for n in self.outcome.notes],
            "verdict": self.verdict.to_json(),
        }


def sha256(data: bytes | None) -> str | None:
    import hashlib  # only plans written as JSON need it: not on the `check` start-up path

    return None if data is None else hashlib.sha256(data).hexdigest()


def make_plan(root: str | Path, config: Config, names: list[str], option: int | None, *,
              jobs: int | None = None, second_pass: bool = False,
              progress: "scheduler.Progress | None" = None) -> Plan:
    """Transforms, then the prover (and with `second_pass`, the stability run `apply` needs).
    A large repository is split into independent parts run in `jobs` processes; the
    result is the same as one serial run."""
    from dockfix import scheduler

    root = Path(root)
    tree = Tree(root, exclude=config.exclude)
    graph = engine.check_input(tree, config)  # bad input stops everything before any work
    done = scheduler.run(tree, graph, names, config, jobs=jobs, second_pass=second_pass, progress=progress)
    if done is not None:
        return Plan(root, option, done.outcome, done.verdict, done.defects, done.leftover)
    outcome, verdict, defects, leftover = scheduler.run_part(tree, names, config, second_pass,
                                                             overlap=scheduler.overlap_pays(graph, jobs))
    from dockfix.prover import glob_findings

    verdict.findings += glob_findings(outcome.before, outcome.after, config)
    return Plan(root, option, outcome, verdict, defects, leftover)


def apply(plan: Plan, config: Config, expected: dict | None = None) -> list[str]:
    """Write the plan's files, after the prover and the second pass agree.
    `expected` is a plan JSON made earlier: its files must not have changed since."""
    if not plan.verdict.holds:
        why = "breaks an invariant" if plan.verdict.outcome.value == "broken" else "is not proved"
        raise Refused(f"the rewrite {why}; nothing written\n" + plan.verdict.report())
    leftover = plan.leftover if plan.leftover is not None else engine.second_pass(plan.outcome, config)
    if leftover:
        raise engine.TransformBug("a second run of the transforms still changes "
                                  + ", ".join(sorted(leftover)) + "; nothing written")
    if expected is not None:
        _check_not_stale(plan, expected)
    files = {p: new for p, (_, new) in plan.changed.items()}
    from dockfix.write import write_files

    # Compare-and-swap against the bytes the plan was made from, not the disk of now.
    return write_files(plan.root, files, {p: old for p, (old, _) in plan.changed.items()})


def _check_not_stale(plan: Plan, expected: dict) -> None:
    want = {c["path"]: c for c in expected["changes"]}  # checked by planfile.load
    have = plan.changed
    for path, change in sorted(want.items()):
        current = plan.outcome.before.original(path)
        if sha256(current) != change["sha256_before"]:
            raise Refused("file changed since the plan was made; nothing written", path=path)
        if path not in have or sha256(have[path][1]) != change["sha256_after"]:
            raise Refused("the plan no longer produces the same result; nothing written", path=path)
    extra = sorted(set(have) - set(want))
    if extra:
        raise Refused("the plan does not cover this change (re-run plan); nothing written", path=extra[0])


def load_plan_file(path: str) -> dict:
    from dockfix.planfile import load

    return load(path)
