"""The script reader against the real /bin/sh: each script runs under `sh` with a stub
`docker` on PATH that logs its working directory and argv; wherever the reader says a
directory or a word is known, it must equal what the shell did."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dockfix.graph.scripts import resolve, shell_builds

SCRIPTS = [
    "docker build -t a .\n",
    "# docker build -t no .\ndocker build -t b . # docker build -t no .\n",
    "docker build \\\n  -t c \\\n  -f x/Dockerfile ctx\n",
    'cd "$(dirname "$0")/.."\ndocker build -t d .\n',
    'cd "$(dirname "$0")"\ncd ..\nTAG=v1\ndocker build -t "e:$TAG" "${CTX:-.}"\n',
    'SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)\ncd "$SCRIPT_DIR/.."\ndocker build -t f .\n',
    'cd "${0%/*}"\ndocker build -t g sub\n',
    "(cd sub && docker build -t h .)\ndocker build -t i .\n",
    "cd sub || exit 1\nN=j\ndocker build -t $N --build-arg X=1 .\n",
    "cat <<EOF >/dev/null\ndocker build -t no .\nEOF\ndocker build -t k .\n",
    "if true; then cd sub; fi\ndocker build -t l .\n",
    "D=sub\ncd $D; docker build -t 'm:1' -f \"../x/Dockerfile\" ..\n",
    'cd "$(git rev-parse --show-toplevel 2>/dev/null || echo .)"\ndocker build -t n .\n',
]


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bindir = tmp_path_factory.mktemp("bin")
    log = bindir / "log"
    (bindir / "docker").write_text(f'#!/bin/sh\n{{ pwd; for a in "$@"; do printf "%s\\037" "$a"; done; echo; }} >> {log}\n')
    (bindir / "docker").chmod(0o755)
    return bindir


@pytest.mark.parametrize("script", SCRIPTS)
def test_reader_agrees_with_sh(script: str, stub: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for d in ("tools", "sub", "x"):
        (repo / d).mkdir(parents=True)
    (repo / "tools" / "build.sh").write_text(script)
    log = stub / "log"
    log.write_text("")
    env = {"PATH": f"{stub}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(["sh", "tools/build.sh"], cwd=repo, env=env, check=False, capture_output=True, timeout=20)
    lines = log.read_text().splitlines()
    ran = [(os.path.relpath(lines[k], repo), lines[k + 1].split("\x1f")[:-1]) for k in range(0, len(lines), 2)]
    sites = shell_builds(script, "tools", None, "started from anywhere")
    assert len(sites) == len(ran)
    for site, (cwd, argv) in zip(sites, ran):
        cwd = "" if cwd == "." else cwd
        if site.cwd is not None:
            assert site.cwd == cwd
        b = site.build
        assert all(t in argv for t in b.tags)
        if b.context is not None and site.cwd is not None:
            ran_ctx = os.path.normpath(os.path.join(cwd, argv[-1]))
            assert resolve(b.context, site.cwd, "tools") == ("" if ran_ctx == "." else ran_ctx)
    if "dirname" in script or "0%/*" in script:  # the script's own folder is followed
        assert sites[-1].cwd is not None
