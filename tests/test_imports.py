"""What `dockfix` does at start: the readers of inputs a repository does not have stay
unimported, and typer gets the commands' annotations as objects.

Most of a small check is start-up (speed itself is measured by `make bench`, not here).
The golden academy repository has no configuration file, bake file, Makefile or justfile, uv
command, local archive, inline Python or R, shell-form ENTRYPOINT or CMD, and no Python
sources to rewrite: the modules reading those are imported only where they are needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GOLDEN_BEFORE = Path(__file__).resolve().parents[1] / "golden" / "academy" / "before"

NOT_IMPORTED = (
    "libcst",  # only where Python sources are read
    "yaml",  # compose and CI files: academy has none
    "tomllib",  # dockfix.config: no .dockfix.toml or pyproject.toml
    "tarfile",  # dockfix.model.copy: ADD of a local archive
    "dockfix.build",  # verify --build
    "dockfix.scan",
    "dockfix.graph.bake",
    "dockfix.graph.makefile",
    "dockfix.model.uv_options",
    "dockfix.model.inline_code",
    "dockfix.syntax.shellwords",  # dockfix.model.entry_point: shell-form ENTRYPOINT or CMD
    "dockfix.transforms._user_edits",  # the user transforms, not in the default preset
)

_RUN = """
import json, sys
sys.argv = ["dockfix", "check", sys.argv[1]]
from dockfix.cli import main
try:
    main()
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _check_modules(root: Path) -> tuple[int, set[str]]:
    out = subprocess.run([sys.executable, "-c", _RUN, str(root)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def test_check_imports_only_the_readers_its_input_needs() -> None:
    code, modules = _check_modules(GOLDEN_BEFORE)
    assert code == 1  # the whole check ran: academy has pending changes and a defect
    assert {"dockfix.prover", "dockfix.transforms.merge_pip_runs"} <= modules
    imported = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_IMPORTED))
    assert imported == []


def test_the_readers_are_imported_when_the_input_has_what_they_read(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.11-slim\nRUN uv pip install --system x==1\n"
                                          b'CMD python -c "print(1)"\n')
    (tmp_path / "Makefile").write_bytes(b"build:\n\tdocker build -t app .\n")
    (tmp_path / "docker-bake.hcl").write_bytes(b'target "app" {\n  tags = ["app"]\n}\n')
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.dockfix]\noption = 1\n")
    _, modules = _check_modules(tmp_path)
    assert {"tomllib", "dockfix.graph.bake", "dockfix.graph.makefile", "dockfix.model.uv_options",
            "dockfix.syntax.shellwords"} <= modules


def test_typer_reads_the_commands_annotations_as_objects() -> None:
    """typer reads every command's parameters on every start; an annotation given as a string
    (`from __future__ import annotations` in dockfix.cli) is compiled there, one by one."""
    import inspect

    from dockfix.cli import app

    strings = [(c.callback.__name__, name) for c in app.registered_commands
               for name, p in inspect.signature(c.callback).parameters.items() if isinstance(p.annotation, str)]
    assert len(app.registered_commands) >= 9 and strings == []
