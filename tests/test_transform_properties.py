"""Properties over generated repositories and random transform sequences: nothing crashes,
the result re-parses, the prover holds, a second run changes nothing, and bad input is a
clean error. `make fuzz` runs the same with many more examples (DOCKFIX_FUZZ_EXAMPLES)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dockfix.config import Config
from dockfix.engine import run, second_pass
from dockfix.errors import DockfixError
from dockfix.prover import prove
from dockfix.syntax import parse, validate
from dockfix.transforms import REGISTRY
from tests.syntax.strategies import dockerfiles

EXAMPLES = int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

PIP = st.sampled_from(["RUN pip install six", "RUN pip install --user attrs==24.2.0", "RUN python -m pip install idna",
                       "RUN pip install --upgrade pip", "RUN pip install -r requirements.txt"])
APT = st.sampled_from(["RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
                       "RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*"])
OTHER = st.sampled_from(["COPY requirements.txt ./", "COPY app ./app", "ENV MODE=x", "WORKDIR /srv",
                         "RUN <<EOF\necho heredoc\nEOF", "# a comment", "", "USER nobody", "EXPOSE 8000"])


@st.composite
def repos(draw) -> dict[str, bytes]:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    base_lines = ["FROM python:3.11-slim AS runtime", "ENV PYTHONPATH=/app", "WORKDIR /app"]
    base_lines += draw(st.lists(st.one_of(PIP, APT), max_size=3))
    base_lines += ["COPY app ./app", 'CMD ["python", "-m", "app"]']
    derived = ["ARG BASE_IMAGE=acme-base:latest", "FROM ${BASE_IMAGE}"]
    derived += draw(st.lists(st.one_of(PIP, APT, OTHER), max_size=6))
    derived += ['CMD ["python", "-m", "app"]']
    dup = ["FROM python:3.11-slim", "ENV PYTHONPATH=/app", "WORKDIR /app", "COPY app ./app"]
    dup += draw(st.lists(st.one_of(PIP, APT), max_size=2)) + ['CMD ["python", "-m", "app"]']
    ignore = draw(st.sampled_from(["", "app/secret.py\n", "requirements.txt\n", "**/*.txt\n!keep.txt\n"]))
    return {
        "docker/Dockerfile.base": eol.join(base_lines).encode() + eol.encode(),
        "docker/svc/Dockerfile": eol.join(derived).encode() + eol.encode(),
        "docker/dup/Dockerfile": eol.join(dup).encode() + eol.encode(),
        "build.sh": b"docker build -f docker/Dockerfile.base -t acme-base:latest .\n"
                    b"docker build -f docker/svc/Dockerfile -t acme-svc .\ndocker build -f docker/dup/Dockerfile -t acme-dup .\n",
        ".dockerignore": ignore.encode(),
        "requirements.txt": b"six==1.16.0\n",
        "app/__init__.py": b"", "app/__main__.py": b"LIMIT = 10\n", "app/secret.py": b"",
    }


def _materialise(files: dict[str, bytes], root: Path) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


@SETTINGS
@given(repos(), st.lists(st.sampled_from(sorted(REGISTRY)), min_size=1, max_size=4))
def test_random_transform_sequences_hold(files: dict[str, bytes], names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _materialise(files, root)
        outcome = run(root, names, Config())
        for path, (_, new) in outcome.changed.items():
            if path.endswith("Dockerfile") or "Dockerfile." in path:
                validate(parse(new, path))
        verdict = prove(outcome.before, outcome.after, Config())
        assert verdict.holds or _non_root_without_root_swap(names, verdict) or \
            _root_swap_refused(outcome, verdict), verdict.report()
        assert second_pass(outcome, Config()) == {}


def _non_root_without_root_swap(names: list[str], verdict) -> bool:
    """A known transform issue, not a rule to loosen: non-root without a later root-swap
    leaves a derived image running `apt-get install` as appuser, which fails (the prover's
    root-only rule); exactly that and nothing else."""
    if "non-root" not in names or "root-swap" in names[names.index("non-root"):]:
        return False
    bad = {f.invariant for f in verdict.findings if f.severity in ("broken", "unproven")}
    return bad == {"root-only step"}


def _root_swap_refused(outcome, verdict) -> bool:
    """The other known transform issue: a merged RUN that needs root and must run as appuser
    (a system pip install and a `--user` one) makes root-swap refuse the file with a skip note,
    so the file's apt install stays under appuser; the prover calls exactly that broken, and
    `apply` writes nothing. Only a root-only finding in a file root-swap refused is accepted."""
    refused = {n.path for n in outcome.notes if n.transform == "root-swap" and n.kind == "skip"}
    bad = [f for f in verdict.findings if f.severity in ("broken", "unproven")]
    return bool(bad) and all(f.invariant == "root-only step" and f.path in refused for f in bad)


@SETTINGS
@given(dockerfiles())
def test_any_dockerfile_is_a_clean_result_or_a_clean_error(data: bytes) -> None:
    """Generated files (valid or not): the pipeline either finishes and holds, or raises a
    DockfixError with a path and line; nothing else escapes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "Dockerfile").write_bytes(data)
        try:
            outcome = run(root, sorted(REGISTRY), Config())
        except DockfixError as err:
            assert err.path and str(err).startswith(err.path)
            return
        assume(outcome.changed or True)
        assert prove(outcome.before, outcome.after, Config()).holds
