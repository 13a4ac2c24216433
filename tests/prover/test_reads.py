"""prover.reads against ground truth: each command runs under strace (`sh -c`, dash), and every
path it touches beyond what `sh -c :` touches must be among the files `files_read` says the
command may read. Nothing skips: strace is installed by tools/stand-in-bases.sh --deps-only
(apt-get) when missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dockfix.model.shell import read_script
from dockfix.prover.reads import files_read

REPO = Path(__file__).resolve().parents[2]
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

COMMANDS = [
    # builtins that read no file
    "echo hello", "printf '%s' x", "true", ":", "set -e", "export X=1", "unset X", "umask 022", "exit 0",
    # programs with no file of their own
    "sleep 0", "basename a/f", "dirname a/f",
    # operands
    "mkdir -p a/x/y", "rmdir a/e", "touch a/new", "chmod 600 a/f", "chown 0 a/f", "chgrp 0 a/f",
    "ln -s f a/link", "rm -rf a/e", "rm -f a/*.txt", "cp a/f b/g", "cp -r a b/copy", "mv a/f a/h",
    "install -m 644 a/f b/inst", "cat a/f", "ls a", "ls -l a", "head -n 1 a/f", "tail -n 1 a/f",
    "sort a/f", "wc -l a/f", "cut -c 1 a/f", "tee b/t < a/f", "test -d a/e", "[ -f a/f ]", "cd a/e",
    # redirections
    "echo hi > b/out", "echo hi >> a/log", "cat a/f 2>&1 > b/o2",
]


@pytest.fixture(scope="session")
def strace() -> str:
    if shutil.which("strace") is None:
        done = subprocess.run([str(REPO / "tools" / "stand-in-bases.sh"), "--deps-only"], capture_output=True,
                              text=True, timeout=1200)
        assert done.returncode == 0, done.stderr
    found = shutil.which("strace")
    assert found is not None
    return found


_CALL = re.compile(r"^\d+\s+(\w+)\((.*)$")
_ARRAY = re.compile(r"\[[^\]]*\]")
_STRING = re.compile(r'(AT_FDCWD, |\d+, )?"((?:[^"\\]|\\.)*)"')
# Strings that are not paths the call reads: the target a symlink will hold, a link's content.
_NOT_A_PATH_ARG = {"symlink": 0, "symlinkat": 0, "readlink": 1, "readlinkat": 1, "getxattr": 1, "lgetxattr": 1,
                   "setxattr": 1, "lsetxattr": 1, "removexattr": 1, "lremovexattr": 1}


def _touched(strace: str, command: str, cwd: Path) -> set[str]:
    log = cwd.parent / "strace.log"
    subprocess.run([strace, "-f", "-qq", "-e", "trace=%file,fchdir", "-o", str(log), "sh", "-c", command],
                   cwd=cwd, env={"PATH": PATH, "LANG": "C.UTF-8"}, capture_output=True, timeout=60)
    out = set()
    here: dict[str, str] = {}  # pid -> its working directory (mkdir -p and rm -r chdir as they go)
    opened: dict[tuple[str, str], str] = {}  # (pid, fd) -> the path it opened
    for line in log.read_text().splitlines():
        m = _CALL.match(line)
        if m is None:
            continue
        pid = line.split()[0]
        fchdir = re.match(r"fchdir\((\d+)\)\s*= 0", m.group(0).split(None, 1)[1])
        if fchdir is not None and (pid, fchdir.group(1)) in opened:
            here[pid] = opened[pid, fchdir.group(1)]
            continue
        skip = _NOT_A_PATH_ARG.get(m.group(1))
        strings = _STRING.findall(_ARRAY.sub("[]", m.group(2)))
        for i, (dirfd, text) in enumerate(strings):
            if i == skip or not text or (dirfd and dirfd != "AT_FDCWD, " and not text.startswith("/")):
                continue  # relative to a directory it opened: that directory was recorded
            path = os.path.normpath(os.path.join(here.get(pid, str(cwd)), text))
            out.add(path)
            if m.group(1) == "chdir" and line.rstrip().endswith("= 0"):
                here[pid] = path
            fd = re.search(r"= (\d+)$", line.rstrip())
            if m.group(1) in ("open", "openat") and fd is not None:
                opened[pid, fd.group(1)] = path
    return {p for p in out if not p.startswith(("/proc/", "/dev/", "/sys/"))}


def _tree(root: Path) -> Path:
    cwd = root / "work"
    (cwd / "a" / "e").mkdir(parents=True)
    (cwd / "b").mkdir()
    (cwd / "a" / "f").write_text("x\n")
    (cwd / "a" / "one.txt").write_text("1\n")
    return cwd


@pytest.mark.parametrize("command", COMMANDS)
def test_every_path_a_command_touches_is_among_what_it_may_read(command: str, strace: str,
                                                                tmp_path: Path) -> None:
    baseline = _touched(strace, ":", _tree(tmp_path / "baseline"))
    cwd = _tree(tmp_path / "run")
    touched = _touched(strace, command, cwd) - {p.replace(str(tmp_path / "baseline"), str(tmp_path / "run"))
                                                for p in baseline}
    script = read_script(command, workdir=str(cwd), env={"PATH": PATH})
    assert len(script.commands) == 1 and not script.opaque
    c = script.commands[0]
    targets = tuple(r.target.value for r in c.redirections if r.op.name in ("IN", "OUT", "APPEND", "CLOBBER"))
    present = frozenset((p, "context:x") for p in touched)
    kept = {p for p, _ in files_read(c.args, c.cwd, targets, present)}
    assert sorted(touched - kept) == [], f"{command!r} touched files the model says it does not read"


def test_an_unknown_program_may_read_every_file() -> None:
    present = frozenset({("/app/x.py", "context:x.py"), ("/etc/passwd", "context:passwd")})
    assert files_read(("make",), "/app", (), present) == present
    assert files_read(("rm", None), "/app", (), present) == present  # an operand it cannot read


def test_an_operand_program_reads_only_its_operands_and_the_system() -> None:
    present = frozenset({("/app/x.py", "c:1"), ("/data/y", "c:2"), ("/var/spool", "c:3"),
                         ("/usr/local/bin/mkdir", "c:4")})
    kept = files_read(("mkdir", "-p", "/var/spool/worker"), "/app", (), present)
    assert kept == {("/var/spool", "c:3"), ("/usr/local/bin/mkdir", "c:4")}
