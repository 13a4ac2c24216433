"""Run transforms and the prover over independent parts of a repository, in parallel.

The whole repository is walked, parsed and checked once, here. Its Dockerfiles are split
into independent parts (`graph.components`), the parts are packed into chunks, and each
chunk runs the full pipeline (transforms, prover, optionally the second pass) on a tree
scoped to it, in a forked worker that inherits the parsed repository instead of
receiving it pickled. The chunk results are disjoint and merge in a fixed order, so the
outcome is the same bytes, notes and verdict as one serial run; tests hold it to that.
A large run that is not split proves in a second forked process beside the transforms
(`_Prover`): the BEFORE models are made while the transforms run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockfix import engine, faults
from dockfix import transforms as registry
from dockfix.config import Config
from dockfix.graph.components import components
from dockfix.graph.model import Graph, Scope
from dockfix.transforms.base import Note
from dockfix.tree import Tree

# Below this many Dockerfiles a single serial run is faster than splitting.
MIN_DOCKERFILES = 64
# Chunks per worker: enough to balance the load and move a progress bar, few enough that
# each chunk's fixed cost (a scoped graph per transform) stays small.
CHUNKS_PER_JOB = 4

Progress = Callable[[int, int], None]  # (Dockerfiles done, Dockerfiles in all)


@dataclass
class ChunkResult:
    changed: dict[str, bytes]
    steps: list[tuple[str, dict[str, tuple[bytes, bytes]]]]
    notes: list[Note]
    findings: list  # prover Findings of the chunk's images (no invariant globs)
    images: int
    defects: list
    leftover: dict[str, bytes] = field(default_factory=dict)
    dockerfiles: int = 0
    diffs: dict[str, bytes] = field(default_factory=dict)  # made here, in parallel


@dataclass
class Result:
    outcome: engine.Outcome
    verdict: object  # prover Verdict
    defects: list
    leftover: dict[str, bytes] | None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run(tree: Tree, graph: Graph, names: list[str], config: Config, *, jobs: int | None = None,
        second_pass: bool = False, progress: Progress | None = None) -> Result | None:
    """The scheduled run of a checked tree (its `graph` parsed every Dockerfile; forked
    workers inherit that), or None when one serial run is better: few Dockerfiles, or
    one part."""
    if len(graph.dockerfiles) < MIN_DOCKERFILES:
        return None
    parts = components(graph)
    if len(parts) < 2:
        return None
    jobs = default_jobs() if jobs is None else max(1, jobs)
    root = tree.root
    chunks = _pack(parts, min(len(parts), jobs * CHUNKS_PER_JOB))
    names = registry.canonical(names)
    # Import what every worker needs before forking: each would otherwise import the
    # transforms and the prover on its own.
    for name in names:
        registry.load(name)
    import dockfix.prover  # noqa: F401

    work = _Work(tree, config, names, graph.index, second_pass)  # check_input's: the whole repository
    total = sum(len(c) for c in chunks)
    results: list[ChunkResult | None] = [None] * len(chunks)
    done = 0
    if progress:
        progress(0, total)
    for i, result in _map(work, chunks, jobs):
        results[i] = result
        done += result.dockerfiles
        if progress:
            progress(done, total)
    return _merge(root, tree, names, config, [r for r in results if r is not None], second_pass)


def _pack(parts: list[list[str]], n: int) -> list[list[str]]:
    """Greedy: the largest part to the lightest chunk (parts come largest first)."""
    chunks: list[list[str]] = [[] for _ in range(n)]
    for part in parts:
        min(chunks, key=len).extend(part)
    return [sorted(c) for c in chunks if c]


@dataclass
class _Work:
    tree: Tree
    config: Config
    names: list[str]
    index: object
    second_pass: bool

    def chunk(self, dockerfiles: list[str]) -> ChunkResult:
        tree = self.tree.copy()
        tree.scope = Scope(frozenset(dockerfiles), self.index)
        outcome, verdict, defects, leftover = run_part(tree, self.names, self.config, self.second_pass)
        changed = outcome.changed
        return ChunkResult(
            changed={p: new for p, (_, new) in changed.items()},
            diffs={p: outcome.diff_of(p, old, new) for p, (old, new) in changed.items()},
            steps=[(s.transform, s.files) for s in outcome.steps],
            notes=outcome.notes, findings=verdict.findings, images=verdict.images,
            defects=defects, leftover=leftover or {}, dockerfiles=len(dockerfiles))


def run_part(tree: Tree, names: list[str], config: Config, second_pass: bool, *, overlap: bool = False):
    """The work on one checked tree (a part, or a whole repository run serially): the
    transforms, the prover per image (the caller adds the repository-wide invariant globs,
    `prover.glob_findings`), the BEFORE tree's defects, and with `second_pass` what a second
    run would still change (else None). With `overlap`, a second process models the BEFORE
    images while the transforms run, then proves (`_Prover`); the answers are the same."""
    from dockfix.prover import prove_scope

    prover = _Prover.start(tree, config) if overlap else None
    try:
        if prover is not None:
            faults.point("proving")
        outcome = engine.run(tree.root, names, config, tree=tree, checked=True)
        if prover is not None:
            prover.send(outcome.after.changed())
        leftover = engine.second_pass(outcome, config) if second_pass else None
        proved = prover.result() if prover is not None else None
    finally:
        if prover is not None:
            prover.stop()
    verdict, defects = proved or prove_scope(outcome.before, outcome.after, config)
    return outcome, verdict, defects, leftover


# A serial run of at least this many instructions proves in a second process, beside the
# transforms (below it, the fork costs more than it saves).
OVERLAP_INSTRUCTIONS = 2_000


def overlap_pays(graph: Graph, jobs: int | None) -> bool:
    """Whether a serial run should prove beside the transforms: a second core, a fork that is
    safe (no other thread), and enough instructions for the BEFORE models to take longer
    than starting a process."""
    import threading

    if (default_jobs() if jobs is None else jobs) < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    size = sum(len(n.document.instructions) for n in graph.dockerfiles.values() if n.document is not None)
    return size >= OVERLAP_INSTRUCTIONS


class _Prover:
    """The prover in a forked process (as `graph.model._index_meanwhile` makes the index):
    it models the BEFORE images as soon as it starts (the tree is checked and not yet
    written), then takes the files the transforms changed, models the AFTER images, compares,
    and sends back the verdict and the BEFORE defects. It writes no file and prints nothing.
    Whatever goes wrong there (an error, a kill, a broken message), `result` is None and the
    caller proves in-process, so the answer is always `prove_scope`'s."""

    def __init__(self, pid: int, to_child: int, from_child: int) -> None:
        self.pid, self.reaped = pid, False
        self.to_child: int | None = to_child  # None once closed (a closed number may be reused)
        self.from_child: int | None = from_child

    @classmethod
    def start(cls, tree: Tree, config: Config) -> "_Prover":
        import sys

        sys.stdout.flush()  # the child must not write what the parent has buffered
        sys.stderr.flush()
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: prove, send, leave without running exit handlers
            code = 1
            try:
                os.close(down_write)
                os.close(up_read)
                _prove_beside(down_read, up_write, tree, config)
                code = 0
            finally:
                os._exit(code)
        os.close(down_read)
        os.close(up_write)
        return cls(pid, down_write, up_read)

    def send(self, changed: dict[str, bytes]) -> None:
        """The files the transforms changed, with the parses the engine made of them."""
        import pickle

        from dockfix.graph.model import parses_of

        fd, self.to_child = self.to_child, None
        try:
            with os.fdopen(fd, "wb") as out:
                pickle.dump((changed, parses_of(changed)), out, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:  # the child is gone: `result` says so
            pass

    def result(self):
        """(verdict, defects), or None when the child did not give them."""
        import pickle

        fd, self.from_child = self.from_child, None
        with os.fdopen(fd, "rb") as inp:
            data = inp.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - a broken message: prove here
            return None

    def stop(self) -> None:
        """Reap the child, killing it first when it is still wanted by no one."""
        if not self.reaped:
            import signal

            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.reaped = True
        for fd in (self.to_child, self.from_child):
            if fd is not None:
                os.close(fd)
        self.to_child = self.from_child = None


def _prove_beside(inp: int, out: int, tree: Tree, config: Config) -> None:
    """The child's work (see `_Prover`). The changed files are read by a thread as soon as
    they come, so the parent never waits on a full pipe while the BEFORE models are made."""
    import gc
    import pickle
    import signal
    import threading

    # The parent's handlers (apply's rollback on SIGINT/SIGTERM) are not this process's: the
    # parent stops it. Its output goes nowhere: the parent reports.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # A process that lives for one proof and leaves without freeing: the cyclic collector
    # would only walk the models (about a tenth of the proof, measured on the large file).
    gc.disable()
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(os.fdopen(inp, "rb").read()))
    reader.start()
    from dockfix.graph.model import add_parses
    from dockfix.prover import build_models, defects_of
    from dockfix.prover.compare import compare

    before = tree.copy()
    models = build_models(before, config)
    defects = defects_of(models, before)
    reader.join()
    changed, parses = pickle.loads(received[0])
    add_parses(parses)
    after = tree.copy()
    for path, data in changed.items():
        after.write(path, data)
    answer = (compare(models, build_models(after, config), before, after, ()), defects)
    with os.fdopen(out, "wb") as sent:
        pickle.dump(answer, sent, protocol=pickle.HIGHEST_PROTOCOL)


