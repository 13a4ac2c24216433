"""model.copy.add_unlike_copy against real buildah builds: an ADD whose destination (and owner)
the build decides lands what the same step written COPY lands, for every destination a build
passes, exactly when the model says so (copy-for-add's rewrite under an unknown destination,
and the prover's rule "COPY/ADD the model cannot read").

Each case is a `FROM scratch` Dockerfile whose ADD/COPY destination and --chown come from
--build-arg; both keywords are built with each destination, and the images' files (type,
owner, mode, bytes) are compared.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

import pytest

from dockfix.model.copy import CopySpec, add_unlike_copy
from tests.build.test_copy_buildah import BUILDAH, _context, _run, _tar, buildah  # noqa: F401 (fixture)

FILES = {"plain.txt": b"plain\n", "d/x.py": b"x\n", "d/in.tar": _tar({"s.txt": b"s\n"}),
         "arch.tar": _tar({"p/q.txt": b"q\n"}), "blob.bin": _tar({"k.txt": b"k\n"})}
DOCKERFILE = "FROM scratch\nARG DEST\nARG OWNER=0\n{keyword} --chown=${{OWNER}} {sources} ${{DEST}}\n"
# (destination, owner) a build passes; a single source lands as a file named /y
BUILDS = (("/x/", "0"), ("/deep/er/", "1234:5678"), ("/y", "0"))

# (sources, whether the model says ADD lands what COPY lands)
CASES = [
    ("plain.txt", True),
    ("plain.txt d", True),  # a directory's tar is copied, never extracted
    ("d/*.py", True),
    ("arch.tar", False),
    ("blob.bin", False),  # a tar by its bytes, whatever its name
    ("plain.txt arch.tar", False),
]


def _files(tag: str) -> dict[str, tuple]:
    """Every non-directory path of an image -> (type, uid, gid, mode, sha256 of the bytes)."""
    container = _run(*BUILDAH, "from", "--pull-never", tag).stdout.strip()
    try:
        root = Path(_run(*BUILDAH, "mount", container).stdout.strip())
        out = {}
        for path in root.rglob("*"):
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
            out["/" + path.relative_to(root).as_posix()] = (stat.S_IFMT(st.st_mode), st.st_uid, st.st_gid,
                                                            stat.S_IMODE(st.st_mode), digest)
        return out
    finally:
        _run(*BUILDAH, "umount", container, check=False)
        _run(*BUILDAH, "rm", container, check=False)


def _build(ctx: Path, tmp: Path, keyword: str, sources: str, dest: str, owner: str) -> dict[str, tuple] | None:
    """The image's files, or None when the build fails."""
    dockerfile = tmp / f"Dockerfile.{keyword}"
    dockerfile.write_text(DOCKERFILE.format(keyword=keyword, sources=sources))
    tag = f"localhost/dockfix-add-as-copy:{secrets.token_hex(6)}"
    done = _run(*BUILDAH, "build", "--isolation", "chroot", "--pull=never", "--layers=false",
                "--build-arg", f"DEST={dest}", "--build-arg", f"OWNER={owner}",
                "-f", str(dockerfile), "-t", tag, str(ctx), check=False)
    if done.returncode != 0:
        return None
    try:
        return _files(tag)
    finally:
        _run(*BUILDAH, "rmi", tag, check=False)


@pytest.mark.parametrize("sources, same", CASES, ids=[c[0] for c in CASES])
def test_add_lands_what_copy_lands_whatever_the_destination(sources: str, same: bool, buildah: None,
                                                            tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    for rel, data in FILES.items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).write_bytes(data)
        (ctx / rel).chmod(0o644)
    spec = CopySpec("ADD", tuple(sources.split()), "")  # the destination is not known to the model
    assert (add_unlike_copy(spec, _context(ctx)) is None) == same
    differs = []
    for dest, owner in BUILDS:
        add = _build(ctx, tmp_path, "ADD", sources, dest, owner)
        copy = _build(ctx, tmp_path, "COPY", sources, dest, owner)
        assert add is not None or copy is None, f"ADD failed where COPY built ({dest})"
        if same:
            assert add == copy, f"ADD and COPY landed different files at {dest}"
            assert add, "the step landed something"
        elif add != copy:
            differs.append(dest)
    assert same or differs, "the model says ADD extracts an archive: some build must differ"
