"""The README's size table is made from `verify --build --format json` output, not typed:
the table's cells come from `BuildVerdict.to_json()` of runs that share BEFORE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dockfix.build import Layer
from dockfix.build.results import WarmBuild
from dockfix.build.table import BEGIN, END, replace_between_markers, size_table

sys.path.insert(0, str(Path(__file__).parent))
from test_verify_units import BASE_LAYERS, failed, info, ok, skipped, verdict  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def run(cpu_layer: int, warm: float) -> dict:
    """What `dockfix verify before X --build --format json` prints, for a small image set."""
    base = info(layers=BASE_LAYERS)
    cpu = info(layers=BASE_LAYERS + (Layer("sha256:" + "4" * 64, cpu_layer),))
    v = verdict([ok("academy-base:latest", info=base), failed(), skipped()],
                [ok("academy-base:latest", info=base),
                 ok("academy-ai-worker-cpu:latest", "docker/ai-worker-cpu/Dockerfile", info=cpu), skipped()])
    v.trees[0].warm, v.trees[1].warm = WarmBuild("src/a.py", 61.0), WarmBuild("src/a.py", warm)
    return json.loads(json.dumps({"static": {"holds": True}, "build": v.to_json(), "holds": v.holds}))


def test_the_table_has_a_column_per_run_and_the_totals_of_each():
    table = size_table([("option 2", run(300_000_000, 12.0)), ("option 3", run(300_023_000, 14.0))])
    lines = table.splitlines()
    assert lines[0] == "| image | before | option 2 | option 3 |"
    assert lines[2] == "| academy-base:latest | 236.0 MB, 2 layers | 236.0 MB, 2 layers | 236.0 MB, 2 layers |"
    assert lines[3] == ("| academy-ai-worker-cpu:latest | fails at `COPY scripts ./scripts` (line 34) "
                        "| 536.0 MB, 3 layers | 536.0 MB, 3 layers |")
    assert lines[4].startswith("| academy-ai-worker-gpu:latest | skipped (base nvidia/cuda")
    assert lines[5] == ("| distinct layer bytes, all images | 236.0 MB (1 image) | 536.0 MB (2 images) "
                        "| 536.0 MB (2 images) |")
    # BEFORE's cold time counts the failing build too: the engine spent it.
    assert lines[7] == "| build time of the set, cold (empty layer cache) | 2 s | 2 s | 2 s |"
    assert lines[8] == "| … warm, after an edit of src/a.py | 61 s | 12 s | 14 s |"
    assert lines[9] == ("| verdicts | - | static holds, real builds holds; 0 unexplained file differences "
                        "| static holds, real builds holds; 0 unexplained file differences |")
    assert lines[-1] == "BEFORE is built in every run: cold 2 s, warm 61 s (run with option 2); " \
                        "cold 2 s, warm 61 s (run with option 3)."


def test_the_script_replaces_the_table_between_the_markers(tmp_path):
    (tmp_path / "r2.json").write_text(json.dumps(run(300_000_000, 12.0)))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\n| old |\n{END}\nafter\n")
    done = subprocess.run([sys.executable, str(REPO / "tools" / "size_table.py"), "--readme", str(readme),
                           f"option 2={tmp_path / 'r2.json'}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = readme.read_text()
    assert text.startswith(f"intro\n{BEGIN}\n| image | before | option 2 |\n") and text.endswith(f"{END}\nafter\n")
    assert "| old |" not in text
    with pytest.raises(ValueError):
        replace_between_markers("no markers", "x")
