"""The engine-free parts of `dockfix verify --build`: private names, the pairwise comparison
(which differences are broken, which are allowed), sizes and the report. The inputs are
plain data (what `build_tree` records after a real build), not mocks of an engine."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dockfix.build import BuildResult, BuildSpec, FailedStep, ImageInfo, Layer, SmokeCheck
from dockfix.build.expect import Expected
from dockfix.build.filesystem import FileKind, FsEntry, Snapshot, parse_accounts
from dockfix.build.results import WarmBuild
from dockfix.build.session import _PATH_COMPONENT, _TAG
from dockfix.build.verify import ImageBuild, Smoke, TreeBuild, compare_builds, private_name

SPEC = BuildSpec("x", Path("Dockerfile"), Path("."))
ROOT_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
BASE_LAYERS = (Layer("sha256:" + "1" * 64, 196_000_000), Layer("sha256:" + "2" * 64, 40_000_000))


def info(**changes) -> ImageInfo:
    layers = changes.pop("layers", BASE_LAYERS + (Layer("sha256:" + "3" * 64, 2_000_000),))
    base = ImageInfo(
        id="sha256:" + "a" * 64,
        cmd=("gunicorn", "apps.api.wsgi:application", "--bind", "0.0.0.0:8000"),
        env=(f"PATH=/root/.local/bin:{ROOT_PATH}", "PYTHONPATH=/app", "LANG=C.UTF-8"),
        working_dir="/app",
        exposed_ports=("8000/tcp",),
        healthcheck={"Test": ["CMD-SHELL", "true"], "Interval": 30_000_000_000},
        labels={"io.buildah.version": "1.28.2", "org.dockfix.stand-in": "python"},
        size=sum(layer.size or 0 for layer in layers),
        layers=layers,
    )
    return replace(base, **changes)


PASSWD = "root:x:0:0:root:/root:/bin/bash\n"
APPUSER = "appuser:x:1000:1000::/home/appuser:/bin/sh\n"


def file(content: str = "a", uid: int = 0, mode: int = 0o644, size: int = 120) -> FsEntry:
    return FsEntry(FileKind.FILE, mode, uid, uid, size, content * 64)


def directory(uid: int = 0, mode: int = 0o755) -> FsEntry:
    return FsEntry(FileKind.DIRECTORY, mode, uid, uid)


def snapshot(entries: dict[str, FsEntry] | None = None, passwd: str = PASSWD, group: str = "root:x:0:\n") -> Snapshot:
    base = {"etc": directory(), "etc/passwd": file(str(len(passwd))), "etc/group": file(str(len(group))),
            "app": directory(), "app/manage.py": file("m", size=90), "etc/skel": directory(), "home": directory(),
            "etc/skel/.bashrc": file("s")}
    return Snapshot({**base, **(entries or {})}, parse_accounts(passwd, True), parse_accounts(group, False))


def smoke(executable_ok: bool = True, python: str = "3.11.2", module=None) -> Smoke:
    executable = SmokeCheck("cmd-executable", True, "gunicorn -> /root/.local/bin/gunicorn", "/root/.local/bin/gunicorn") \
        if executable_ok else SmokeCheck(
            "cmd-executable", False,
            "gunicorn: not found (as user appuser, PATH=/home/appuser/.local/bin:/usr/local/bin)")
    return Smoke(SmokeCheck("python-version", True, f"python3: Python {python}", python), executable, module)


def ok(key="academy-api:latest", dockerfile="docker/api/Dockerfile", **kwargs) -> ImageBuild:
    image_info = kwargs.pop("info", None) or info()
    result = BuildResult(SPEC, "ok", "buildah", 1.0, image="localhost/dockfix-x/" + key, image_id=image_info.id)
    return ImageBuild(key, dockerfile, "ok", result, info=image_info, smoke=kwargs.pop("smoke", None) or smoke(),
                      files=kwargs.pop("files", None) or snapshot())


def failed(key="academy-ai-worker-cpu:latest", dockerfile="docker/ai-worker-cpu/Dockerfile", line=34) -> ImageBuild:
    step = FailedStep("COPY scripts ./scripts", line=line, step=17)
    error = 'checking on sources under "/ctx": copier: stat: "/scripts": no such file or directory'
    return ImageBuild(key, dockerfile, "failed", BuildResult(SPEC, "failed", "buildah", 1.0, failed_step=step,
                                                             error=error))


def skipped(key="academy-ai-worker-gpu:latest") -> ImageBuild:
    reason = "base nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04 not available locally"
    return ImageBuild(key, "docker/ai-worker-gpu/Dockerfile", "skipped", skip_reason=reason)


def verdict(before: list[ImageBuild], after: list[ImageBuild], engine: str = "buildah", expected=None):
    return compare_builds(TreeBuild("before", Path("b"), engine, {i.key: i for i in before}),
                          TreeBuild("after", Path("a"), engine, {i.key: i for i in after}), expected)


def severities(v) -> list[tuple[str, str, str]]:
    return sorted((f.image, f.check, f.severity) for f in v.findings)


@pytest.mark.parametrize("label, key, expected", [
    ("before", "academy-base:latest", "before.academy-base:latest"),
    ("option-3", "<docker/Dockerfile>", "option-3.unnamed.docker-dockerfile:latest"),
    ("after", "registry.example.com:5000/Team/App:1.0", "after.registry-example-com-5000.team.app:1.0"),
    ("after", "acme/app@sha256:" + "f" * 64, "after.acme.app:latest"),
    ("Mutant 2", "x:.bad tag", "mutant-2.x:bad-tag"),
])
def test_private_names_are_one_valid_path_component_per_image(label, key, expected):
    # One component: buildah resolves the short name `academy-base:latest` to any local image
    # whose name ends in `/academy-base:latest`, so a private name must not end like that.
    name = private_name(label, key)
    assert name == expected
    repository, tag = name.rsplit(":", 1)
    assert _PATH_COMPONENT.match(repository) and _TAG.match(tag)


def test_identical_images_hold_with_nothing_to_report():
    v = verdict([ok()], [ok()])
    assert v.holds and v.findings == []


NON_ROOT_ENV = (f"PATH=/home/appuser/.local/bin:{ROOT_PATH}", "PYTHONPATH=/app", "LANG=C.UTF-8")
SITE = "lib/python3.11/site-packages/six.py"


def non_root_pair(site_content: str = "6", extra: dict | None = None):
    """What the non-root option does to a real image: an account, its home with the skeleton,
    the user site moved, the app files owned by the new user."""
    before = snapshot({"root": directory(mode=0o700), "root/.local": directory(), f"root/.local/{SITE}": file("6")})
    after = snapshot({"root": directory(mode=0o700), "etc/shadow": file("x", mode=0o640),
                      "home/appuser": directory(1000), "home/appuser/.bashrc": file("s", uid=1000),
                      "home/appuser/.local": directory(1000), f"home/appuser/.local/{SITE}": file(site_content, uid=1000),
                      "app": directory(1000), "app/manage.py": file("m", uid=1000, size=90), **(extra or {})},
                     passwd=PASSWD + APPUSER, group="root:x:0:\nappuser:x:1000:\n")
    return ([ok(files=before)], [ok(info=info(user="appuser", env=NON_ROOT_ENV), files=after)])


NON_ROOT = Expected("proved", frozenset({"USER", "ENV PATH", "ownership"}), frozenset({"appuser", "1000"}),
                    (("/root/.local", "/home/appuser/.local"),))


def test_the_non_root_option_is_explained_by_the_rules_the_static_verdict_used():
    v = verdict(*non_root_pair(), expected={"academy-api:latest": NON_ROOT})
    assert v.holds, v.report()
    assert severities(v) == [("academy-api:latest", check, "info") for check in (
        "Env PATH", "User", "files: accounts", "files: new home", "files: ownership", "files: relocated user site")]
    fs = v.pair("academy-api:latest").files
    assert fs.unexplained == () and fs.differing == 11
    assert {r.value: list(p) for r, p in fs.explained.items()} == {
        "relocated user site": ["home/appuser/.local", f"home/appuser/.local/{SITE}", "root/.local",
                                f"root/.local/{SITE}"],
        "accounts": ["etc/group", "etc/passwd", "etc/shadow"],
        "new home": ["home/appuser", "home/appuser/.bashrc"],
        "ownership": ["app", "app/manage.py"]}
    assert "runs as appuser instead of root" in v.report()
    assert "file systems (path, type, mode, owner, size, sha256; volatile paths left out):" in v.report()
    files = json.loads(json.dumps(v.to_json()))["images"][0]["files"]
    assert files["explained"]["accounts"] == {"count": 3, "sample": ["etc/group", "etc/passwd", "etc/shadow"]}
    assert files["unexplained"] == [] and files["paths"] == fs.paths


def test_without_a_static_verdict_the_account_files_are_unexplained_and_broken():
    v = verdict(*non_root_pair())
    assert not v.holds
    (f,) = [f for f in v.findings if f.check == "files"]
    assert f.severity == "broken" and f.message.startswith(
        "11 paths differ that no rule explains: app: directory 0755 0:0 → directory 0755 1000:1000; ")


def test_a_moved_site_whose_content_changed_is_not_a_move():
    v = verdict(*non_root_pair(site_content="7"), expected={"academy-api:latest": NON_ROOT})
    (f,) = [f for f in v.findings if f.check == "files"]
    assert f.severity == "prover-bug" and "(the static verdict proved this image: a prover bug)" in f.message
    assert f"home/appuser/.local/{SITE}: new" in f.message and f"root/.local/{SITE}: gone" in f.message
    assert "PROVER BUG" in v.summary() and not v.holds


def test_a_new_file_under_the_new_home_that_is_no_skeleton_copy_is_unexplained():
    extra = {"home/appuser/notes.txt": file("n", uid=1000), "usr/local/bin/tool": file("t", mode=0o755)}
    v = verdict(*non_root_pair(extra=extra), expected={"academy-api:latest": NON_ROOT})
    assert [c.path for c in v.pair("academy-api:latest").files.unexplained] == ["home/appuser/notes.txt",
                                                                               "usr/local/bin/tool"]


def test_a_difference_is_a_prover_bug_only_where_the_static_verdict_proved_the_image():
    changed = snapshot({"app/manage.py": file("M", size=90)})
    for outcome, expected_severity in (("proved", "prover-bug"), ("unproven", "broken"), (None, "broken")):
        v = verdict([ok()], [ok(files=changed)], expected={"academy-api:latest": Expected(outcome)})
        assert [(f.check, f.severity) for f in v.findings] == [("files", expected_severity)], outcome
        assert "app/manage.py: file 0644 0:0 90 B sha256:mmmmmmmmmmmm → file 0644 0:0 90 B sha256:MMMMMMMMMMMM" \
            in v.findings[0].message


def test_an_allowed_config_difference_the_static_verdict_did_not_predict_is_a_prover_bug():
    after = ok(info=info(user="appuser"))
    assert [(f.check, f.severity) for f in verdict([ok()], [after]).findings] == [("User", "info")]
    unpredicted = verdict([ok()], [after], expected={"academy-api:latest": Expected("proved")})
    assert [(f.check, f.severity) for f in unpredicted.findings] == [("User", "prover-bug")]
    predicted = verdict([ok()], [after], expected={"academy-api:latest": Expected("proved", frozenset({"USER"}))})
    assert predicted.holds and [(f.check, f.severity) for f in predicted.findings] == [("User", "info")]


def test_build_times_cold_and_warm_are_reported_before_against_after():
    v = verdict([ok()], [ok()])
    v.trees[0].warm, v.trees[1].warm = WarmBuild("src/a.py", 40.0), WarmBuild("src/a.py", 12.4)
    assert "build time of the set (the engine's, every image, empty layer cache): cold 1 s → 1 s" in v.report()
    assert "    warm, after an edit of src/a.py (an application file the images COPY): 40 s → 12 s" in v.report()
    assert v.to_json()["build_time_s"]["after"] == {"cold": 1.0, "warm": 12.4, "edited": "src/a.py",
                                                    "warm_note": None}


@pytest.mark.parametrize("change, check", [
    (dict(cmd=("gunicorn", "apps.api.wsgi:application")), "Cmd"),
    (dict(entrypoint=("tini", "--")), "Entrypoint"),
    (dict(working_dir="/srv"), "WorkingDir"),
    (dict(exposed_ports=("8080/tcp",)), "ExposedPorts"),
    (dict(healthcheck={"Test": ["CMD-SHELL", "true"], "Interval": 60_000_000_000}), "Healthcheck"),
    (dict(healthcheck=None), "Healthcheck"),
    (dict(env=(f"PATH=/root/.local/bin:{ROOT_PATH}", "PYTHONPATH=/srv", "LANG=C.UTF-8")), "Env PYTHONPATH"),
    (dict(env=(f"PATH=/root/.local/bin:{ROOT_PATH}", "PYTHONPATH=/app", "LANG=C.UTF-8", "DEBUG=1")), "Env DEBUG"),
    (dict(env=("PATH=/opt/bin:" + ROOT_PATH, "PYTHONPATH=/app", "LANG=C.UTF-8")), "Env PATH"),
    (dict(labels={"io.buildah.version": "1.28.2", "org.dockfix.stand-in": "other"}), "Label org.dockfix.stand-in"),
])
def test_protected_config_differences_are_broken(change, check):
    v = verdict([ok()], [ok(info=info(**change))])
    assert not v.holds
    assert [(f.check, f.severity) for f in v.findings] == [(check, "broken")]


def test_the_engines_own_label_is_ignored():
    v = verdict([ok()], [ok(info=info(labels={"io.buildah.version": "1.33.0", "org.dockfix.stand-in": "python"}))])
    assert v.holds and v.findings == []


def test_an_image_that_builds_before_and_fails_after_is_broken_with_its_step():
    v = verdict([ok("academy-ai-worker-cpu:latest", "docker/ai-worker-cpu/Dockerfile")], [failed()])
    assert not v.holds
    (f,) = v.findings
    assert (f.check, f.severity, f.path, f.line) == ("build", "broken", "docker/ai-worker-cpu/Dockerfile", 34)
    assert f.message.startswith("builds before, fails after at `COPY scripts ./scripts` "
                                "(docker/ai-worker-cpu/Dockerfile:34): checking on sources")
    assert "failed at docker/ai-worker-cpu/Dockerfile:34" in v.report()


def test_a_build_fixed_by_the_rewrite_is_a_fixed_pre_existing_defect():
    v = verdict([failed()], [ok("academy-ai-worker-cpu:latest", "docker/ai-worker-cpu/Dockerfile")])
    assert v.holds
    (f,) = v.findings
    assert (f.check, f.severity, f.line) == ("build", "fixed", 34)
    assert f.message.startswith("pre-existing defect fixed: BEFORE fails at `COPY scripts ./scripts`")


def test_a_fixed_build_whose_command_does_not_start_is_broken():
    after = ok("academy-ai-worker-cpu:latest", "docker/ai-worker-cpu/Dockerfile", smoke=smoke(executable_ok=False))
    v = verdict([failed()], [after])
    assert not v.holds
    assert severities(v) == [("academy-ai-worker-cpu:latest", "build", "fixed"),
                             ("academy-ai-worker-cpu:latest", "cmd-executable", "broken")]


def test_failing_on_both_sides_is_pre_existing_not_broken():
    v = verdict([failed()], [failed(line=30)])
    assert v.holds
    assert severities(v) == [("academy-ai-worker-cpu:latest", "build", "pre-existing")]


def test_skipped_images_are_reported_with_the_reason_and_are_not_failures():
    v = verdict([ok(), skipped()], [ok(), skipped()])
    assert v.holds
    assert severities(v) == [("academy-ai-worker-gpu:latest", "build", "skipped")]
    assert "skipped: academy-ai-worker-gpu:latest: build at docker/ai-worker-gpu/Dockerfile: not built on either " \
           "side: base nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04 not available locally" in v.report()
    one_side = verdict([skipped()], [ok("academy-ai-worker-gpu:latest", "docker/ai-worker-gpu/Dockerfile")])
    assert one_side.holds
    assert [f.message for f in one_side.findings] == [
        "BEFORE not built: base nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04 not available locally"]


def test_a_cmd_that_stops_resolving_as_the_image_user_is_broken_and_named():
    v = verdict([ok()], [ok(smoke=smoke(executable_ok=False))])
    assert not v.holds
    (f,) = v.findings
    assert (f.check, f.severity) == ("cmd-executable", "broken")
    assert f.message.startswith("gunicorn: not found (as user appuser")
    assert "gunicorn: not found" in v.report()


def test_module_and_python_version_checks():
    module_ok = SmokeCheck("module-importable", True, "apps.x -> /app/apps/x.py", "apps.x")
    module_bad = SmokeCheck("module-importable", False, "python -m apps.x: No module named apps.x (exit 1)")
    v = verdict([ok(smoke=smoke(module=module_ok))], [ok(smoke=smoke(module=module_bad, python="3.12.1"))])
    assert severities(v) == [("academy-api:latest", "module-importable", "broken"),
                             ("academy-api:latest", "python-version", "broken")]
    fixed = verdict([ok(smoke=smoke(module=module_bad))], [ok(smoke=smoke(module=module_ok))])
    assert fixed.holds and severities(fixed) == [("academy-api:latest", "module-importable", "fixed")]


def test_an_image_whose_file_system_could_not_be_read_says_so():
    unread = replace(ok(), files=None, files_error="reading the file system failed: x")
    v = verdict([unread], [ok()])
    assert v.holds and [(f.check, f.severity, f.message) for f in v.findings] == [
        ("files", "info", "not compared: reading the file system failed: x")]


def test_images_only_on_one_side():
    v = verdict([ok(), ok("academy-old:latest")], [ok(), ok("academy-new:latest")])
    assert severities(v) == [("academy-new:latest", "image", "info"), ("academy-old:latest", "image", "broken")]
    assert not v.holds


def test_sizes_per_image_and_distinct_layer_bytes_count_shared_layers_once():
    base = info(layers=BASE_LAYERS, cmd=("python", "--version"))
    api_before = info(layers=BASE_LAYERS + (Layer("sha256:" + "3" * 64, 2_000_000),))
    cpu_after = info(layers=BASE_LAYERS + (Layer("sha256:" + "4" * 64, 300_000_000),))
    v = verdict(
        [ok("academy-base:latest", info=base), ok(info=api_before), failed()],
        [ok("academy-base:latest", info=base), ok(info=api_before),
         ok("academy-ai-worker-cpu:latest", "docker/ai-worker-cpu/Dockerfile", info=cpu_after)])
    assert v.distinct_bytes("before") == 236_000_000 + 2_000_000
    assert v.distinct_bytes("after") == 236_000_000 + 2_000_000 + 300_000_000
    assert v.distinct_bytes("before", both_sides_only=True) == v.distinct_bytes("after", both_sides_only=True)
    report = v.report()
    assert "academy-base:latest           236.0 MB, 2 layers → 236.0 MB, 2 layers  (+0 B, +0 layers)" in report
    assert "academy-ai-worker-cpu:latest  failed at docker/ai-worker-cpu/Dockerfile:34 → 536.0 MB, 3 layers" in report
    assert "distinct layer bytes, shared layers counted once: 238.0 MB → 538.0 MB (+126.1%) (2 → 3 images)" in report
    data = json.loads(json.dumps(v.to_json()))
    assert data["holds"] is True
    assert data["distinct_layer_bytes"]["all"] == {"before": 238_000_000, "after": 538_000_000}
    cpu = next(i for i in data["images"] if i["image"] == "academy-ai-worker-cpu:latest")
    assert cpu["before"]["failed_step"] == {"instruction": "COPY scripts ./scripts", "line": 34, "stage": None,
                                            "step": 17}
    assert cpu["after"]["size"] == 536_000_000 and cpu["after"]["layers"] == 3
    assert cpu["findings"][0]["severity"] == "fixed"


def test_sizes_are_not_invented_when_the_engine_reports_no_layer_sizes():
    docker_like = info(layers=(Layer("sha256:" + "1" * 64, None),), size=250_000_000)
    v = verdict([ok(info=docker_like)], [ok(info=docker_like)], engine="docker")
    assert v.distinct_bytes("before") is None
    assert "not measured (docker reports no per-layer sizes)" in v.report()
    assert "250.0 MB, 1 layer → 250.0 MB, 1 layer" in v.report()


def test_size_differences_are_shown_in_a_unit_that_shows_them():
    grown = info(layers=BASE_LAYERS + (Layer("sha256:" + "3" * 64, 2_012_345),))
    v = verdict([ok()], [ok(info=grown)])
    assert "238.0 MB, 3 layers → 238.0 MB, 3 layers  (+12.3 kB, +0 layers)" in v.report()
    shrunk = info(layers=BASE_LAYERS)
    assert "(-2.0 MB, -1 layers)" in verdict([ok()], [ok(info=shrunk)]).report()


# -- the command line: bad input is exit 2 with a message, before any build or output -------
GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "academy"


def _verify(*args: str):
    from typer.testing import CliRunner

    from dockfix.cli import app

    return CliRunner().invoke(app, ["verify", *args], catch_exceptions=False)


@pytest.mark.parametrize("args, message", [
    (["--build", "--engine", "rkt"], "--engine: unknown engine 'rkt'; choose one of docker, buildah, podman"),
    (["--engine", "buildah"], "--engine only applies with --build"),
    (["--build", "--base", "HEAD"], "--build compares two directories: give BEFORE and AFTER, not --base"),
])
def test_verify_build_bad_input_exits_2_without_a_traceback(args, message):
    roots = [] if "--base" in args else [str(GOLDEN / "before"), str(GOLDEN / "option-2")]
    result = _verify(*roots, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().endswith(message) and "Traceback" not in result.stderr


def test_verify_build_on_a_missing_directory_names_it(tmp_path):
    result = _verify(str(GOLDEN / "before"), str(tmp_path / "nope"), "--build", "--engine", "rkt")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope'}: no such directory"


def test_help_does_not_import_the_build_package():
    import subprocess
    import sys

    code = ("import sys\nfrom dockfix.cli import app\ntry:\n    app(['verify', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('dockfix.build')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "--build" in done.stdout and "--engine" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_finding_is_one_report_line_whatever_the_command_printed():
    printed = SmokeCheck("module-importable", True, "app -> hi\n/app/app.py", "app")
    failing = SmokeCheck("module-importable", False, "python -m app: Traceback\nImportError: x (exit 1)")
    v = verdict([ok(smoke=smoke(module=printed))], [ok(smoke=smoke(module=failing))])
    (f,) = v.findings
    assert f.before == "app -> hi ⏎ /app/app.py"
    assert f.message == "python -m app: Traceback ⏎ ImportError: x (exit 1)"
    # summary, header, image, sizes (2), cold and warm times, file systems (2), the finding (3)
    assert len(v.report().splitlines()) == 1 + 2 + 2 + 2 + 2 + 3


def test_the_warm_edit_never_writes_through_a_symlink(tmp_path):
    """The edited file of the warm build is in a copy of the tree; a symlink there would
    lead the write back to the user's file."""
    from dockfix.build.trees import warm_build
    from dockfix.config import load_config

    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text('FROM python:3.11-slim\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n')
    (root / "app.py").symlink_to(outside)
    found = warm_build(None, root, load_config(root), "before")  # refused before any build: no session needed
    # The prover reads a context symlink as the link itself (not a Python file it copies), so
    # the edit is refused before the copy's own symlink check; either way nothing is written.
    assert found in ("no image COPYs a Python file of the repository",
                     "app.py is a symlink: editing it would write outside the copy")
    assert outside.read_text() == "x = 1\n"
