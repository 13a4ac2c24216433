"""Real builds with the machine's engine (buildah here): build, inspect, run, smoke-check,
and the failures that must be reported as failed (with the step) or skipped (with the reason).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.build import (
    BuildSession,
    BuildSpec,
    FileEntry,
    TagConflict,
    cmd_executable_resolves,
    command_module,
    distinct_layer_bytes,
    missing_bases,
    module_importable,
    python_version,
    workdir_files,
)

CONTEXTS = Path(__file__).resolve().parent / "contexts"
CUDA = "nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04"


def spec(name: str, **kwargs) -> BuildSpec:
    return BuildSpec(f"dockfix-test-{name}", CONTEXTS / name / "Dockerfile", CONTEXTS / name, **kwargs)


@pytest.fixture(scope="module")
def app(session):
    result = session.build(spec("app"))
    assert result.ok, result.log
    return result


@pytest.fixture(scope="module")
def root_pip_user(session):
    result = session.build(spec("root-pip-user"))
    assert result.ok, result.log
    return result


def test_app_builds_under_the_private_namespace(app, session):
    assert app.image == f"localhost/dockfix-{session.run_id}/dockfix-test-app:latest"
    assert app.image_id.startswith("sha256:") and len(app.image_id) == 71
    assert app.failed_step is None and app.error is None
    assert session.engine.image_id(app.image) == app.image_id
    assert app.duration_s > 0


def test_inspect_reports_the_runtime_config(app, session):
    info = session.inspect(app.image)
    assert info.id == app.image_id
    assert info.cmd == ("python", "-m", "app")
    assert info.entrypoint == ()
    assert info.user == "appuser"
    assert info.working_dir == "/app"
    assert info.exposed_ports == ("8000/tcp",)
    assert info.healthcheck["Test"] == ["CMD-SHELL", 'python -c "import app"']
    assert info.healthcheck["Interval"] == 30_000_000_000
    assert info.labels["org.example.purpose"] == "dockfix build-layer test"
    assert info.env_dict["PATH"].startswith("/home/appuser/.local/bin:")


def test_layers_shared_with_the_base_are_counted_once(app, session):
    base = session.inspect("python:3.11-slim")
    info = session.inspect(app.image)
    assert info.layers[: len(base.layers)] == base.layers
    assert len(info.layers) > len(base.layers)  # useradd, WORKDIR, COPY, pip: own layers
    assert info.size == sum(layer.size for layer in info.layers)
    assert distinct_layer_bytes([base, info]) == info.size
    assert distinct_layer_bytes([base, info]) < base.size + info.size


def test_run_as_user_runs_as_the_image_user_in_workdir(app, session):
    result = session.run_as_user(app.image, ["sh", "-c", 'id -un; pwd; echo "$PATH"; echo oops >&2; exit 3'])
    assert result.exit_code == 3 and not result.ok
    assert result.stdout.splitlines() == [
        "appuser",
        "/app",
        # The stand-in base's PATH is the official python image's (/usr/local/bin twice).
        "/home/appuser/.local/bin:/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]
    assert result.stderr == "oops\n"
    assert session.run_as_user(app.image, ["id", "-u"], user="0").stdout == "0\n"


def test_run_as_user_timeout_kills_the_command(app, session):
    result = session.run_as_user(app.image, ["sleep", "60"], timeout=2)
    assert result.timed_out and not result.ok
    assert result.duration_s < 20
    assert not [c for c in session.engine.list_containers() if c.startswith(f"dockfix-{session.run_id}-")]


def test_smoke_checks_pass_on_the_good_image(app, session):
    version = python_version(session, app.image)
    assert version.ok and version.value.startswith("3.11."), version.detail

    executable = cmd_executable_resolves(session, app.image)
    assert executable.ok, executable.detail
    assert executable.value == "/usr/local/bin/python"

    interpreter, module = command_module(session.inspect(app.image))
    imported = module_importable(session, app.image, module, python=interpreter)
    assert imported.ok, imported.detail
    assert imported.detail == "app -> /app/app.py"  # found in WORKDIR, and `import six` worked


def test_workdir_files_lists_what_the_dockerfile_put_there(app, session):
    assert workdir_files(session, app.image) == {
        FileEntry("app.py", "f", "644", 0, 0, (CONTEXTS / "app" / "app.py").stat().st_size)
    }


def test_pip_user_as_root_then_non_root_user_fails_the_cmd_check(root_pip_user, session):
    executable = cmd_executable_resolves(session, root_pip_user.image)
    assert not executable.ok
    assert executable.detail.startswith("gunicorn: not found (as user appuser, PATH=/home/appuser/.local/bin:")
    # The import check catches the same mistake for `python -m gunicorn`.
    imported = module_importable(session, root_pip_user.image, "gunicorn")
    assert not imported.ok
    assert "No module named gunicorn" in imported.detail
    # The script was installed, just where appuser cannot reach it.
    listing = session.run_as_user(root_pip_user.image, ["ls", "/root/.local/bin"], user="0")
    assert "gunicorn" in listing.stdout.split()


def test_copy_of_a_dockerignored_file_fails_and_names_the_step(session):
    result = session.build(spec("ignored"))
    assert result.status == "failed" and not result.ok
    assert result.image is None and result.image_id is None
    assert result.failed_step.instruction == "COPY secret.txt /app/"
    assert result.failed_step.line == 4  # the COPY spans lines 4-5
    assert "secret.txt" in result.error and ".dockerignore" in result.error


def test_failing_run_in_a_later_stage_is_located(session):
    result = session.build(spec("multistage-fail"))
    assert result.status == "failed"
    assert result.failed_step.line == 6
    assert result.failed_step.stage == 2
    assert result.failed_step.instruction.startswith("RUN test ")
    assert result.error == "exit status 1"


def test_unavailable_cuda_base_is_skipped_not_failed(session):
    result = session.build(spec("cuda"))
    assert result.status == "skipped" and not result.ok
    assert result.skip_reason == f"base {CUDA} not available locally"
    assert result.failed_step is None
    assert missing_bases(session.engine, [CUDA, "python:3.11-slim", "scratch"]) == [CUDA]


def test_derived_images_find_the_private_base_by_build_arg_and_by_alias(app, session, tmp_path):
    alias = f"dockfix-test-base-{session.run_id}:latest"
    by_arg = tmp_path / "by-arg"
    by_alias = tmp_path / "by-alias"
    for context, dockerfile in [
        (by_arg, "ARG BASE_IMAGE=academy-base:latest\nFROM ${BASE_IMAGE}\nRUN python -c 'import six'\n"),
        (by_alias, f"FROM {alias}\nRUN python -c 'import six'\n"),
    ]:
        context.mkdir()
        (context / "Dockerfile").write_text(dockerfile)

    result = session.build(BuildSpec("derived-arg", by_arg / "Dockerfile", by_arg,
                                     build_args={"BASE_IMAGE": app.image}))
    assert result.ok, result.log

    assert session.build(BuildSpec("derived-alias", by_alias / "Dockerfile", by_alias)).status == "skipped"
    session.alias(alias, app.image)
    result = session.build(BuildSpec("derived-alias", by_alias / "Dockerfile", by_alias))
    assert result.ok, result.log
    assert session.inspect(result.image).layers[: len(session.inspect(app.image).layers)] == \
        session.inspect(app.image).layers


def test_alias_never_overwrites_an_existing_name(app, session):
    python_id = session.engine.image_id("python:3.11-slim")
    with pytest.raises(TagConflict, match="python:3.11-slim already names a local image"):
        session.alias("python:3.11-slim", app.image)
    assert session.engine.image_id("python:3.11-slim") == python_id


def test_cleanup_removes_everything_the_run_made_and_nothing_else(engine, app, tmp_path):
    before = {(r.id, r.names) for r in engine.list_images()}
    containers_before = set(engine.list_containers())
    with BuildSession(engine) as run:
        # A multi-stage build unique to this run, so its builder stage is a new unnamed image
        # (not a cache hit from an earlier test).
        (tmp_path / "Dockerfile").write_text(
            f"FROM python:3.11-slim AS builder\nRUN echo {run.run_id} > /artifact\n"
            "FROM python:3.11-slim\nCOPY --from=builder /artifact /artifact\n"
        )
        assert run.build(BuildSpec("multistage", tmp_path / "Dockerfile", tmp_path)).ok
        assert run.build(spec("multistage-fail")).status == "failed"
        assert run.build(spec("app")).ok  # cached layers: fast, but a new name
        run.alias(f"dockfix-test-alias-{run.run_id}", run.private_ref("dockfix-test-app"))
        during = {(r.id, r.names) for r in engine.list_images()}
        assert any(not names for image_id, names in during - before), "expected a new unnamed stage image"
    assert {(r.id, r.names) for r in engine.list_images()} == before
    assert set(engine.list_containers()) == containers_before


def test_cleanup_leaves_an_alias_someone_has_since_repointed(engine, app):
    with BuildSession(engine) as run:
        name = f"localhost/dockfix-test-repointed-{run.run_id}:latest"
        run.alias(name, app.image)
        engine.tag("python:3.11-slim", name)  # "the user" builds over the name meanwhile
        report = run.cleanup()
    try:
        assert engine.image_id(name) == engine.image_id("python:3.11-slim")
        assert report.kept == [f"{name}: now names {engine.image_id(name)}, not the image dockfix tagged"]
    finally:
        engine.remove_name(name)


def test_stand_in_base_supports_apt_get_install(session):
    result = session.build(spec("apt"))
    assert result.ok, result.log
    assert cmd_executable_resolves(session, result.image).value == "/usr/bin/jq"
    assert session.run_as_user(result.image, ["jq", "--version"]).stdout.startswith("jq-1.6")
