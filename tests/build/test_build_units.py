"""Engine-free parts of the build layer: engine detection, process timeouts, inspect
parsing, layer accounting, reading CMD/ENTRYPOINT, private names."""

from __future__ import annotations

import json
import os
import time

import pytest

from dockfix.build import (
    BuildahEngine,
    BuildSpec,
    DockerEngine,
    EngineUnavailable,
    ImageInfo,
    Layer,
    _proc,
    command_executable,
    command_module,
    detect_engine,
    distinct_layer_bytes,
)
from dockfix.build.images import parse_docker_inspect
from dockfix.build.session import BuildSession


@pytest.fixture
def fake_docker(tmp_path, monkeypatch):
    """A `docker` client on PATH whose `docker info` exits with the code written to a file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(f'#!/bin/sh\n[ "$1" = info ] && exit "$(cat {tmp_path}/code)"\nexit 0\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "code"


def test_docker_is_chosen_only_when_its_daemon_answers(fake_docker, engine):
    fake_docker.write_text("0")
    assert isinstance(detect_engine(), DockerEngine)
    fake_docker.write_text("1")  # a client without a daemon, as on the build machines
    assert isinstance(detect_engine(), BuildahEngine)
    with pytest.raises(EngineUnavailable, match="no daemon answers"):
        detect_engine("docker")


def test_explicit_engine_choice(engine):
    assert isinstance(detect_engine("buildah"), BuildahEngine)
    with pytest.raises(EngineUnavailable, match="unknown engine"):
        detect_engine("rkt")


def test_buildah_build_argv_is_a_list_with_the_safety_flags(tmp_path):
    spec = BuildSpec("x", tmp_path / "Dockerfile", tmp_path, target="runtime", build_args={"A": "1 2"})
    argv = BuildahEngine(ca_bundle=None)._build_argv(spec, "localhost/dockfix-r/x:latest", tmp_path / "iid")
    assert argv[:2] == ["buildah", "bud"]
    for flag in ("--pull=never", "--layers", "--force-rm"):
        assert flag in argv
    assert argv[argv.index("--isolation") + 1] == "chroot"
    assert argv[argv.index("--format") + 1] == "docker"
    assert argv[argv.index("--target") + 1] == "runtime"
    assert argv[argv.index("--build-arg") + 1] == "A=1 2"  # one argv item: no shell splitting
    assert "-v" not in argv
    assert argv[-1] == str(tmp_path)


def test_ca_bundle_is_mounted_read_only(tmp_path):
    bundle = tmp_path / "ca.crt"
    bundle.write_text("cert")
    spec = BuildSpec("x", tmp_path / "Dockerfile", tmp_path)
    argv = BuildahEngine(ca_bundle=bundle)._build_argv(spec, "t", tmp_path / "iid")
    assert argv[argv.index("-v") + 1] == f"{bundle}:/etc/ssl/certs/ca-certificates.crt:ro"


def test_proc_timeout_kills_the_whole_process_group():
    start = time.monotonic()
    done = _proc.run(["sh", "-c", "sleep 30 & sleep 30; echo never"], timeout=1, grace=1)
    assert done.timed_out
    assert "never" not in done.stdout
    assert time.monotonic() - start < 10


def test_buildah_exit_report_is_stripped_from_stderr():
    strip = BuildahEngine(ca_bundle=None)._command_stderr
    assert strip("boom\nsubprocess exited with status 7\nError: exit status 7\n") == "boom\n"
    assert strip("Error: exit status 7 is what the app printed\n") == "Error: exit status 7 is what the app printed\n"


def test_docker_inspect_parsing():
    payload = [{
        "Id": "sha256:" + "a" * 64,
        "Config": {
            "User": "appuser", "Env": ["PATH=/usr/bin", "A=b=c"], "Cmd": ["gunicorn", "app:app"],
            "Entrypoint": None, "WorkingDir": "/app", "ExposedPorts": {"9000/tcp": {}, "8000/tcp": {}},
            "Healthcheck": {"Test": ["CMD", "true"]}, "Labels": None,
        },
        "Size": 1234,
        "RootFS": {"Type": "layers", "Layers": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]},
    }]
    info = parse_docker_inspect(json.dumps(payload))
    assert info.cmd == ("gunicorn", "app:app") and info.entrypoint == ()
    assert info.exposed_ports == ("8000/tcp", "9000/tcp")
    assert info.env_dict == {"PATH": "/usr/bin", "A": "b=c"}
    assert info.labels == {} and info.size == 1234
    assert [layer.size for layer in info.layers] == [None, None]
    with pytest.raises(ValueError, match="no known size"):
        distinct_layer_bytes([info])


def test_distinct_layer_bytes_counts_shared_layers_once():
    base = ImageInfo(id="sha256:b", layers=(Layer("sha256:1", 100),))
    api = ImageInfo(id="sha256:a", layers=(Layer("sha256:1", 100), Layer("sha256:2", 10)))
    worker = ImageInfo(id="sha256:w", layers=(Layer("sha256:1", 100), Layer("sha256:3", 7)))
    assert distinct_layer_bytes([base, api, worker]) == 117
    assert distinct_layer_bytes([]) == 0


@pytest.mark.parametrize(
    ("entrypoint", "cmd", "executable"),
    [
        ((), ("gunicorn", "app:app"), "gunicorn"),
        (("/docker-entrypoint.sh",), ("serve",), "/docker-entrypoint.sh"),
        ((), ("/bin/sh", "-c", "exec gunicorn app:app"), "gunicorn"),
        ((), ("/bin/sh", "-c", "PORT=1 DEBUG=0 uvicorn main:app"), "uvicorn"),
        ((), ("sh", "-c", "'unbalanced"), "sh"),
        ((), (), None),
    ],
)
def test_command_executable(entrypoint, cmd, executable):
    assert command_executable(ImageInfo(id="sha256:x", entrypoint=entrypoint, cmd=cmd)) == executable


@pytest.mark.parametrize(
    ("entrypoint", "cmd", "expected"),
    [
        ((), ("python", "-m", "app"), ("python", "app")),
        ((), ("/usr/local/bin/python3.11", "-u", "-m", "celery", "worker"), ("/usr/local/bin/python3.11", "celery")),
        (("python3",), ("-m", "uvicorn", "main:app"), ("python3", "uvicorn")),
        ((), ("python", "manage.py", "-m", "x"), None),
        ((), ("gunicorn", "-m", "x"), None),
        ((), ("python",), None),
    ],
)
def test_command_module(entrypoint, cmd, expected):
    assert command_module(ImageInfo(id="sha256:x", entrypoint=entrypoint, cmd=cmd)) == expected


class _NoImages:
    """An engine stand-in for naming tests: BuildSession only lists images at start."""

    def list_images(self):
        return []


def test_private_refs_live_under_the_run_namespace():
    session = BuildSession(_NoImages(), run_id="r1")  # type: ignore[arg-type]
    assert session.private_ref("academy-base:latest") == "localhost/dockfix-r1/academy-base:latest"
    assert session.private_ref("academy/api") == "localhost/dockfix-r1/academy/api:latest"
    for bad in ("Academy:latest", "app@sha256:" + "0" * 64, "registry:5000/app:1"):
        with pytest.raises(ValueError):
            session.private_ref(bad)
