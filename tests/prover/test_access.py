"""prover/access.file_access: the written files a caller passes are the ones it would find."""

from __future__ import annotations

import os
from pathlib import Path

from dockfix.config import Config
from dockfix.prover import build_models
from dockfix.prover.access import Access, file_access
from dockfix.tree import Tree


def test_a_file_a_transform_wrote_reads_as_written_with_or_without_the_written_set(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY app.py secret.py /app/\nUSER 1000\n")
    for name in ("app.py", "secret.py"):
        (tmp_path / name).write_text("print(1)\n")
        os.chmod(tmp_path / name, 0o600)
    tree = Tree(tmp_path)
    tree.write("app.py", b"print(2)\n")  # a transform wrote it: 0644, as dockfix writes files
    (model,) = build_models(tree, Config()).values()
    state = model.state
    found = {p: file_access(state, tree, p, state.files[p]) for p in ("/app/app.py", "/app/secret.py")}
    given = {p: file_access(state, tree, p, state.files[p], tree.differing(tree)) for p in found}
    assert found == given == {"/app/app.py": Access.YES, "/app/secret.py": Access.NO}
