"""`dockfix` runs with the cyclic garbage collector off (`cli.main`): its own objects must then
make no reference cycle, or a large repository keeps every model it built. A plan over 10 and
over 60 generated Dockerfiles leaves the same handful of dockfix objects to the collector."""

from __future__ import annotations

import collections
import gc
import sys
from pathlib import Path

from dockfix import pipeline
from dockfix.config import load_config
from dockfix.transforms import PRESETS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


def _cyclic_garbage(root: Path) -> collections.Counter:
    """The dockfix objects a plan of `root` leaves to the cyclic collector, by type."""
    generate(root, {"small": 10, "large": 60}[root.name])
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        plan = pipeline.make_plan(root, load_config(root), list(PRESETS[3]), 3, jobs=1)
        assert plan.changed
        del plan
        gc.collect()
        found = collections.Counter(type(o).__qualname__ for o in gc.garbage
                                    if type(o).__module__.startswith("dockfix."))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return found


def test_a_plan_leaves_no_cycle_that_grows_with_the_repository(tmp_path: Path) -> None:
    small = _cyclic_garbage(tmp_path / "small")
    large = _cyclic_garbage(tmp_path / "large")
    assert large == small, f"cyclic dockfix objects grow with the files: {large - small}"
    assert sum(large.values()) < 20
