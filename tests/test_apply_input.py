"""Bad input to plan/apply/check is exit 2 with `path:line: message` and nothing written:
malformed plan files, .dockerignore patterns Docker rejects, unreadable files and
directories, symlinked directories, --output into a missing folder, read-only files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.graph.dockerignore import valid_pattern

PIP_TWICE = b"FROM python:3.11-slim\nRUN pip install a\nRUN pip install b\n"
# Option 1: merged, and pip's cache off (DL3042).
MERGED = b"FROM python:3.11-slim\nRUN pip install --no-cache-dir a && pip install --no-cache-dir b\n"


def _cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def _repo(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- plan files

def _plan(tmp_path: Path) -> tuple[Path, dict]:
    root = _repo(tmp_path / "repo", {"Dockerfile": PIP_TWICE})
    out = tmp_path / "plan.json"
    # One transform: the plan's `transforms` list takes one line, so `changes` starts at line 9.
    assert _cli("plan", root, "--only", "merge-pip-runs", "--format", "json", "--output", out).exit_code == 0
    return root, json.loads(out.read_text())


def _missing(key):
    def edit(plan):
        del plan["changes"][0][key]
        return plan
    return edit


def _set(key, value):
    def edit(plan):
        plan["changes"][0][key] = value
        return plan
    return edit


def _top(key, value):
    def edit(plan):
        plan[key] = value
        return plan
    return edit


# The line is where the object at fault starts in the file as written (indent=2: the list
# of changes starts on line 9, its first object on line 10).
@pytest.mark.parametrize("edit, message", [
    (lambda p: [], "1: not a dockfix plan: the top level is a list, not an object"),
    (lambda p: "plan", "1: not a dockfix plan: the top level is a string, not an object"),
    (lambda p: None, "1: not a dockfix plan: the top level is null, not an object"),
    (lambda p: 3, "1: not a dockfix plan: the top level is a number, not an object"),
    (_top("schema", "other"), '1: not a dockfix plan: "schema" is not "dockfix-plan"'),
    (_top("version", 2), "1: unsupported plan version 2 (this dockfix reads 1)"),
    (_top("version", True), "1: unsupported plan version True (this dockfix reads 1)"),
    (_top("changes", "Dockerfile"), '1: "changes" must be a list, not a string'),
    (_top("changes", None), '1: "changes" must be a list, not null'),
    (_top("transforms", "merge-pip-runs"), '1: "transforms" must be a list of transform names'),
    (_top("option", "1"), "1: \"option\" must be 1, 2, 3 or null, not '1'"),
    (_top("option", 7), '1: "option" must be 1, 2, 3 or null, not 7'),
    (_top("changes", [1]), "9: changes[0] must be an object, not a number"),
    (_missing("sha256_before"), '10: changes[0] has no "sha256_before"'),
    (_missing("path"), '10: changes[0] has no "path"'),
    (_missing("sha256_after"), '10: changes[0] has no "sha256_after"'),
    (_set("path", 3), '10: changes[0]: "path" must be a non-empty string'),
    (_set("path", "../outside/Dockerfile"), "10: changes[0]: \"path\" must stay inside the repository, "
                                             "not '../outside/Dockerfile'"),
    (_set("sha256_before", 5), '10: changes[0]: "sha256_before" must be 64 hex digits or null'),
    (_set("sha256_after", "abc"), '10: changes[0]: "sha256_after" must be 64 hex digits'),
    (_set("sha256_after", None), '10: changes[0]: "sha256_after" must be 64 hex digits'),
])
def test_malformed_plan_is_exit_2_with_its_line(tmp_path: Path, edit, message: str) -> None:
    root, plan = _plan(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(edit(plan), indent=2))
    result = _cli("apply", root, "--plan", bad)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"{bad}:{message}"), result.stderr
    assert _snapshot(root) == {"Dockerfile": PIP_TWICE}


@pytest.mark.parametrize("raw, message", [
    (b"", "1:1: not a JSON plan: Expecting value"),
    (b'{"schema": "dockfix-plan",\n  "version": 1,,}', "2:16: not a JSON plan: Expecting property name"),
    (b'{"schema": "dockfix-plan"}\n\xff', "2: not a JSON plan: not UTF-8 (invalid start byte)"),
    (b"[" * 100_000 + b"]" * 100_000, "not a JSON plan: nested too deeply"),
])
def test_unreadable_json_plan_is_exit_2(tmp_path: Path, raw: bytes, message: str) -> None:
    root, _ = _plan(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw)
    result = _cli("apply", root, "--plan", bad)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:{message}" if message[0].isdigit() else f"{bad}: {message}"), result.stderr
    assert _snapshot(root) == {"Dockerfile": PIP_TWICE}


# -- .dockerignore

# Go's own table of filepath.Match (src/path/filepath/match_test.go, matchTests): the
# patterns it rejects with ErrBadPattern, and some it accepts. moby's patternmatcher runs
# filepath.Match(pattern, ".") on every .dockerignore pattern and fails the build on the error.
GO_BAD = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "a/b[", "*[", "[*",
          "ab[\xff]"]
GO_OK = ["abc", "*", "*c", "a*/b", "a*b*c*d*e*/f", "a*b?c*x", "ab[c]", "ab[b-d]", "ab[^c]", "ab[^e-g]",
         "a\\*b", "a?b", "a[^a]b", "[a-ζ]*", "*[a-ζ]", "[\\]a]", "[\\-]", "[x\\-]", "[\\-x]", "*x"]


@pytest.mark.parametrize("pattern", GO_BAD)
def test_patterns_go_rejects_are_rejected(pattern: str) -> None:
    assert not valid_pattern(pattern.encode("latin-1" if "\xff" in pattern else "utf-8").decode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("pattern", GO_OK)
def test_patterns_go_accepts_are_accepted(pattern: str) -> None:
    assert valid_pattern(pattern)


@pytest.mark.parametrize("line, message", [
    (b"[", "Docker rejects the pattern '[': syntax error in pattern"),
    (b"docs/[a-", "Docker rejects the pattern 'docs/[a-': syntax error in pattern"),
    (b"!/build/\\", "Docker rejects the pattern '!/build/\\\\': syntax error in pattern"),
    (b"!", 'illegal exclusion pattern: "!"'),
    (b"  !  ", 'illegal exclusion pattern: "!"'),
    (b"[z-a]", "dockfix cannot read the pattern '[z-a]' (bad character range z-a)"),
    (b"[?[]", "dockfix cannot read the pattern '[?[]' (unterminated character set"),  # hypothesis found it
])
def test_a_dockerignore_docker_rejects_is_exit_2_with_its_line(tmp_path: Path, line: bytes, message: str) -> None:
    root = _repo(tmp_path, {"Dockerfile": PIP_TWICE, ".dockerignore": b"# build output\n*.pyc\n" + line + b"\nlogs\n"})
    for cmd in ("plan", "apply", "check"):
        result = _cli(cmd, root, "--option", "1")
        assert result.exit_code == 2, (cmd, result.stderr)
        assert result.stderr.startswith(f"{root}/.dockerignore:3: {message}"), result.stderr
    assert (root / "Dockerfile").read_bytes() == PIP_TWICE


def test_a_dockerignore_with_valid_classes_still_applies(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"Dockerfile": PIP_TWICE, ".dockerignore": b"[\\]a]\n*.py[cod]\n[^x]y\n"})
    assert _cli("apply", root, "--option", "1").exit_code == 0
    assert (root / "Dockerfile").read_bytes() == MERGED


# -- unreadable files and directories, symlinked directories

def _as_unprivileged(*args: str) -> subprocess.CompletedProcess:
    """Run dockfix where file permissions apply: as root, without the capabilities that
    bypass them (root reads anything otherwise)."""
    cmd = [sys.executable, "-m", "dockfix", *map(str, args)]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("cmd", ["plan", "apply", "check"])
def test_an_unreadable_directory_is_named_not_skipped(tmp_path: Path, cmd: str) -> None:
    root = _repo(tmp_path, {"svc/Dockerfile": PIP_TWICE, "worker/Dockerfile": PIP_TWICE})
    os.chmod(root / "worker", 0)
    try:
        result = _as_unprivileged(cmd, root, "--option", "1")
    finally:
        os.chmod(root / "worker", 0o755)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{root}/worker: cannot read this directory: Permission denied"), result.stderr
    assert _snapshot(root) == {"svc/Dockerfile": PIP_TWICE, "worker/Dockerfile": PIP_TWICE}


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"svc/Dockerfile": PIP_TWICE, "svc/requirements.txt": b"six\n",
                            "svc/.dockerignore": b"*.md\n"})
    os.chmod(root / "svc/.dockerignore", 0)
    try:
        result = _as_unprivileged("apply", root, "--option", "1")
    finally:
        os.chmod(root / "svc/.dockerignore", 0o644)
    assert result.returncode == 2, result.stderr
    assert f"{root}/svc/.dockerignore" in result.stderr and "Permission denied" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert (root / "svc/Dockerfile").read_bytes() == PIP_TWICE


def test_a_symlinked_directory_inside_the_root_is_followed(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"src/docker/api/Dockerfile": PIP_TWICE})
    (root / "docker").symlink_to(root / "src/docker")
    result = _cli("plan", root, "--option", "1")
    assert result.exit_code == 0, result.stderr
    # The same file by two names is one Dockerfile, planned by its real path only.
    assert "src/docker/api/Dockerfile" in result.stdout and "\n+++ b/docker/api/Dockerfile" not in result.stdout
    assert "(1 image compared)" in result.stderr
    applied = _cli("apply", root, "--option", "1")
    assert applied.exit_code == 0, applied.stderr
    assert (root / "src/docker/api/Dockerfile").read_bytes() == MERGED
    assert (root / "docker").is_symlink()


def test_a_symlinked_directory_leading_outside_is_refused_by_name(tmp_path: Path) -> None:
    outside = _repo(tmp_path / "elsewhere", {"api/Dockerfile": PIP_TWICE})
    root = _repo(tmp_path / "repo", {"Dockerfile": PIP_TWICE})
    (root / "docker").symlink_to(outside)
    for cmd in ("plan", "apply", "check", "scan", "graph"):
        result = _cli(cmd, root)
        assert result.exit_code == 2, (cmd, result.stderr)
        assert result.stderr.startswith(f"{root}/docker: symlinked directory leads outside the repository "
                                        f"(to {outside})"), result.stderr
    assert (root / "Dockerfile").read_bytes() == PIP_TWICE
    assert (outside / "api/Dockerfile").read_bytes() == PIP_TWICE


def test_a_symlink_loop_inside_the_root_ends(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a/Dockerfile": PIP_TWICE})
    (root / "a" / "again").symlink_to(root / "a")
    (root / "top").symlink_to(root)
    result = _cli("plan", root, "--option", "1")
    assert result.exit_code == 0, result.stderr
    from dockfix.tree import Tree

    # Each directory once; the links that lead back are neither walked again nor files.
    assert Tree(root).paths() == ["a/Dockerfile"]
    # Two directories linking to each other: each link target is followed once at most.
    _repo(root, {"b/Dockerfile": PIP_TWICE})
    (root / "a" / "tob").symlink_to(root / "b")
    (root / "b" / "toa").symlink_to(root / "a")
    assert Tree(root).paths() == ["a/Dockerfile", "b/Dockerfile", "b/toa/Dockerfile", "b/toa/tob/Dockerfile"]


# -- output, modes, read-only files

@pytest.mark.parametrize("cmd", [["plan", "--option", "1"], ["check"], ["scan"]])
def test_output_into_a_missing_folder_is_exit_2_and_creates_nothing(tmp_path: Path, cmd: list[str]) -> None:
    root = _repo(tmp_path / "repo", {"Dockerfile": PIP_TWICE})
    out = tmp_path / "missing" / "deeper" / "out.txt"
    result = _cli(cmd[0], root, *cmd[1:], "--output", out)
    assert result.exit_code == 2
    assert result.stderr == (f"{out}: the folder of --output does not exist (dockfix does not create it); "
                             "nothing written\n")
    assert not (tmp_path / "missing").exists()


def test_modes_are_kept(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a/Dockerfile": PIP_TWICE, "b/Dockerfile": PIP_TWICE})
    os.chmod(root / "a/Dockerfile", 0o751)
    os.chmod(root / "b/Dockerfile", 0o620)
    assert _cli("apply", root, "--option", "1").exit_code == 0
    assert (root / "a/Dockerfile").stat().st_mode & 0o7777 == 0o751
    assert (root / "b/Dockerfile").stat().st_mode & 0o7777 == 0o620
    assert _snapshot(root) == {"a/Dockerfile": MERGED, "b/Dockerfile": MERGED}


def test_a_read_only_file_is_refused_by_name(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a/Dockerfile": PIP_TWICE, "b/Dockerfile": PIP_TWICE})
    os.chmod(root / "b/Dockerfile", 0o444)
    result = _cli("apply", root, "--option", "1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{root}/b/Dockerfile: read-only file: dockfix does not rewrite it"), result.stderr
    assert _snapshot(root) == {"a/Dockerfile": PIP_TWICE, "b/Dockerfile": PIP_TWICE}
    assert (root / "b/Dockerfile").stat().st_mode & 0o777 == 0o444


def test_a_stale_plan_after_the_lock_is_still_refused(tmp_path: Path) -> None:
    """The plan's sha256_before is checked under the lock, against the bytes read then."""
    root, plan = _plan(tmp_path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(plan))
    shutil.copy(root / "Dockerfile", tmp_path / "keep")
    (root / "Dockerfile").write_bytes(PIP_TWICE + b"# edited\n")
    result = _cli("apply", root, "--plan", good)
    assert result.exit_code == 1
    assert "changed since the plan was made" in result.stderr
    assert _snapshot(root) == {"Dockerfile": PIP_TWICE + b"# edited\n"}


