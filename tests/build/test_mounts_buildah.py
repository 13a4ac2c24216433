"""`model.mounts` against real buildah builds: for each `RUN --mount`, the file the model says
the RUN reads at an image path (a context file, through a bind mount of the context) is the
file the build's RUN prints there, and a path the model puts in a mount is not in the image
after the RUN. (BuildKit's rules: instructions/commands_runmount.go, dockerfile2llb.)"""

from __future__ import annotations

import base64
import secrets
import subprocess
from pathlib import Path

import pytest

from dockfix.model.mounts import MountType, run_mount

BASE = "docker.io/library/python:3.11-slim"
CONTEXT = {"requirements.txt": "six==1.16.0\n", "req/dev.txt": "attrs\n", "secret.txt": "s3cret\n"}
# (WORKDIR, --mount value, image path the RUN reads) -> the context file it sees there (None:
# the secret the build is given, not a context file).
CASES = [
    ("/", "type=bind,source=requirements.txt,target=/tmp/r.txt", "/tmp/r.txt", "requirements.txt"),
    ("/", "source=req,target=/deps", "/deps/dev.txt", "req/dev.txt"),
    ("/", "target=/ctx,type=bind,ro", "/ctx/req/dev.txt", "req/dev.txt"),
    ("/", "type=secret,id=tok", "/run/secrets/tok", None),
    ("/", "type=secret,id=tok,target=/etc/tok", "/etc/tok", None),
]


# A relative target: BuildKit joins it to the WORKDIR (dockerfile2llb dispatchRunMounts:
# `target = filepath.Join("/", dir, mount.Target)`), the model too; buildah 1.28 refuses it
# ("must be an absolute path"). Pinned, so that a buildah that starts to agree is noticed.
BUILDAH_DIFFERS = [("/src", "type=bind,target=.", "/src/requirements.txt", "requirements.txt"),
                   ("/src", "type=bind,src=req,dst=sub", "/src/sub/dev.txt", "req/dev.txt")]


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=600)
    assert not check or done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"
    return done


@pytest.mark.parametrize("workdir, value, path, source", CASES, ids=[c[1] for c in CASES])
def test_the_run_reads_what_the_mount_shows(workdir: str, value: str, path: str, source: str | None,
                                            stand_in_bases: None, tmp_path: Path) -> None:
    mount = run_mount(value, workdir)
    assert mount.holds(path)
    assert mount.context_path(path) == source
    assert (mount.type is MountType.SECRET) == (source is None)
    ctx = tmp_path / "ctx"
    for rel, text in CONTEXT.items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).write_text(text)
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE}\nWORKDIR {workdir}\nRUN --mount={value} echo \"@@$(base64 -w0 {path})@@\"\n"
        f"RUN test ! -e {path} && echo \"@@gone@@\"\n")
    tag = f"localhost/dockfix-mounts:{secrets.token_hex(6)}"
    done = _run("buildah", "build", "--isolation", "chroot", "--pull=never", "--layers=false",
                "--secret", f"id=tok,src={ctx / 'secret.txt'}", "-f", str(tmp_path / "Dockerfile"), "-t", tag,
                str(ctx), check=False)
    _run("buildah", "rmi", tag, check=False)
    assert done.returncode == 0, done.stderr
    seen = [line.strip("@") for line in done.stdout.splitlines() if line.startswith("@@")]
    assert base64.b64decode(seen[0]).decode() == CONTEXT[source or "secret.txt"]
    assert seen[1] == "gone"  # a mount leaves nothing in the image


@pytest.mark.parametrize("workdir, value, path, source", BUILDAH_DIFFERS, ids=[c[1] for c in BUILDAH_DIFFERS])
def test_buildah_refuses_a_relative_target_buildkit_joins_to_the_workdir(
        workdir: str, value: str, path: str, source: str, stand_in_bases: None, tmp_path: Path) -> None:
    assert run_mount(value, workdir).context_path(path) == source
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE}\nWORKDIR {workdir}\nRUN --mount={value} true\n")
    done = _run("buildah", "build", "--isolation", "chroot", "--pull=never", "--layers=false",
                "-f", str(tmp_path / "Dockerfile"), str(tmp_path), check=False)
    assert done.returncode != 0 and "must be an absolute path" in done.stderr
