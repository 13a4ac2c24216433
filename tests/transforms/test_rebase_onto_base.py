"""rebase-onto-base beyond the case harness: the academy result byte for byte, the pieces it
is built from (expansion, pip parsing, requirement includes), and a property: whatever a
mutated worker looks like, the transform either leaves it alone or the prover holds."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix.config import load_config
from dockfix.engine import run, second_pass
from dockfix.syntax import parse
from dockfix.transforms.rebase_onto_base import _classify_run, _expand, _parse_pip, _split_chain, _walk, _walk_chain

ROOT = Path(__file__).resolve().parents[2]
ACADEMY = ROOT / "golden" / "academy" / "before"
CASES = ROOT / "transforms" / "rebase-onto-base" / "cases"
NAME = "rebase-onto-base"

CPU_AFTER = """\
# ==============================================================================
# AI Worker CPU - 경량 최적화
# ==============================================================================
ARG BASE_IMAGE=academy-base:latest
FROM ${BASE_IMAGE}

ENV WORKER_TYPE=CPU

# 시스템 의존성 (OCR, 비디오 - 최소화)
RUN apt-get update && apt-get install -y --no-install-recommends \\
    tesseract-ocr \\
    tesseract-ocr-kor \\
    ffmpeg \\
    libgl1 \\
    libglib2.0-0 \\
    && rm -rf /var/lib/apt/lists/*

# 레이어 캐싱 유지: 의존성 순서 고정 (common → worker-ai-common → worker-ai-cpu → worker-ai-excel)
COPY requirements/common.txt requirements/worker-ai-common.txt requirements/worker-ai-cpu.txt ./requirements/
RUN pip install --user --no-cache-dir -r requirements/worker-ai-cpu.txt

COPY requirements/worker-ai-excel.txt ./requirements/
RUN pip install --user --no-cache-dir -r requirements/worker-ai-excel.txt

COPY scripts ./scripts

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \\
    CMD python -c "import apps.worker.ai_worker.sqs_main_cpu" || exit 1

CMD ["python", "-m", "apps.worker.ai_worker.sqs_main_cpu"]
"""


def test_academy_rebases_only_the_cpu_worker() -> None:
    outcome = run(ACADEMY, [NAME], load_config(ACADEMY))
    assert sorted(outcome.after.changed()) == ["docker/ai-worker-cpu/Dockerfile"]
    assert outcome.after.read("docker/ai-worker-cpu/Dockerfile").decode() == CPU_AFTER
    assert [str(n) for n in outcome.notes] == [
        "docker/Dockerfile:36: skip: duplicates the base image academy-base:latest (docker/Dockerfile.base) "
        "and has nothing of its own: rebasing it would leave an empty image; not rebased [rebase-onto-base]",
        "docker/ai-worker-cpu/Dockerfile:4: info: rebased onto academy-base:latest (docker/Dockerfile.base); "
        "removed 9 instruction(s) the base provides [rebase-onto-base]",
    ]


def test_academy_requirement_copy_stays_as_written() -> None:
    """worker-ai-cpu.txt says `-r common.txt`: the COPY that brings common.txt is the
    original line, byte for byte (seed 000 §3.3 E drops it; pip then fails)."""
    line = (b"COPY requirements/common.txt requirements/worker-ai-common.txt "
            b"requirements/worker-ai-cpu.txt ./requirements/\n")
    before = (ACADEMY / "docker/ai-worker-cpu/Dockerfile").read_bytes()
    assert line in before
    outcome = run(ACADEMY, [NAME], load_config(ACADEMY))
    assert line in outcome.after.read("docker/ai-worker-cpu/Dockerfile")


def test_expansion_keeps_unknown_variables_symbolic() -> None:
    env = {"A": "/app"}
    assert _expand("/root/.local/bin:$PATH", env) == "/root/.local/bin:\0PATH\0"
    assert _expand("${A}/src", env) == "/app/src"
    assert _expand('"x y"', env) == "x y"
    assert _expand("'$A'", env) == "$A"
    assert _expand(r"\$A", env) == "$A"
    assert _expand("${A:-/x}", env) == "/app"
    assert _expand("${B:-/x}", env) is None  # whether the image sets B decides
    assert _expand("${A#/}", env) == "app"  # BuildKit's ${VAR#pattern}, through model/words
    assert _expand("${B#/}", env) is None


def test_env_of_one_instruction_expands_against_the_previous_environment() -> None:
    doc = parse(b"FROM x\nENV A=1\nENV A=2 B=$A\nRUN true\n")
    stage = _walk(doc, "Dockerfile", 0)
    assert stage.env == {"A": "2", "B": "1"}


def test_pip_arguments() -> None:
    p = _parse_pip(["--user", "--no-cache-dir", "-r", "req/a.txt", "--requirement=req/b.txt", "-c", "c.txt",
                    "-i", "https://example.com/simple", "six==1.16.0"], "/app", False)
    assert p is not None
    assert (p.reqs, p.constraints, p.user, p.local, p.packages) == (["req/a.txt", "req/b.txt"], ["c.txt"], True,
                                                                    False, ["six==1.16.0"])
    assert _parse_pip(["."], "/app", False).local
    assert _parse_pip(["--target", "/opt", "x"], "/app", False) is None
    assert _parse_pip(["-e", "."], "/app", False) is None


def test_shell_chain_splitter() -> None:
    assert _split_chain("apt-get update && apt-get install -y 'a b' \"c\" && rm -rf /var/lib/apt/lists/*") == [
        [("apt-get", False), ("update", False)],
        [("apt-get", False), ("install", False), ("-y", False), ("a b", False), ("c", False)],
        [("rm", False), ("-rf", False), ("/var/lib/apt/lists/*", True)]]
    assert _split_chain("PIP_USER=1 pip install -r \"$REQS\"") == [
        [("PIP_USER=1", False), ("pip", False), ("install", False), ("-r", False), ("$REQS", True)]]
    for other in ("a; b", "a || b", "a | b", "a > f", "a && $(b)", "a `b`", "if true; then a; fi", "a &&",
                  "a 'b", "a # c", "(a)", "a & b"):
        assert _split_chain(other) is None, other


def test_run_kinds() -> None:
    def kind(text: str) -> str | None:
        return _classify_run(parse(f"FROM x\n{text}\n".encode()).instructions[1], "/app", {})[0]

    assert kind("RUN apt-get update && apt-get install -y ffmpeg && rm -rf /var/lib/apt/lists/*") == "packages"
    assert kind("RUN pip install --user -r requirements/cpu.txt") == "pip"
    assert kind("RUN python3.11 -m pip install -r r.txt && apt-get clean") == "pip"
    assert kind("RUN mkdir -p /app/src") is None
    assert kind("RUN apt-get install -y $PKGS") is None
    assert kind('RUN ["apt-get", "install", "-y", "x"]') is None
    assert kind("RUN rm -rf /") is None


# -- property: a mutated worker is either left alone or rebased with the prover holding
_LINES = {
    "env-unbuffered": "ENV PYTHONUNBUFFERED=1\n",
    "env-dontwrite": "ENV PYTHONDONTWRITEBYTECODE=1\n",
    "env-pythonpath": "ENV PYTHONPATH=/app\n",
    "env-pythonpath-other": "ENV PYTHONPATH=/app:/app/src\n",
    "env-path": "ENV PATH=/root/.local/bin:$PATH\n",
    "env-worker": "ENV WORKER_TYPE=CPU\n",
    "apt": "RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr "
           "&& rm -rf /var/lib/apt/lists/*\n",
    "workdir": "WORKDIR /app\n",
    "workdir-srv": "WORKDIR /srv\n",
    "reqs": "COPY requirements/common.txt requirements/ai-common.txt requirements/cpu.txt ./requirements/\n",
    "pip": "RUN pip install --user --no-cache-dir -r requirements/cpu.txt\n",
    "pip-system": "RUN pip install --no-cache-dir -r requirements/cpu.txt\n",
    "src": "COPY src ./src\n",
    "apps": "COPY apps ./apps\n",
    "libs": "COPY libs ./libs\n",
    "scripts": "COPY scripts ./scripts\n",
    "manage": "COPY manage.py ./\n",
    "manage-abs": "COPY manage.py /app/manage.py\n",
    "mkdir": "RUN mkdir -p /app/src/cache\n",
    "cmd": 'CMD ["python", "-m", "src.worker"]\n',
    "cmd-base": 'CMD ["python", "--version"]\n',
    "entrypoint": 'ENTRYPOINT ["python"]\n',
    "user": "USER 1000\n",
}


_CORE = ["env-unbuffered", "env-dontwrite", "env-pythonpath", "env-path", "workdir", "reqs", "pip",
         "src", "apps", "libs", "manage", "cmd"]


@st.composite
def workers(draw) -> list[str]:
    """A plausible worker: the core lines in their natural order with a few swapped, some
    dropped, and extra lines inserted anywhere."""
    core = list(_CORE)
    for a, b in draw(st.lists(st.tuples(st.integers(0, len(core) - 1), st.integers(0, len(core) - 1)), max_size=2)):
        core[a], core[b] = core[b], core[a]
    core = [k for k in core if draw(st.integers(0, 12)) > 0]
    for extra in draw(st.lists(st.sampled_from(sorted(_LINES)), max_size=3)):
        core.insert(draw(st.integers(0, len(core))), extra)
    return core


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workers(), st.sampled_from(["python:3.11-slim", "python:3.11-slim", "python:3.12-slim"]))
def test_mutated_worker_is_left_alone_or_rebased_soundly(picks: list[str], image: str) -> None:
    from dockfix.prover import prove

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(CASES / "academy-layout" / "before", root)
        (root / "docker" / "Dockerfile").unlink()
        text = f"# worker\nFROM {image}\n" + "".join(_LINES[p] for p in picks)
        (root / "docker" / "cpu" / "Dockerfile").write_text(text)
        config = load_config(root)
        outcome = run(root, [NAME], config)
        if not outcome.after.changed():
            return
        assert second_pass(outcome, config) == {}
        verdict = prove(outcome.before, outcome.after, config)
        assert verdict.holds, text + "\n" + outcome.diff().decode() + verdict.report()


@settings(max_examples=3000)
@given(st.text(alphabet=st.sampled_from(list("ab !{ \t\x0b&;|$*'\"\\#~\n")), max_size=20))
def test_split_chain_fast_path_is_the_walk(script: str) -> None:
    assert _split_chain(script) == _walk_chain(script)