# -- any shape: never a traceback

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dockfix.errors import DockfixError  # noqa: E402
from dockfix.graph.dockerignore import DockerIgnore, DockerignoreError  # noqa: E402
from dockfix.planfile import load as load_plan  # noqa: E402

EXAMPLES = int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "200"))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["schema", "version", "option", "transforms", "changes", "path",
                                         "sha256_before", "sha256_after", "x"]), inner, max_size=6),
                    max_leaves=20)
SHA = "0" * 64


@st.composite
def plans(draw) -> object:
    """Any JSON, or a plan with one field of any shape."""
    if draw(st.booleans()):
        return draw(JSON)
    change = {"path": "Dockerfile", "sha256_before": SHA, "sha256_after": SHA}
    plan = {"schema": "dockfix-plan", "version": 1, "option": 1, "transforms": [], "changes": [change]}
    target = draw(st.sampled_from([plan, change]))
    target[draw(st.sampled_from(sorted(target)))] = draw(JSON)
    return plan


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans())
def test_any_json_plan_is_accepted_or_a_located_error(tmp_path: Path, plan: object) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    try:
        load_plan(str(path))
    except DockfixError as err:
        assert str(err).startswith(f"{path}:") and err.line is not None


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.text(alphabet="abz/*?[]^-\\!.é \t", max_size=12), max_size=6))
def test_any_dockerignore_parses_or_names_its_line(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    try:
        ignore = DockerIgnore._parse(data)
    except DockerignoreError as err:
        assert 1 <= err.line <= len(lines)
        return
    for p in ignore.patterns:  # what Docker accepts, dockfix matches without an error
        p.match("a/b")
