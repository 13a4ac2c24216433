"""`verify_build` on a small repository, for real (about a minute: each tree cold, then warm): an in-repo base
reached both by a literal FROM (session alias) and by a build arg, a rewrite that changes a
CMD and breaks a RUN, and an image whose base is missing. Also checks that the run leaves
the engine's storage as it found it and never writes the repository's own image names."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.build.verify import verify_build
from dockfix.config import load_config

BUILD_SH = """\
docker build -f docker/base/Dockerfile -t acme-base:1 .
docker build -f docker/app/Dockerfile -t acme-app .
docker build -f docker/worker/Dockerfile -t acme-worker .
docker build -f docker/gpu/Dockerfile -t acme-gpu .
"""
BASE = "FROM python:3.11-slim\nRUN useradd -m appuser\nWORKDIR /app\nCOPY app.py .\n"
APP = 'FROM acme-base:1\nCMD ["python", "-m", "app"]\n'
WORKER = 'ARG BASE=acme-base:1\nFROM ${BASE}\nRUN test -f app.py\nCMD ["python", "app.py"]\n'
GPU = 'FROM dockfix-test/missing-image:0\nCMD ["true"]\n'


def write_repo(root: Path, app: str, worker: str) -> Path:
    for path, text in {"build.sh": BUILD_SH, "app.py": 'print("hi")\n', "docker/base/Dockerfile": BASE,
                       "docker/app/Dockerfile": app, "docker/worker/Dockerfile": worker,
                       "docker/gpu/Dockerfile": GPU}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.fixture(scope="module")
def verdict(engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    before = write_repo(tmp / "before", APP, WORKER)
    after = write_repo(tmp / "after", APP.replace('"app"]', '"app2"]'),
                       WORKER.replace("test -f app.py", "\\\n    test -f missing.py"))
    images_before = {(r.id, r.names) for r in engine.list_images()}
    containers_before = set(engine.list_containers())
    result = verify_build(before, after, load_config(after), engine)
    # Cleanup: nothing left behind, the alias `acme-base:1` included.
    assert {(r.id, r.names) for r in engine.list_images()} == images_before
    assert set(engine.list_containers()) == containers_before
    assert not engine.image_exists("acme-base:1")
    return result


def test_images_are_built_bases_first_by_alias_and_by_build_arg(verdict):
    assert [p.key for p in verdict.pairs] == ["acme-base:1", "acme-app:latest", "acme-gpu:latest",
                                              "acme-worker:latest"]
    assert verdict.pair("acme-app:latest").before.ok  # FROM acme-base:1, through the alias
    assert verdict.pair("acme-worker:latest").before.ok  # FROM ${BASE}, through the build arg
    assert verdict.cleanup_errors == []


def test_a_missing_base_is_skipped(verdict):
    gpu = verdict.pair("acme-gpu:latest")
    assert gpu.before.status == gpu.after.status == "skipped"
    assert gpu.before.skip_reason == "base dockfix-test/missing-image:0 not available locally"
    assert [(f.check, f.severity) for f in gpu.findings] == [("build", "skipped")]


def test_a_changed_cmd_is_broken_and_its_module_no_longer_imports(verdict):
    app = verdict.pair("acme-app:latest")
    assert app.after.ok
    assert [(f.check, f.severity) for f in app.findings] == [("Cmd", "broken"), ("module-importable", "broken")]
    assert app.findings[0].before == "python -m app" and app.findings[0].after == "python -m app2"
    assert "No module named app2" in app.findings[1].message
    # app.py prints on import; the check still reports where the module was found.
    assert app.before.smoke.module.detail == "app -> /app/app.py"


def test_a_build_that_fails_after_is_broken_with_its_step_and_line(verdict):
    worker = verdict.pair("acme-worker:latest")
    assert worker.before.ok and worker.after.status == "failed"
    (f,) = worker.findings
    assert (f.check, f.severity, f.path, f.line) == ("build", "broken", "docker/worker/Dockerfile", 3)
    assert f.message == "builds before, fails after at `RUN test -f missing.py` (docker/worker/Dockerfile:3): " \
                        "exit status 1"
    assert not verdict.holds


def test_unchanged_base_holds_and_sizes_are_measured(verdict):
    base = verdict.pair("acme-base:1")
    assert base.findings == []
    assert base.before.info.size == base.after.info.size > 100_000_000
    # Each tree is built from an empty layer cache: the RUN layer is built twice (its tar holds
    # the build's mtimes), the base image's layer is the same, and so is the file system.
    assert [layer.size for layer in base.before.info.layers] == [layer.size for layer in base.after.info.layers]
    assert base.before.info.layers[0] == base.after.info.layers[0]
    assert base.files is not None and base.files.differing == 0 and base.files.paths > 5_000
    total = verdict.distinct_bytes("before")  # base, app and worker, all on the base's layers
    assert base.before.info.size <= verdict.distinct_bytes("before", both_sides_only=True) <= total
    assert total < 2 * base.before.info.size  # the base's layers counted once
    report = verdict.report()
    assert "build: REAL BUILDS BROKEN (buildah; 4 images, 2 built on both sides; 3 broken, 1 skipped)" in report
