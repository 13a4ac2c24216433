"""src/dockfix/model/gitignore.py against real git: `git check-ignore` on the same tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockfix.model.gitignore import GitIgnores

# (.gitignore files, paths asked): every path is asked of git and of the reader.
TREES = [
    ({".gitignore": "dist/\n*.log\n!keep.log\n"},
     ["dist", "dist/a.js", "src/dist/b.js", "x.log", "keep.log", "sub/keep.log", "sub/y.log", "distx"]),
    ({".gitignore": "/build\nsrc/_version.py\n"},
     ["build", "build/x", "app/build", "src/_version.py", "pkg/src/_version.py"]),
    ({".gitignore": "**/gen/\ndocs/**\na/**/b\n"},
     ["gen/x", "p/q/gen/y", "docs", "docs/x/y", "a/b", "a/x/y/b", "ab"]),
    ({"pkg/.gitignore": "/_version.py\n*.egg-info\n", ".gitignore": "*.py\n!pkg/\n"},
     ["pkg/_version.py", "pkg/sub/_version.py", "pkg/x.egg-info/PKG-INFO", "main.py", "x.egg-info"]),
    ({".gitignore": "out\n!out/keep\n", "sub/.gitignore": "!*.cfg\n"},
     ["out/keep", "out/other", "sub/out/a.cfg"]),
    ({".gitignore": "# comment\n\\#hash\n\\!bang\ntrail \\ \n[abc].txt\n[!a]x\n?z\n"},
     ["#hash", "!bang", "trail  ", "a.txt", "d.txt", "bx", "ax", "zz", "z"]),
    ({".gitignore": "*\n!*/\n!*.py\n"}, ["a.py", "d/b.py", "d/c.txt", "e"]),
    ({".gitignore": "logs/*\n!logs/.keep\n"}, ["logs/.keep", "logs/x", "logs"]),
]


def _git(root: Path, paths: list[str]) -> set[str]:
    """What git ignores, each path made on disk first (a file, or a directory when another path
    is below it): git decides by the type it sees, the reader by either type."""
    for p in paths:
        if not any(q.startswith(p + "/") for q in paths):
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).touch()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    done = subprocess.run(["git", "-C", str(root), "check-ignore", "--no-index", "--stdin"],
                          input="\n".join(paths) + "\n", capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    return set(done.stdout.splitlines())


@pytest.mark.parametrize("files, paths", TREES)
def test_reader_agrees_with_git(tmp_path: Path, files: dict[str, str], paths: list[str]) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    ignored = _git(tmp_path, paths)
    reader = GitIgnores.read(sorted(files), lambda rel: (tmp_path / rel).read_bytes())
    assert {p for p in paths if reader.deciding(p) is not None} == ignored
