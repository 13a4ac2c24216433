"""The scheduler splits a run into independent parts; the result must be the run's own:
the same diff, notes, verdict, defects and second-pass result as one serial run, for any
number of jobs (src/dockfix/scheduler.py)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix import pipeline, scheduler
from dockfix.config import Config, load_config
from dockfix.transforms import PRESETS
from tests.test_transform_properties import _materialise, repos

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


def _everything(plan: pipeline.Plan) -> str:
    body = plan.to_json()
    body["notes_text"] = [str(n) for n in plan.outcome.notes]
    body["report"] = plan.verdict.report()
    body["defects"] = [d.to_json() for d in plan.defects]
    body["leftover"] = sorted(plan.leftover or {})
    body["steps"] = [(s.transform, sorted(s.files)) for s in plan.outcome.steps]
    return json.dumps(body, indent=1, ensure_ascii=False) + plan.diff().decode("utf-8", "surrogateescape")


def _serial(root: Path, config: Config, names: list[str], monkeypatch: pytest.MonkeyPatch,
            overlap: bool = False) -> pipeline.Plan:
    """One process, or with `overlap` the prover in a second one beside the transforms."""
    with monkeypatch.context() as m:
        m.setattr(scheduler, "MIN_DOCKERFILES", 10**9)
        m.setattr(scheduler, "OVERLAP_INSTRUCTIONS", 0 if overlap else 10**9)
        return pipeline.make_plan(root, config, names, 3, jobs=2, second_pass=True)


def _scheduled(root: Path, config: Config, names: list[str], jobs: int, monkeypatch: pytest.MonkeyPatch,
               progress=None) -> pipeline.Plan:
    with monkeypatch.context() as m:
        m.setattr(scheduler, "MIN_DOCKERFILES", 0)
        calls = []
        m.setattr(scheduler, "_merge", _recording(scheduler._merge, calls))
        plan = pipeline.make_plan(root, config, names, 3, jobs=jobs, second_pass=True, progress=progress)
        assert calls, "the run was not split"
        return plan


def _recording(merge, calls):
    def wrapped(*args, **kwargs):
        calls.append(1)
        return merge(*args, **kwargs)
    return wrapped


@pytest.mark.parametrize("jobs", [1, 2])
def test_generated_monorepo_same_result_as_serial(tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, 120)
    config, names = load_config(tmp_path), list(PRESETS[3])
    serial = _serial(tmp_path, config, names, monkeypatch)
    assert serial.changed and serial.outcome.notes and serial.defects  # the repo exercises all of it
    seen: list[tuple[int, int]] = []
    split = _scheduled(tmp_path, config, names, jobs, monkeypatch, progress=lambda d, t: seen.append((d, t)))
    assert _everything(split) == _everything(serial)
    total = seen[-1][1]
    assert seen[0] == (0, total) and seen[-1] == (total, total) and total == 120
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("tree", ["before", "option-2"])
def test_golden_repo_beside_others_same_result_as_serial(tree: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The golden repository is one part (its images share a context and a base); next to a
    generated monorepo it is run in a worker like any other part."""
    shutil.copytree(REPO / "golden" / "academy" / tree, tmp_path / "academy")
    generate(tmp_path / "mono", 40)
    config, names = load_config(tmp_path), list(PRESETS[3])
    assert _everything(_scheduled(tmp_path, config, names, 2, monkeypatch)) == \
        _everything(_serial(tmp_path, config, names, monkeypatch))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(projects=st.lists(repos(), min_size=2, max_size=4),
       preset=st.sampled_from([1, 2, 3]))
def test_random_repositories_same_result_as_serial(projects, preset: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for k, files in enumerate(projects):  # image names of their own: independent parts
            _materialise({path: data.replace(b"acme-", f"acme{k}-".encode()) for path, data in files.items()},
                         root / f"p{k}")
        config, names = load_config(root), list(PRESETS[preset])
        assert _everything(_scheduled(root, config, names, 2, monkeypatch)) == \
            _everything(_serial(root, config, names, monkeypatch))


def test_a_dockerfile_buildkit_rejects_is_skipped_the_same_split_or_not(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, 80)
    bad = tmp_path / "zz" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_bytes(b"FROM python:3.11-slim\nRUN <<EOF\necho never closed\n")
    from dockfix.graph.model import skipped_unparsable

    config, names = load_config(tmp_path), list(PRESETS[3])
    scheduled = _scheduled(tmp_path, config, names, 2, monkeypatch)
    assert skipped_unparsable(str(tmp_path)) == [f"{bad}:2: warning: unterminated heredoc; BuildKit rejects this file, skipped"]
    assert "zz/Dockerfile" not in scheduled.changed
    assert _everything(scheduled) == _everything(_serial(tmp_path, config, names, monkeypatch))


def test_bad_input_is_reported_before_any_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, 80)
    bad = tmp_path / "zz" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_bytes(b"FROM python:3.11-slim\nRUN <<EOF\necho never closed\n")
    (tmp_path / ".dockfix.toml").write_text('[images]\n"acme/zz" = "zz/Dockerfile"\n')  # named: bad input
    monkeypatch.setattr(scheduler, "MIN_DOCKERFILES", 0)
    from dockfix.errors import DockerfileSyntaxError

    with pytest.raises(DockerfileSyntaxError) as err:
        pipeline.make_plan(tmp_path, load_config(tmp_path), list(PRESETS[3]), 3, jobs=2)
    assert err.value.path == str(bad)


