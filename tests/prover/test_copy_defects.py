"""Issue 13: COPY/ADD steps the prover took for build failures that BuildKit builds.

Each case is a tree where BuildKit's rules (dockfix.model.copy, checked against real buildah
builds in tests/build/test_copy_buildah.py) say the step builds, and a twin where it really fails,
so the test cannot pass by reporting nothing.
"""

from __future__ import annotations

from pathlib import Path

from dockfix.config import Config
from dockfix.prover import build_models, find_defects
from dockfix.tree import Tree


def _tree(tmp: Path, files: dict[str, str]) -> Tree:
    for rel, text in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    return Tree(tmp)


def _kinds(tree: Tree) -> list[tuple[str, int | None]]:
    return [(f.invariant, f.line) for f in find_defects(tree, Config())]


def test_a_file_copied_to_an_existing_directory_lands_inside(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {
        "requirements.txt": "six==1.16.0\n", "app/main.py": "X = 1\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY app /src/\nCOPY requirements.txt /src\n"
                      "RUN pip install -r /src/requirements.txt\nCMD [\"python\", \"/src/main.py\"]\n"})
    (model,) = build_models(tree, Config()).values()
    assert model.state.files["/src/requirements.txt"].origin == "context:requirements.txt"
    assert "/src" not in model.state.files
    assert _kinds(tree) == []


def test_the_workdir_is_an_existing_directory(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"requirements.txt": "six\n", "Dockerfile":
                            "FROM python:3.11-slim\nWORKDIR /src\nCOPY requirements.txt /src\n"
                            "RUN pip install -r requirements.txt\n"})
    assert _kinds(tree) == []


def test_a_new_destination_without_slash_is_the_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"requirements.txt": "six\n", "Dockerfile":
                            "FROM python:3.11-slim\nCOPY requirements.txt /src\n"
                            "RUN pip install -r /src/requirements.txt\n"})
    assert _kinds(tree) == [("missing-requirement-file", 3)]  # /src is the file itself


def test_empty_wildcards_are_no_build_failure(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"noop.txt": "\n", "Dockerfile":
                            "FROM python:3.11-slim\nCOPY environment.yml* noop.txt /tmp/x/\n"
                            "COPY cwallet.ss[o] ./\n"})
    assert _kinds(tree) == []
    (model,) = build_models(tree, Config()).values()
    assert "/tmp/x/noop.txt" in model.state.files


def test_a_plain_missing_source_still_fails(tmp_path: Path) -> None:
    # compose names the context: a source missing from it is a build failure.
    tree = _tree(tmp_path, {"noop.txt": "\n", "compose.yaml": "services:\n  app:\n    build: .\n",
                            "Dockerfile": "FROM python:3.11-slim\nCOPY environment.yml noop.txt /tmp/x/\n"})
    assert _kinds(tree) == [("copy-missing-source", 2)]


def test_a_missing_source_under_an_unknown_context_is_no_defect(tmp_path: Path) -> None:
    # No build names the context and no directory holds every source: the graph says the
    # context is unknown, so the prover cannot say the source is missing.
    tree = _tree(tmp_path, {"noop.txt": "\n", "Dockerfile":
                            "FROM python:3.11-slim\nCOPY environment.yml noop.txt /tmp/x/\n"})
    build_models(tree, Config())
    assert _kinds(tree) == []


def test_files_another_stage_runs_make_are_unknown_not_missing(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"main.go": "package main\n", "Dockerfile":
                            "FROM golang:1.22 AS builder\nCOPY main.go .\nRUN go build -o /svc\n"
                            "FROM debian:12\nCOPY --from=builder /svc /svc\nCMD [\"/svc\"]\n"})
    assert _kinds(tree) == []
    (model,) = build_models(tree, Config()).values()
    assert model.state.files["/svc"].origin.startswith("unknown:")


def test_a_source_missing_from_a_scratch_stage_without_run_fails(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"a.txt": "a\n", "Dockerfile":
                            "FROM scratch AS files\nCOPY a.txt /a.txt\n"
                            "FROM debian:12\nCOPY --from=files /svc /svc\n"})
    assert _kinds(tree) == [("copy-missing-source", 4)]


