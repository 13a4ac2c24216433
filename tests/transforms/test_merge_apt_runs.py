"""merge-apt-runs beyond the case harness: the academy GPU image exactly, option 3's first
two steps on the academy repo, reading apt RUNs, and properties on generated files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.config import Config, load_config
from dockfix.engine import run, second_pass
from dockfix.prover import prove
from dockfix.syntax import parse
from dockfix.transforms import _text
from dockfix.transforms.base import Context
from dockfix.transforms.merge_apt_runs import MergeAptRuns, apt_run, package_name
from dockfix.tree import Tree

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "golden" / "academy"

GPU_MERGED = """\
# 시스템 의존성 (OCR)
# PostgreSQL 클라이언트 (academy-base runtime과 동일)
RUN apt-get update && apt-get install -y --no-install-recommends \\
    tesseract-ocr \\
    tesseract-ocr-kor \\
    ffmpeg \\
    libgl1 \\
    libglib2.0-0 \\
    libpq5 \\
    ca-certificates \\
    && rm -rf /var/lib/apt/lists/*

# pip 설치 (python3.11 전용)
"""


@pytest.fixture
def academy(tmp_path: Path) -> Path:
    dst = tmp_path / "academy"
    shutil.copytree(GOLDEN / "before", dst, symlinks=True)
    return dst


def test_academy_gpu_image_gets_one_apt_layer_after_the_ppa(academy: Path) -> None:
    cfg = load_config(academy)
    outcome = run(academy, ["merge-apt-runs"], cfg)
    changed = outcome.after.changed()
    assert sorted(changed) == ["docker/ai-worker-gpu/Dockerfile"]
    before = (GOLDEN / "before/docker/ai-worker-gpu/Dockerfile").read_text()
    after = changed["docker/ai-worker-gpu/Dockerfile"].decode()
    # Everything up to the PPA RUN and from the pip bootstrap on is untouched.
    head = before[: before.index("# 시스템 의존성 (OCR)")]
    tail = before[before.index("# pip 설치 (python3.11 전용)") + len("# pip 설치 (python3.11 전용)\n"):]
    assert after == head + GPU_MERGED + tail
    assert outcome.notes == []
    assert second_pass(outcome, cfg) == {}
    assert prove(outcome.before, outcome.after, cfg).holds


def test_option_3_first_steps_on_academy(academy: Path) -> None:
    cfg = load_config(academy)
    outcome = run(academy, ["merge-pip-runs", "merge-apt-runs"], cfg)
    assert sorted(outcome.after.changed()) == ["docker/Dockerfile", "docker/Dockerfile.base",
                                               "docker/ai-worker-gpu/Dockerfile"]
    assert prove(outcome.before, outcome.after, cfg).holds


def _run(script: str):
    return apt_run(parse(f"FROM a\nRUN {script}\n".encode()).instructions[1])


def test_apt_run_reads_a_pure_sequence() -> None:
    r = _run("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold "
             "--no-install-recommends a b=1 && DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends -o Dpkg::Options::=--force-confold -y c "
             "&& apt-get clean && rm -rf /var/lib/apt/lists/*")
    assert r is not None
    assert r.update == "apt-get update"
    assert r.install_head == ("DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold "
                              "--no-install-recommends")
    assert [p.raw for p in r.packages] == ["a", "b=1", "c"]
    assert r.cleanup == ("apt-get clean", "rm -rf /var/lib/apt/lists/*")
    assert r.cache_cleanup == {"apt-get clean"}
    assert _run("apt-get update && apt-get install -y a").cleanup == ()
    assert _run("apt-get -q update && apt-get -y install a && rm -fr /var/lib/apt/lists/*") is not None


@pytest.mark.parametrize("script", [
    "apt-get install -y a && rm -rf /var/lib/apt/lists/*",  # no refresh
    "apt-get update",  # nothing installed
    "apt-get update && apt-get install -y a && apt-get install b",  # options differ inside
    "apt-get update && apt-get install -y a- b",  # a removal
    "apt-get update && apt-get upgrade -y",
    "apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/* /tmp/*",
    "apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/* && apt-get install -y b",
    "apt-get update && add-apt-repository -y ppa:x/y && apt-get install -y a",
    "apt update && apt install -y a",
    "apt-get update && apt-get install -y a | tee log",
    "apt-get update && TZ=UTC apt-get install -y a",
])
def test_apt_run_refuses_anything_else(script: str) -> None:
    assert _run(script) is None


_PKG = st.sampled_from(["curl", "git", "ca-certificates", "libpq5", "ffmpeg", "tini", "make"])
_APT = st.lists(_PKG, min_size=1, max_size=3, unique=True).map(
    lambda ps: "RUN apt-get update && apt-get install -y --no-install-recommends " + " ".join(ps)
    + " && rm -rf /var/lib/apt/lists/*")
_APT_LONG = st.lists(_PKG, min_size=1, max_size=3, unique=True).map(
    lambda ps: "RUN apt-get update && apt-get install -y --no-install-recommends \\\n"
    + "".join(f"    {p} \\\n" for p in ps) + "    && rm -rf /var/lib/apt/lists/*")
_OTHER = st.sampled_from(["", "# note", "ENV A=1", "RUN curl -fsSL https://x | sh", "USER root",
                          "RUN apt-get update && apt-get install -y vim && rm -rf /var/lib/apt/lists/*"])


def _packages(data: bytes) -> list[tuple[int, frozenset[str]]]:
    """Per stretch between non-apt instructions: the set of packages installed."""
    doc = parse(data)
    out: list[tuple[int, frozenset[str]]] = []
    current: set[str] = set()
    for ins in doc.instructions[1:]:
        r = apt_run(ins)
        if r is not None and "vim" not in [p.value for p in r.packages]:
            current |= {p.value for p in r.packages}
        else:
            if current:
                out.append((ins.index, frozenset(current)))
            current = set()
    if current:
        out.append((-1, frozenset(current)))
    return [s for _, s in out]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_APT, _APT_LONG, _OTHER), min_size=1, max_size=12))
def test_merging_keeps_the_package_sets(lines: list[str]) -> None:
    data = ("FROM debian:12\n" + "\n".join(lines) + "\n").encode()
    doc = parse(data)
    ctx = Context(tree=Tree("/nonexistent", {"Dockerfile": data}), config=Config(), transform="merge-apt-runs")
    out = MergeAptRuns().transform_document(ctx, "Dockerfile", doc)
    if out is None:
        return
    after = parse(out)
    assert _packages(out) == _packages(data)
    assert [doc.text(i) for i in doc.instructions if apt_run(i) is None] == \
        [after.text(i) for i in after.instructions if apt_run(i) is None]
    for ins in after.instructions:
        r = apt_run(ins)
        if r is not None:
            values = [p.value for p in r.packages]
            assert len(values) == len(set(values))
    assert sorted(x for x in out.decode().splitlines() if x.startswith("#")) == \
        sorted(x for x in data.decode().splitlines() if x.startswith("#"))
    ctx2 = Context(tree=Tree("/nonexistent", {"Dockerfile": out}), config=Config(), transform="merge-apt-runs")
    assert MergeAptRuns().transform_document(ctx2, "Dockerfile", after) is None
    assert _text.file_style(after).indent == "    "


@pytest.mark.parametrize("value,name", [("libpq5=15.6-0+deb12u1", "libpq5"), ("curl/bookworm-backports", "curl"),
                                        ("gcc:arm64", "gcc"), ("Cuda-Keyring", "cuda-keyring")])
def test_package_name(value: str, name: str) -> None:
    assert package_name(value) == name
