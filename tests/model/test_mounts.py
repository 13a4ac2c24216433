"""`model.mounts`: BuildKit's reading of `RUN --mount` values (commands_runmount.go parseMount,
dockerfile2llb dispatchSecret); the real builds are in tests/build/test_mounts_buildah.py."""

from __future__ import annotations

import pytest

from dockfix.model.mounts import MountType, RunMount, run_mount


@pytest.mark.parametrize("value, workdir, expected", [
    ("target=/x", "/", RunMount(MountType.BIND, "/x")),  # bind is the default type
    ("TYPE=Cache,Target=/root/.cache", "/", RunMount(MountType.CACHE, "/root/.cache")),
    ("type=bind,src=a,dst=b", "/w", RunMount(MountType.BIND, "/w/b", "a")),
    ("type=bind,source=a,destination=./b/../c,ro", "/w", RunMount(MountType.BIND, "/w/c", "a")),
    ("type=bind,from=builder,source=/wheels,target=/wheels", "/", RunMount(MountType.BIND, "/wheels", "/wheels", "builder")),
    ("type=secret,id=npmrc", "/", RunMount(MountType.SECRET, "/run/secrets/npmrc")),
    ("type=secret,id=a/b", "/", RunMount(MountType.SECRET, "/run/secrets/b")),
    ("type=secret,id=x,target=/root/.npmrc,required", "/", RunMount(MountType.SECRET, "/root/.npmrc")),
    ('"type=bind","target=/a,b"', "/", RunMount(MountType.BIND, "/a,b")),  # CSV quoting
    ("type=tmpfs,target=/t,size=10m", "/", RunMount(MountType.TMPFS, "/t")),
    ("type=ssh", "/", RunMount(MountType.SSH, None)),
    ("type=bind,target=$DIR", "/", RunMount(MountType.BIND, None)),  # expanded by BuildKit: not read
    ("type=cache,target=${PIP_CACHE_DIR}", "/", RunMount(MountType.CACHE, None)),  # still a cache
    ("type=bind,source=$SRC,target=/x", "/", RunMount(MountType.BIND, None)),  # what it shows: not known
    ("type=$T,target=/x", "/", RunMount(None, None)),
    ("type=nfs,target=/x", "/", RunMount(None, None)),  # BuildKit rejects the type
    ("type=bind,target=/x,color=red", "/", RunMount(None, None)),  # and an unknown key
    ("type=bind,target=rel", None, RunMount(MountType.BIND, None)),  # WORKDIR unknown
])
def test_run_mount(value: str, workdir: str | None, expected: RunMount) -> None:
    assert run_mount(value, workdir) == expected


def test_what_a_mount_holds() -> None:
    m = run_mount("type=bind,source=req,target=/deps", "/")
    assert m.holds("/deps/dev.txt") and m.holds("/deps") and not m.holds("/depsx/a")
    assert m.context_path("/deps/dev.txt") == "req/dev.txt"
    assert run_mount("type=cache,target=/c", "/").context_path("/c/x") is None
    assert run_mount("type=bind,from=b,target=/c", "/").context_path("/c/x") is None
    assert RunMount(None, None).holds("/anything")
