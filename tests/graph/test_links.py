"""Dockerfiles reached through a symlink (graph.discover.through_links): the same file by a
second name in the same real directory is planned once, by its real path; a link leaving the
root, to a file of another directory, or to a file not named like a Dockerfile is skipped with
a warning naming it; nothing aborts the repository, nothing is written through a link."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.graph.discover import find_dockerfiles, skipped_links
from dockfix.tree import Tree

PIP_TWICE = b"FROM python:3.11-slim\nRUN pip install a\nRUN pip install b\n"
MERGED = b"FROM python:3.11-slim\nRUN pip install --no-cache-dir a && pip install --no-cache-dir b\n"


def _repo(root: Path, files: dict[str, bytes], links: dict[str, str]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for rel, target in links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)
    return root


def _found(root: Path) -> tuple[list[str], list[str]]:
    skipped_links()
    found = find_dockerfiles(Tree(root))
    return found, [w.removeprefix(f"{root}/") for w in skipped_links()]


def test_a_symlinked_directory_is_its_target(tmp_path: Path) -> None:
    # jessfraz/dockerfiles: `wg -> wireguard`, both holding install/Dockerfile.
    root = _repo(tmp_path, {"wireguard/install/Dockerfile": PIP_TWICE, "wireguard/Dockerfile": PIP_TWICE},
                 {"wg": "wireguard"})
    assert _found(root) == (["wireguard/Dockerfile", "wireguard/install/Dockerfile"], [])


def test_a_second_name_in_the_same_directory_is_the_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"Dockerfile.prod": PIP_TWICE}, {"Dockerfile": "Dockerfile.prod"})
    assert _found(root) == (["Dockerfile.prod"], [])


def test_a_link_to_another_directory_skips_both(tmp_path: Path) -> None:
    # A rewrite of b/Dockerfile would change the image a/ builds, which reads it by another
    # context: neither is planned.
    root = _repo(tmp_path, {"b/Dockerfile": PIP_TWICE, "c/Dockerfile": PIP_TWICE}, {"a/Dockerfile": "../b/Dockerfile"})
    assert _found(root) == (["c/Dockerfile"], [
        "a/Dockerfile: warning: symlink to b/Dockerfile in another directory: neither is rewritten, skipped"])


def test_a_link_to_a_file_not_named_like_a_dockerfile_is_that_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"recipe": PIP_TWICE, "other/recipe": PIP_TWICE},
                 {"Dockerfile": "recipe", "web/Dockerfile": "../other/recipe"})
    assert _found(root) == (["recipe"], [
        "web/Dockerfile: warning: symlink to other/recipe in another directory: neither is rewritten, skipped"])


def test_a_dangling_link_stays_an_unreadable_dockerfile(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"Dockerfile": PIP_TWICE}, {"bad/Dockerfile": "../gone"})
    assert _found(root) == (["Dockerfile", "bad/Dockerfile"], [])


def test_a_link_leaving_the_root_is_skipped_and_the_rest_is_written(tmp_path: Path) -> None:
    outside = _repo(tmp_path / "elsewhere", {"Dockerfile": PIP_TWICE}, {})
    root = _repo(tmp_path / "repo", {"svc/Dockerfile": PIP_TWICE}, {"ext/Dockerfile": str(outside / "Dockerfile")})
    assert _found(root) == (["svc/Dockerfile"], [
        "ext/Dockerfile: warning: symlink leading outside the repository, skipped"])
    result = CliRunner().invoke(app, ["apply", str(root), "--option", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert f"{root}/ext/Dockerfile: warning: symlink leading outside the repository, skipped" in result.stderr
    assert (root / "svc/Dockerfile").read_bytes() == MERGED
    assert (outside / "Dockerfile").read_bytes() == PIP_TWICE


def test_apply_writes_the_real_file_of_a_symlinked_directory(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"wireguard/install/Dockerfile": PIP_TWICE}, {"wg": "wireguard"})
    result = CliRunner().invoke(app, ["apply", str(root), "--option", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (root / "wireguard/install/Dockerfile").read_bytes() == MERGED
    assert (root / "wg").is_symlink()


def test_a_build_naming_the_link_plans_the_real_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"wireguard/install/Dockerfile": PIP_TWICE,
                            "Makefile": b"img:\n\tdocker build -f wg/install/Dockerfile -t acme/wg wg/install\n"},
                 {"wg": "wireguard"})
    result = CliRunner().invoke(app, ["apply", str(root), "--option", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (root / "wireguard/install/Dockerfile").read_bytes() == MERGED