@pytest.mark.parametrize("tree", ["before", "option-1", "option-2"])
def test_proving_beside_the_transforms_gives_the_serial_result(tree: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A serial run proves in a second process while the transforms run (`_Prover`): the same
    diff, notes, verdict, defects and second pass as proving in-process. The golden repository
    (defects, rebase, non-root) beside a generated monorepo (broken and unproven images too)."""
    shutil.copytree(REPO / "golden" / "academy" / tree, tmp_path / "academy")
    generate(tmp_path / "mono", 30)
    config, names = load_config(tmp_path), list(PRESETS[3])
    marker = tmp_path / "proved-by"
    prove_beside = scheduler._prove_beside

    def marking(inp, out, tree, config):
        marker.write_text(str(os.getpid()))
        prove_beside(inp, out, tree, config)

    monkeypatch.setattr(scheduler, "_prove_beside", marking)
    beside = _serial(tmp_path, config, names, monkeypatch, overlap=True)
    assert int(marker.read_text()) != os.getpid()  # proved in the second process
    alone = _serial(tmp_path, config, names, monkeypatch)
    assert beside.verdict.images and beside.changed
    assert _everything(beside) == _everything(alone)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(files=repos(), preset=st.sampled_from([1, 2, 3]))
def test_random_repository_proved_beside_gives_the_serial_result(files, preset: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _materialise(files, root)
        config, names = load_config(root), list(PRESETS[preset])
        assert _everything(_serial(root, config, names, monkeypatch, overlap=True)) == \
            _everything(_serial(root, config, names, monkeypatch))


@pytest.mark.parametrize("fault", ["exits", "raises", "garbles"])
def test_a_prover_process_that_fails_is_replaced_by_proving_here(fault: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The second process dies, its prover raises, or its answer is no pickle: the run proves
    in-process, with the same result (an error of the prover itself is then raised here, as
    it would be without the second process)."""
    def fails(inp, out, tree, config):
        if fault == "exits":
            os._exit(3)
        if fault == "raises":
            raise RuntimeError("injected")
        os.write(out, b"not a pickle")

    shutil.copytree(REPO / "golden" / "academy" / "before", tmp_path / "academy")
    config, names = load_config(tmp_path), list(PRESETS[3])
    alone = _serial(tmp_path, config, names, monkeypatch)
    monkeypatch.setattr(scheduler, "_prove_beside", fails)
    assert _everything(_serial(tmp_path, config, names, monkeypatch, overlap=True)) == _everything(alone)


def test_proving_beside_needs_a_second_core_and_a_large_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockfix.engine import check_input
    from dockfix.tree import Tree

    root = REPO / "golden" / "academy" / "before"
    graph = check_input(Tree(root), load_config(root))
    size = sum(len(n.document.instructions) for n in graph.dockerfiles.values())
    monkeypatch.setattr(scheduler, "OVERLAP_INSTRUCTIONS", size)
    assert scheduler.overlap_pays(graph, 2)
    assert not scheduler.overlap_pays(graph, 1)
    monkeypatch.setattr(scheduler, "OVERLAP_INSTRUCTIONS", size + 1)
    assert not scheduler.overlap_pays(graph, 2)


class _SignalProbe:
    """A chunk's work that reports the worker's SIGTERM and SIGINT handlers."""

    def chunk(self, dockerfiles: list[str]):
        import signal

        return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def test_pool_workers_end_at_sigterm_whatever_the_parent_traps() -> None:
    """apply traps SIGTERM (dockfix.interrupts); a forked worker must not keep that handler,
    which runs only between bytecodes: Pool.terminate's SIGTERM could then leave a worker
    waiting in its queue's lock, and its parent in join, for ever."""
    import signal

    from dockfix import interrupts

    with interrupts.trapped():
        assert signal.getsignal(signal.SIGTERM) is interrupts._handler
        seen = dict(scheduler._map(_SignalProbe(), [["a"], ["b"], ["c"]], 2))
    assert seen == {i: (signal.SIG_DFL, signal.SIG_IGN) for i in range(3)}
