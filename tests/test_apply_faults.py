"""`apply` loses no edit and never leaves a half-rewritten repository: kill -9, SIGINT and
SIGTERM at every named point of a real `dockfix apply` process (the DOCKFIX_FAULT hook,
dockfix/faults.py), then any dockfix command; an edit made mid-apply; two applies at once.

`make fuzz` runs the random faults on a larger repository with many more examples."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "0"))


def _dockfix(*args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DOCKFIX_FAULT"}
    if fault:
        env["DOCKFIX_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "dockfix", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=300)


def _start(*args: str, fault: str, out: Path) -> subprocess.Popen:
    env = dict(os.environ, DOCKFIX_FAULT=fault)
    with open(out, "wb") as fh:
        return subprocess.Popen([sys.executable, "-m", "dockfix", *map(str, args)], env=env, stdout=fh, stderr=fh)


def _stopped(proc: subprocess.Popen) -> None:
    """Wait until the process has stopped itself at its fault point (SIGSTOP)."""
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), status


def _generate(root: Path, n: int) -> Path:
    """n services, each a Dockerfile that option 1 rewrites (two pip RUNs merged), plus
    files no transform touches."""
    for i in range(n):
        d = root / f"svc{i:03d}"
        d.mkdir(parents=True)
        (d / "Dockerfile").write_bytes(b"FROM python:3.11-slim\nRUN pip install a%d\nRUN pip install b%d\n" % (i, i))
        (d / "app.py").write_bytes(b"print(%d)\n" % i)
    (root / "README.md").write_bytes(b"not a Dockerfile\n")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file below root (dot files included) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if not p.is_dir()}


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The repository's bytes before and after a clean `apply --option 1`."""
    root = _generate(tmp_path_factory.mktemp("clean"), 5)
    old = _snapshot(root)
    done = _dockfix("apply", root, "--option", "1")
    assert done.returncode == 0, done.stderr
    new = _snapshot(root)
    assert sum(old[p] != new[p] for p in old) == 5 and old.keys() == new.keys()
    return old, new


@pytest.mark.parametrize("fault, status, follow_up", [
    ("locked:kill", -9, "plan"),
    ("planned:kill", -9, "apply"),
    ("journal-tmp:kill", -9, "check"),
    ("journal:kill", -9, "graph"),
    ("staged:kill", -9, "scan"),
    ("rename#1:kill", -9, "plan"),
    ("rename#3:kill", -9, "apply"),
    ("rename#5:kill", -9, "verify"),
    ("committed:kill", -9, "plan"),
    ("staged:int", 130, "plan"),
    ("rename#2:int", 130, "plan"),
    ("rename#4:term", 143, "plan"),
])
def test_a_fault_then_any_command_leaves_old_or_new_bytes_and_no_stray_file(
        tmp_path: Path, states, fault: str, status: int, follow_up: str) -> None:
    old, new = states
    root = _generate(tmp_path / "repo", 5)
    done = _dockfix("apply", root, "--option", "1", fault=fault)
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    if status != -9:  # a signal the process could catch: it rolled back itself
        assert done.stderr.endswith("dockfix: interrupted; nothing written\n"), done.stderr
        assert _snapshot(root) == old
    args = {"plan": ("plan", root), "apply": ("apply", root, "--option", "1"), "check": ("check", root),
            "graph": ("graph", root), "scan": ("scan", root), "verify": ("verify", "--base", "HEAD", root)}
    after = _dockfix(*args[follow_up])
    assert "Traceback" not in after.stderr
    if follow_up == "apply":  # rolled back, then applied again
        assert after.returncode == 0, after.stderr
        assert _snapshot(root) == new
    elif fault.startswith("committed"):
        assert _snapshot(root) == new
        assert "removed the stale lock" in after.stderr
    else:
        assert _snapshot(root) == old, after.stderr
    if fault.split(":")[0] in ("rename#1", "rename#3", "rename#5") and follow_up != "apply":
        restored = int(fault.split("#")[1].split(":")[0])
        assert f"rolled back: {restored} file(s) restored" in after.stderr


def _one_large_dockerfile(root: Path) -> Path:
    """One Dockerfile of pip RUNs (option 1 merges them), large enough for a serial run to
    prove in a second process (`scheduler.OVERLAP_INSTRUCTIONS`)."""
    from dockfix.scheduler import OVERLAP_INSTRUCTIONS

    root.mkdir(parents=True)
    runs = b"".join(b"RUN pip install p%d\n" % i for i in range(OVERLAP_INSTRUCTIONS))
    (root / "Dockerfile").write_bytes(b"FROM python:3.11-slim\n" + runs)
    return root