def test_copy_of_the_git_directory(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", "app.py": "X = 1\n", "Dockerfile":
                            "FROM python:3.11-slim\nCOPY .git /app/.git\nCOPY app.py /app/\n"})
    assert _kinds(tree) == []
    (model,) = build_models(tree, Config()).values()
    assert model.state.files["/app/.git"].origin.startswith("unknown:")


def test_sources_gitignore_covers_are_made_by_ci(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {
        "compose.yaml": "services:\n  app:\n    build: .\n", ".gitignore": "# build output\ndist/\n", "pkg/.gitignore": "/_version.py\n", "pkg/__init__.py": "\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY dist /app/dist\nCOPY pkg/_version.py /app/pkg/\n"
                      "COPY pkg/other.py /app/pkg/\n"})
    assert _kinds(tree) == [("copy-missing-source", 4)]  # other.py is not ignored: really missing


def test_an_excluded_source_still_fails_with_its_pattern(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"secret.txt": "s\n", ".dockerignore": "# no\nsecret.txt\n",
                            "Dockerfile": "FROM python:3.11-slim\nCOPY secret.txt /x\n"})
    (finding,) = find_defects(tree, Config())
    assert finding.invariant == "copy-excluded-source"
    assert "(.dockerignore:2: secret.txt)" in finding.message


def test_unknown_stage_files_do_not_make_their_directory_a_file(tmp_path: Path) -> None:
    # tianon/dockerfiles' buildkit image: binaries a RUN built, then a script into the same directory
    tree = _tree(tmp_path, {"entry.sh": "#!/bin/sh\n", "Dockerfile":
                            "FROM golang:1.26 AS build\nRUN go build -o /buildkitd ./cmd\n"
                            "FROM debian:12\nCOPY --from=build /buildkitd /buildctl /usr/local/bin/\n"
                            "COPY entry.sh /usr/local/bin/\n"})
    assert _kinds(tree) == []
    (model,) = build_models(tree, Config()).values()
    assert model.state.files["/usr/local/bin/entry.sh"].origin == "context:entry.sh"


def test_a_stage_whose_own_copy_fails_is_reported_once(tmp_path: Path) -> None:
    # the missing wheel is the defect; copying it from that stage later is not a second one
    tree = _tree(tmp_path, {"compose.yaml": "services:\n  app:\n    build: .\n", "Dockerfile": "FROM scratch AS wheel\nCOPY prebuilt.whl /dist/app.whl\n"
                                          "FROM python:3.11-slim\nCOPY --from=wheel /dist/app.whl /tmp/\n"})
    assert _kinds(tree) == [("copy-missing-source", 2)]


def test_add_extracts_a_local_archive_and_copies_other_files(tmp_path: Path) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/app.py")
        data = b"X = 1\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (tmp_path / "src.tgz").write_bytes(buf.getvalue())
    (tmp_path / "model.bin").write_bytes(b"\0" * 4096)
    tree = _tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim\nADD src.tgz /app/\nADD model.bin /m/\n"})
    (model,) = build_models(tree, Config()).values()
    assert model.state.files["/app/pkg/app.py"].origin == "archive:src.tgz!pkg/app.py"
    assert model.state.files["/m/model.bin"].origin == "context:model.bin"
    assert "/app/src.tgz" not in model.state.files


def test_a_pip_failure_the_script_survives_is_no_build_failure(tmp_path: Path) -> None:
    """`|| true`, a `;` after it, a pipe: pip cannot open the file, the RUN still exits 0."""
    for i, run in enumerate(["pip install -r /missing.txt || true", "pip install -r /missing.txt; echo done",
                             "pip install -r /missing.txt | tee /log"]):
        tree = _tree(tmp_path / str(i), {"Dockerfile": f"FROM python:3.11-slim\nRUN {run}\n"})
        assert _kinds(tree) == [], run
    tree = _tree(tmp_path / "checked", {"Dockerfile": "FROM python:3.11-slim\nRUN set -e; pip install -r /missing.txt; echo\n"})
    assert _kinds(tree) == [("missing-requirement-file", 2)]
