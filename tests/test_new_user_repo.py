"""Option 2 on a repo of another shape, as a new user would try it: images mapped in compose,
a CRLF Dockerfile that duplicates its base, three pip RUNs next to a heredoc RUN, and a
`.dockerignore` whose `**/*.sh` blocks the COPY of an entrypoint script."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dockfix.cli import app

BASE_DF = (b"# syntax=docker/dockerfile:1\n"
           b"FROM python:3.12-slim AS runtime\n"
           b"ENV PYTHONUNBUFFERED=1\n"
           b"WORKDIR /srv\n"
           b"COPY service ./service\n"
           b"CMD [\"python\", \"-V\"]\n")
HEREDOC_RUN = b"RUN <<EOF\r\nset -e\r\necho \"configure\"   \r\nEOF\r\n"
WORKER_DF = (b"# syntax=docker/dockerfile:1\r\n"
             b"FROM python:3.12-slim\r\n"
             b"ENV PYTHONUNBUFFERED=1\r\n"
             b"WORKDIR /srv\r\n"
             b"COPY service ./service\r\n"
             b"RUN pip install six==1.16.0\r\n"
             b"RUN pip install attrs==24.2.0\r\n"
             b"RUN pip install idna==3.10\r\n"
             + HEREDOC_RUN +
             b"COPY bin/entrypoint.sh /usr/local/bin/entrypoint.sh\r\n"
             b"ENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]\r\n"
             b"CMD [\"python\", \"-m\", \"service.worker\"]\r\n")
FILES = {
    "deploy/compose.yaml": (b"services:\n  core:\n    image: acme/core:1.0\n    build:\n      context: ..\n"
                            b"      dockerfile: images/core.Dockerfile\n"
                            b"  worker:\n    image: acme/worker:1.0\n    build:\n      context: ..\n"
                            b"      dockerfile: images/worker.Dockerfile\n"
                            b"  api:\n    image: acme/api:1.0\n    build:\n      context: ..\n"
                            b"      dockerfile: images/api.Dockerfile\n"),
    "images/core.Dockerfile": BASE_DF,
    "images/api.Dockerfile": b"FROM acme/core:1.0\nCMD [\"python\", \"-m\", \"service.api\"]\n",
    "images/worker.Dockerfile": WORKER_DF,
    ".dockerignore": b"# no shell scripts in images\n**/*.sh\n.git\n",
    "bin/entrypoint.sh": b"#!/bin/sh\nexec \"$@\"\n",
    "tools/release.sh": b"#!/bin/sh\n",
    "service/__init__.py": b"",
    "service/worker.py": b"RETRY_SECONDS = 30\n",
    "service/api.py": b"PORT = 8000\n",
}


def test_option_2_on_a_compose_repo(tmp_path: Path) -> None:
    for rel, data in FILES.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    result = CliRunner().invoke(app, ["apply", str(tmp_path), "--option", "2"])
    assert result.exit_code == 0, result.stderr
    worker = (tmp_path / "images/worker.Dockerfile").read_bytes()
    assert worker == (b"# syntax=docker/dockerfile:1\r\n"
                      b"FROM acme/core:1.0\r\n"
                      # option 2 holds option 1's lint fixes: pip's cache off (DL3042)
                      b"RUN pip install --no-cache-dir six==1.16.0 && pip install --no-cache-dir attrs==24.2.0"
                      b" && pip install --no-cache-dir idna==3.10\r\n"
                      + HEREDOC_RUN +
                      b"COPY bin/entrypoint.sh /usr/local/bin/entrypoint.sh\r\n"
                      b"ENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]\r\n"
                      b"CMD [\"python\", \"-m\", \"service.worker\"]\r\n")
    assert (tmp_path / ".dockerignore").read_bytes() == (b"# no shell scripts in images\n**/*.sh\n"
                                                         b"!bin/entrypoint.sh\n.git\n")
    assert (tmp_path / "images/core.Dockerfile").read_bytes() == BASE_DF
    assert "invariants hold" in result.stderr
    again = CliRunner().invoke(app, ["plan", str(tmp_path), "--option", "2"])
    assert again.exit_code == 0 and again.stdout == ""