def _processes_naming(root: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(root).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile
            pass
    return found


@pytest.mark.parametrize("fault, status", [("proving:kill", -9), ("proving:int", 130), ("proving:term", 143)])
def test_a_fault_while_the_prover_process_runs_leaves_nothing(tmp_path: Path, fault: str, status: int) -> None:
    """Killed or interrupted while its prover process models the BEFORE images: nothing is
    written, and that process does not outlive it for long (stopped by the parent, or ended
    by the closed pipe when the parent was killed)."""
    import time

    root = _one_large_dockerfile(tmp_path / "repo")
    old = _snapshot(root)
    done = _dockfix("apply", root, "--option", "1", "--jobs", "2", fault=fault)
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    deadline = time.monotonic() + 120
    while _processes_naming(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_naming(root)
    after = _dockfix("plan", root)
    assert after.returncode == 0 and "Traceback" not in after.stderr, after.stderr
    assert _snapshot(root) == old


def test_a_kill_during_the_rollback_is_rolled_back_by_the_next_command(tmp_path: Path, states) -> None:
    old, _ = states
    root = _generate(tmp_path / "repo", 5)
    assert _dockfix("apply", root, "--option", "1", fault="rename#4:kill").returncode == -9
    assert _dockfix("graph", root, fault="restore#2:kill").returncode == -9
    again = _dockfix("graph", root)
    assert again.returncode == 0, again.stderr
    assert "rolled back: 2 file(s) restored" in again.stderr  # the two the cut rollback had not reached
    assert _snapshot(root) == old


def test_an_edit_made_while_apply_runs_survives(tmp_path: Path, states) -> None:
    """Edited after dockfix read it (before any write), then while renames are under way:
    the edit stays, nothing else is written, exit 1 naming the file."""
    old, _ = states
    for fault, edited in (("planned:stop", "svc002/Dockerfile"), ("rename#2:stop", "svc004/Dockerfile")):
        root = _generate(tmp_path / fault.split(":")[0].replace("#", ""), 5)
        proc = _start("apply", root, "--option", "1", fault=fault, out=tmp_path / "out")
        _stopped(proc)
        (root / edited).write_bytes(b"FROM python:3.12-slim\n# edited by hand\n")
        os.kill(proc.pid, signal.SIGCONT)
        assert proc.wait(timeout=300) == 1
        err = (tmp_path / "out").read_text()
        assert f"{root / edited}: changed " in err, err
        assert "nothing written" in err
        want = dict(old, **{edited: b"FROM python:3.12-slim\n# edited by hand\n"})
        assert _snapshot(root) == want


def test_two_applies_at_once_never_mix(tmp_path: Path, states) -> None:
    old, new = states
    root = _generate(tmp_path / "repo", 5)
    first = _start("apply", root, "--option", "1", fault="planned:stop", out=tmp_path / "first")
    _stopped(first)
    second = _dockfix("apply", root, "--option", "1")
    assert second.returncode == 1
    assert second.stderr == (f"{root}/.dockfix.lock: another dockfix (pid {first.pid}) is rewriting this "
                             "repository; nothing done\n")
    # The second wrote nothing; the first has not written yet and holds the lock.
    assert _snapshot(root) == dict(old, **{".dockfix.lock": b"%d\n" % first.pid})
    os.kill(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0
    assert _snapshot(root) == new


def test_a_reader_never_rolls_back_a_live_apply(tmp_path: Path, states) -> None:
    """A command run while an apply is renaming refuses (exit 1) and touches nothing."""
    _, new = states
    root = _generate(tmp_path / "repo", 5)
    first = _start("apply", root, "--option", "1", fault="rename#2:stop", out=tmp_path / "first")
    _stopped(first)
    reader = _dockfix("plan", root)
    assert reader.returncode == 1
    assert "is rewriting this repository right now; run again when it is done" in reader.stderr
    os.kill(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0
    assert _snapshot(root) == new


def test_a_stale_lock_is_reclaimed_and_said_so(tmp_path: Path, states) -> None:
    _, new = states
    root = _generate(tmp_path / "repo", 5)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (root / ".dockfix.lock").write_text(f"{dead.pid}\n")
    done = _dockfix("apply", root, "--option", "1")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"dockfix: removed the stale lock {root}/.dockfix.lock of pid {dead.pid}, "
                                  "which is no longer running\n")
    assert _snapshot(root) == new


def test_random_faults_on_a_larger_repository(tmp_path: Path) -> None:
    """A fault at a random point (a random rename among many, or a rollback cut short),
    then a random command: old bytes everywhere (or new everywhere), no stray file.
    Two examples in `make test`; `make fuzz` runs DOCKFIX_FUZZ_EXAMPLES / 250 of them."""
    n_files = 60 if FUZZ else 12
    rng = random.Random(FUZZ or 15)
    base = _generate(tmp_path / "base", n_files)
    old = _snapshot(base)
    clean = tmp_path / "clean"
    shutil.copytree(base, clean)
    assert _dockfix("apply", clean, "--option", "1").returncode == 0
    new = _snapshot(clean)
    for example in range(max(2, FUZZ // 250)):
        root = tmp_path / f"run{example}"
        shutil.copytree(base, root)
        point = rng.choice([f"rename#{rng.randint(1, n_files)}", "staged", "journal", "committed"])
        action = rng.choice(["kill", "kill", "int", "term"])
        done = _dockfix("apply", root, "--option", "1", fault=f"{point}:{action}")
        assert done.returncode == {"kill": -9, "int": 130, "term": 143}[action] or point == "committed", done.stderr
        if action == "kill" and point.startswith("rename") and rng.random() < 0.5:
            cut = _dockfix("check", root, fault=f"restore#{rng.randint(1, int(point[7:]))}:kill")
            assert cut.returncode == -9
        after = _dockfix(rng.choice(["plan", "check", "graph", "scan"]), root)
        assert "Traceback" not in after.stderr
        assert _snapshot(root) == (new if point == "committed" else old), (point, action, after.stderr)