_WORK: _Work | None = None  # set in the parent before the fork; workers inherit it


def _run_chunk(arg: tuple[int, list[str]]) -> tuple[int, ChunkResult]:
    i, dockerfiles = arg
    assert _WORK is not None
    return i, _WORK.chunk(dockerfiles)


def _map(work: _Work, chunks: list[list[str]], jobs: int):
    import multiprocessing  # only split runs pay for it

    global _WORK
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for i, c in enumerate(chunks):
            yield i, work.chunk(c)
        return
    _WORK = work
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(jobs, len(chunks)), initializer=_untrapped) as pool:
            yield from pool.imap_unordered(_run_chunk, list(enumerate(chunks)))
    finally:
        _WORK = None


def _untrapped() -> None:
    """A worker's signals as an untrapped process has them. Pool.terminate ends the workers
    with SIGTERM; apply's handler (dockfix.interrupts), inherited through the fork, runs only
    between bytecodes, and a worker that entered its queue's lock just after the signal came
    waits there for ever, its parent in join (seen: `apply` hung on a large repository). With
    the default action the kernel ends it wherever it is. SIGINT is the parent's to act on."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _after(tree: Tree, results: list[ChunkResult]) -> Tree:
    after = tree.copy()
    for r in results:
        for path, data in r.changed.items():
            after.write(path, data)
    return after


def _steps(names: list[str], results: list[ChunkResult]) -> list[engine.Step]:
    """Each transform's step over the whole repository: its files from every chunk."""
    steps = []
    for k, name in enumerate(names):
        files: dict[str, tuple[bytes, bytes]] = {}
        for r in results:
            files.update(r.steps[k][1])
        steps.append(engine.Step(name, dict(sorted(files.items()))))
    return steps


def _merge(root: Path, tree: Tree, names: list[str], config: Config, results: list[ChunkResult],
           second_pass: bool) -> Result:
    from dockfix.prover import Verdict, glob_findings

    before = tree.copy()
    after = _after(tree, results)
    outcome = engine.Outcome(root, names, before, after)
    for r in results:
        outcome.diffs.update(r.diffs)
    outcome.steps.extend(_steps(names, results))
    outcome.notes = sorted((n for r in results for n in r.notes), key=engine.note_order(names))
    findings = sorted((f for r in results for f in r.findings), key=lambda f: f.image)
    verdict = Verdict(findings + glob_findings(before, after, config), sum(r.images for r in results))
    defects = sorted((d for r in results for d in r.defects),
                     key=lambda f: (f.path or "", f.line or 0, f.invariant))
    leftover = {p: d for r in results for p, d in r.leftover.items()} if second_pass else None
    return Result(outcome, verdict, defects, leftover)
