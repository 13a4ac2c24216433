"""Generate a monorepo of N Dockerfiles for the benchmark and for scale tests.

Shape: many compose projects at varying depth; each has a base image (Dockerfile.base,
multi-stage, pip --user chain), derived service images (ARG BASE_IMAGE + FROM, apt,
requirement COPY/RUN pairs), a duplicate of the base (rebase candidate), heredoc RUNs,
CRLF files and `# syntax=` lines, one `.dockerignore` per project. Deterministic: the
same N and seed give the same bytes.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

BASE = """\
{syntax}# base image for {proj}
FROM python:3.11-slim AS builder
ENV PYTHONDONTWRITEBYTECODE=1
RUN apt-get update && apt-get install -y --no-install-recommends \\
    gcc \\
    libpq-dev \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
RUN pip install --upgrade pip
COPY requirements/common.txt ./requirements/common.txt
RUN pip install --user --no-cache-dir -r requirements/common.txt

FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1
ENV PYTHONPATH=/app
ENV PATH=/root/.local/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends \\
    libpq5 \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY src ./src
COPY manage.py ./
CMD ["python", "--version"]
"""

DERIVED = """\
{syntax}ARG BASE_IMAGE={proj}-base:latest
FROM ${{BASE_IMAGE}}
{apt}COPY requirements/common.txt requirements/{svc}.txt ./requirements/
RUN pip install --user --no-cache-dir -r requirements/{svc}.txt
{heredoc}{extra_pip}EXPOSE {port}
CMD ["python", "-m", "src.{svc}.main"]
"""

DUPLICATE = """\
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1
ENV PYTHONPATH=/app
ENV PATH=/root/.local/bin:$PATH
ENV WORKER_TYPE={svc}
RUN apt-get update && apt-get install -y --no-install-recommends \\
    ffmpeg \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/common.txt requirements/{svc}.txt ./requirements/
RUN pip install --user --no-cache-dir -r requirements/{svc}.txt
COPY src ./src
COPY manage.py ./
COPY scripts ./scripts
CMD ["python", "-m", "src.{svc}.main"]
"""

APT = """\
RUN apt-get update && apt-get install -y --no-install-recommends \\
    curl \\
    && rm -rf /var/lib/apt/lists/*
"""

HEREDOC = """\
RUN <<EOF
set -e
echo "configured {svc}"
EOF
"""

EXTRA_PIP = """\
RUN pip install --user --no-cache-dir six
RUN pip install --user --no-cache-dir attrs
"""

DOCKERIGNORE = """\
# keep the context small
__pycache__/
*.pyc
.git/
docs/
tests/
scripts/
"""


def generate(out: Path, n: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    written = 0
    proj_i = 0
    while written < n:
        depth = rng.choice(["", "services/", "apps/team{}/".format(proj_i % 7), "a/b/c/"])
        proj = f"p{proj_i}"
        root = out / f"{depth}{proj}"
        (root / "requirements").mkdir(parents=True, exist_ok=True)
        (root / "src").mkdir(exist_ok=True)
        (root / "src" / "__init__.py").write_text("")
        (root / "manage.py").write_text("print('manage')\n")
        (root / "scripts").mkdir(exist_ok=True)
        (root / "scripts" / "run.sh").write_text("#!/bin/sh\n")
        (root / "requirements" / "common.txt").write_text("six==1.16.0\n")
        (root / ".dockerignore").write_text(DOCKERIGNORE)
        syntax = "# syntax=docker/dockerfile:1\n" if rng.random() < 0.3 else ""
        _write(root / "docker" / "Dockerfile.base", BASE.format(syntax=syntax, proj=proj), rng)
        written += 1
        services = []
        for s in range(rng.randint(3, 8)):
            if written >= n:
                break
            svc = f"svc{s}"
            services.append(svc)
            (root / "requirements" / f"{svc}.txt").write_text("-r common.txt\nattrs==23.2.0\n")
            pkg = root / "src" / svc
            pkg.mkdir(exist_ok=True)
            (pkg / "__init__.py").write_text("")
            (pkg / "main.py").write_text(f"TIMEOUT_SECONDS = {rng.randint(10, 9999)}\n")
            if s == 0:
                text = DUPLICATE.format(svc=svc)
            else:
                text = DERIVED.format(
                    syntax="# syntax=docker/dockerfile:1\n" if rng.random() < 0.2 else "",
                    proj=proj, svc=svc, port=8000 + s,
                    apt=APT if rng.random() < 0.4 else "",
                    heredoc=HEREDOC.format(svc=svc) if rng.random() < 0.2 else "",
                    extra_pip=EXTRA_PIP if rng.random() < 0.5 else "")
            _write(root / "docker" / svc / "Dockerfile", text, rng)
            written += 1
        compose = ["services:"]
        compose.append(f"  base:\n    image: {proj}-base:latest\n    build:\n      context: .\n"
                       f"      dockerfile: docker/Dockerfile.base")
        for svc in services:
            compose.append(f"  {svc}:\n    image: {proj}-{svc}:latest\n    build:\n      context: .\n"
                           f"      dockerfile: docker/{svc}/Dockerfile\n      args:\n"
                           f"        BASE_IMAGE: {proj}-base:latest")
        (root / "compose.yaml").write_text("\n".join(compose) + "\n")
        proj_i += 1
    return written


def _write(path: Path, text: str, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if rng.random() < 0.1:
        data = data.replace(b"\n", b"\r\n")
    path.write_bytes(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print(generate(a.out, a.n, a.seed))


if __name__ == "__main__":
    main()
