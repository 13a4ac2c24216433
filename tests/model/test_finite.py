"""model.finite: which commands are known to leave nothing behind for a later command.

Ground truth: each command the table accepts, run for real by /bin/sh in a fresh PID namespace
(`unshare --pid`), leaves no process running once it returns (`ps` then sees only the shell and
itself); a command that does leave one (`sh -c 'sleep 30 &'`) is seen, so the check can fail."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockfix.model.finite import leaves_behind

# Accepted by the table and runnable here (fixtures made in the test's directory).
RUNNABLE = [
    ["grep", "-F", "x", "a.txt"],
    ["diff", "a.txt", "a.txt"],
    ["find", ".", "-name", "*.txt", "-exec", "cat", "{}", ";"],
    ["gcc", "-c", "x.c", "-o", "x.o"],
    ["javac", "X.java"],
    ["sqlite3", "--version"],
    ["tar", "cf", "a.tar", "a.txt"],
    ["python3", "-c", "import json; print(json.dumps({'a': 1}))"],
    ["python3", "-m", "compileall", "-q", "."],
    ["make", "--version"],
    ["git", "--version"],
    ["sh", "-c", "cd / && echo root:x > /dev/null && export A=1"],
    ["sh", "-ec", "grep -F x a.txt | cat"],
]


def _left_running(argv: list[str], cwd: Path) -> list[str]:
    """What is still running in the namespace after `argv` returned, besides the namespace's
    shell (pid 1) and ps. A process left behind may not have reached its exec yet (it is then
    still named `sh`): it is counted by pid, not by name."""
    script = (" ".join("'" + w.replace("'", "'\\''") + "'" for w in argv)
              + " >/dev/null 2>&1; ps -e -o pid= -o comm=")
    done = subprocess.run(["unshare", "--fork", "--pid", "--mount-proc", "sh", "-c", script], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line.split(None, 1) for line in done.stdout.splitlines() if line.strip()]
    return [name for pid, name in rows if pid != "1" and name != "ps"]


def _fixtures(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("x\n")
    (tmp_path / "x.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "X.java").write_text("class X {}\n")
    return tmp_path


@pytest.mark.parametrize("argv", RUNNABLE, ids=lambda a: a[0])
def test_accepted_commands_leave_no_process(argv: list[str], tmp_path: Path) -> None:
    assert leaves_behind(argv) is None
    assert _left_running(argv, _fixtures(tmp_path)) == []


def test_the_check_sees_a_process_left_behind(tmp_path: Path) -> None:
    argv = ["sh", "-c", "sleep 30 &"]
    assert leaves_behind(argv) is not None
    assert _left_running(argv, tmp_path) in (["sleep"], ["sh"])  # `sh`: forked, not yet sleep


@pytest.mark.parametrize("argv,reason", [
    (["gradle", "build"], "starts the Gradle daemon"),
    (["./gradlew", "installDist", "--no-daemon"], "starts the Gradle daemon"),  # Kotlin's daemon still may
    (["mvn", "package"], "Kotlin compile daemon"),
    (["dotnet", "build", "x.csproj"], "starts build servers"),
    (["cd", "/srv"], "changes the shell's state"),
    (["export", "X=1"], "changes the shell's state"),
    ([], "only assigns variables"),
    ([None, "x"], "command name is unknown"),
    (["./db_deps.sh"], "is not a program known"),
    (["sh", "script.sh"], "is not a program known"),
    (["python", "launch.py"], "is not a program known"),
    (["python", "-m", "http.server"], "is not a program known"),
    (["python", "-c", "import subprocess"], "may start a process"),
    (["uv", "run", "x"], "is not a program known"),
    (["R", "-e", "system('x')"], "runs R code other than package installs"),
    (["R", "--interactive"], "is not a program known"),
    (["find", ".", "-exec", "./start.sh", ";"], "runs a command that may leave something behind"),
    (["find", None], "a word is unknown"),
    (["find", ".", "-ok", "rm", "{}", ";"], "reads its answers from the terminal"),
    (["sqlite3", "app.db", ".shell x"], "is not a program known"),
    (["/usr/local/bin/cd"], "is not a program known"),  # a program named cd is not the builtin
])
def test_refusals_say_why(argv, reason: str) -> None:
    why = leaves_behind(argv)
    assert why is not None and reason in why, why


@pytest.mark.parametrize("argv", [
    ["docker-php-ext-enable", "opcache"], ["pecl", "install", "redis"],
    ["R", "-e", "install.packages(c('a'), repos='https://cloud.r-project.org')"], ["R", "CMD", "INSTALL", "x.tar.gz"],
    ["Rscript", "--vanilla", "-e", "library(x)"],
    ["python3.12", "/tmp/get-pip.py"], ["python3.8", "/tmp/get-pip-3-8.py"], ["python", "-m", "spacy", "download", "en"],
    ["python", "-m", "pip", "install", "x"], ["dotnet", "publish", "--disable-build-servers"], ["dotnet", "--info"],
    ["uv", "sync"], ["pipx", "install", "x"], ["rustup", "show"], ["mix", "deps.get"], ["nix", "build", "."],
    ["flake8", "."], ["black", "."], ["apt-get", "install", "-y", "x"],
])
def test_known_classes(argv) -> None:
    assert leaves_behind(argv) is None


@pytest.mark.parametrize("argv", [["sh", "-c", "cat a.txt & cat a.txt"], ["sh", "-c", "exec sleep 30"],
                                  ["sh", "-c", "nohup sleep 30"], ["sh", "run.sh"], ["bash", "-c", "true"],
                                  ["sh", "-c", "eval \"$CMD\""]])
def test_child_shells_not_known_to_finish(argv: list[str]) -> None:
    """A child shell is known to finish only when its script is read exactly, starts no
    background job, and runs only commands the table knows (or builtins that start nothing)."""
    assert leaves_behind(argv) is not None
