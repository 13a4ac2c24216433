"""root-swap beyond the case harness: which RUNs need root, which must run as the user,
and the composition non-root → root-swap on the academy-shaped case trees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockfix.syntax import parse
from dockfix.transforms._root_needs import Where, analyse_run, run_scripts

CASES = Path(__file__).resolve().parents[2] / "transforms"
OWNED = ("/home/appuser", "/app")


def needs(run: str, cwd: str | None = "/app", env: dict[str, str] | None = None):
    doc = parse(f"FROM x\n{run}\n".encode())
    return analyse_run(doc.instructions[1], Where(cwd, OWNED, "/home/appuser", env or {}))


def verdict(run: str, **kw) -> str:
    n = needs(run, **kw)
    if n.root and n.user:
        return "both"
    return "root" if n.root else "user" if n.user else "any"


@pytest.mark.parametrize("run,expected", [
    # package managers, in every shape a RUN can have
    ("RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*", "root"),
    ("RUN apk add --no-cache ffmpeg", "root"),
    ("RUN microdnf install -y tar", "root"),
    ('RUN ["apt-get", "update"]', "root"),
    ("RUN sh -c 'apt-get update'", "root"),
    ("RUN set -eux; \\\n    apt-get update; \\\n    apt-get install -y jq", "root"),
    ("RUN DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata", "root"),
    ("RUN sudo apt-get install -y jq", "root"),
    ("RUN echo jq | xargs apt-get install -y", "root"),
    ("RUN dpkg -i /tmp/x.deb", "root"),
    ("RUN echo $(dpkg --print-architecture) > /tmp/arch", "any"),
    ("RUN npm install -g pnpm", "root"),
    ("RUN npm install", "any"),
    # pip
    ("RUN pip install --user --no-cache-dir -r requirements/api.txt", "user"),
    ("RUN PIP_USER=1 pip install six", "user"),
    ("RUN pip install --no-cache-dir -r requirements.txt", "root"),
    ("RUN pip install --upgrade pip", "root"),
    ("RUN python3.11 -m pip install --no-cache-dir six", "root"),
    ("RUN pip3 install --target /app/vendor six", "any"),
    ("RUN pip install --prefix=/usr/local six", "root"),
    ("RUN /opt/venv/bin/pip install six", "root"),
    ("RUN /home/appuser/venv/bin/pip install six", "any"),
    ("RUN python -m venv .venv && . .venv/bin/activate && pip install six", "any"),
    ("RUN pip download -d /tmp/w six", "any"),
    ("RUN pip install --upgrade pip && pip install --user six", "both"),
    # writes
    ("RUN mkdir -p /var/log/app", "root"),
    ("RUN mkdir -p media static", "any"),
    ("RUN mkdir -m 0700 -p /app/secret", "any"),
    ("RUN touch /tmp/ready", "any"),
    ("RUN echo web > /etc/role", "root"),
    ("RUN echo web>>/etc/role", "root"),
    ("RUN echo 'export X=1' >> ~/.bashrc", "any"),
    ("RUN echo $HOME > $HOME/where", "any"),
    ("RUN python -c 'print(1)' 2>&1 | tee /tmp/log", "any"),
    ("RUN ls /nonexistent 2>/dev/null || true", "any"),
    ("RUN ln -s /app/bin/tool /usr/local/bin/tool", "root"),
    ("RUN ln -sf /app/a ./b", "any"),
    ("RUN cp /etc/hosts /app/hosts.copy", "any"),
    ("RUN cp a b /usr/share/doc/", "root"),
    ("RUN cp -t /opt a b", "root"),
    ("RUN install -d -m 0755 /opt/data", "root"),
    ("RUN sed -i 's/a/b/' /etc/ssl/openssl.cnf", "root"),
    ("RUN sed -i -e 's/a/b/' settings.py", "any"),
    ("RUN curl -fsSL https://example.com/tool#v2 -o /usr/local/bin/tool", "root"),
    ("RUN curl -fsSLo tool https://example.com/tool", "any"),
    ("RUN wget -qO- https://example.com | tar -xz -C /opt", "root"),
    ("RUN unzip -q /tmp/x.zip -d /app/x", "any"),
    ("RUN cd /etc && touch marker", "root"),
    ("RUN cd /tmp && touch marker", "any"),
    ("RUN rm -rf /root/.cache", "root"),
    ("RUN chmod +x /app/entry.sh", "any"),
    ("RUN chmod +x /usr/local/bin/entry.sh", "root"),
    ("RUN chown appuser /app/x", "root"),
    ("RUN mkdir -p $DATA_DIR", "root"),  # cannot be resolved: conservative
    # neither
    ("RUN python manage.py collectstatic --noinput", "any"),
    ("RUN python -m compileall -q .", "any"),
    ("RUN ./scripts/build.sh", "any"),
    ("RUN if [ -f x ]; then echo ok; fi", "any"),
])
def test_what_a_run_needs(run: str, expected: str) -> None:
    assert verdict(run) == expected


def test_env_resolves_paths() -> None:
    assert verdict("RUN mkdir -p $DATA_DIR", env={"DATA_DIR": "/app/data"}) == "any"
    assert verdict("RUN mkdir -p ${DATA_DIR}/x", env={"DATA_DIR": "/srv/data"}) == "root"
    assert verdict("RUN pip install six", env={"VIRTUAL_ENV": "/home/appuser/.venv"}) == "any"
    assert verdict("RUN pip install six", env={"PIP_USER": "1"}) == "user"


def test_relative_paths_need_a_known_workdir() -> None:
    assert verdict("RUN mkdir data", cwd=None) == "root"
    assert verdict("RUN mkdir data", cwd="/srv") == "root"


def test_heredocs() -> None:
    script = "RUN <<EOF\nset -eux\napt-get update\napt-get install -y jq\nEOF"
    assert verdict(script) == "root"
    # a heredoc fed to python is data, not shell
    assert verdict("RUN python3 <<EOF\nprint('apt-get install -y jq')\nEOF") == "any"
    assert verdict("RUN <<-EOT bash\n\tpip install --user six\n\tEOT") == "user"
    assert verdict("RUN cat <<EOF > /etc/app.conf\nx=1\nEOF") == "root"


def test_run_scripts_of_exec_and_heredoc() -> None:
    """What BuildKit executes (model.run), read by the shell reader (model.shell)."""
    doc = parse(b'FROM x\nRUN ["sh", "-c", "echo hi"]\nRUN <<EOF\necho a\nEOF\n'
                b'RUN ["apt-get", "update"]\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n')
    names = [[c.args for s in run_scripts(i) for c in s.commands] for i in doc.instructions[1:4]]
    assert names == [[("echo", "hi")], [("echo", "a")], [("apt-get", "update")]]
    assert run_scripts(doc.instructions[4]) is None  # python reads it: no shell


def test_what_the_reader_cannot_follow_needs_root() -> None:
    assert verdict("RUN eval \"$SETUP\"") == "root"
    assert verdict("RUN f() { touch /tmp/x; }; f") == "root"
    assert verdict('RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF') == "root"
    assert verdict('RUN <<EOF\n#!/usr/bin/env bash\ntouch /tmp/x\nEOF') == "any"
    assert verdict('RUN <<EOF\n#!/bin/sh -e\napk add jq\nEOF') == "root"
    doc = parse(b'FROM x\nSHELL ["pwsh", "-Command"]\nRUN echo hi\n')
    assert analyse_run(doc.instructions[2], Where("/app", OWNED), ("pwsh", "-Command")).root


def test_comments_and_hashes_in_words() -> None:
    assert verdict("RUN echo ok  # apt-get install -y jq") == "any"
    assert verdict("RUN curl -fsSL https://example.com/t#v2 -o /app/t") == "any"
    assert verdict("RUN curl -fsSL https://example.com/install.sh | sh") == "root"  # a script it cannot read
    assert verdict("RUN bash -e <<'EOF'\ntouch /tmp/ok\nEOF") == "any"
    assert verdict("RUN cd /etc \\\n    && touch marker") == "root"


def _tree(src: Path, dst: Path) -> dict[str, bytes]:
    return {str(p.relative_to(src)): p.read_bytes() for p in sorted(src.rglob("*")) if p.is_file()}


def test_non_root_then_root_swap_on_academy(tmp_path: Path) -> None:
    """The two steps of preset 3, composed by the engine: the base as it was (root) plus the
    derived images give the base of non-root's case and the derived images of root-swap's."""
    from dockfix.config import load_config
    from dockfix.engine import run, second_pass

    swap = CASES / "root-swap" / "cases" / "academy"
    root = tmp_path / "repo"
    shutil.copytree(swap / "before", root)
    original_base = CASES / "non-root" / "cases" / "academy" / "before" / "docker" / "Dockerfile.base"
    (root / "docker" / "Dockerfile.base").write_bytes(original_base.read_bytes())
    config = load_config(root)
    outcome = run(root, ["non-root", "root-swap"], config)
    expected = _tree(swap / "after", root)
    for path, data in expected.items():
        assert outcome.after.read(path) == data, path
    assert "".join(f"{n}\n" for n in outcome.notes) == (swap / "notes").read_text()  # the GPU image's base
    assert second_pass(outcome, config) == {}


@pytest.mark.parametrize("run,other", [
    ("RUN pip install --user six==1.16.0", []),
    ("RUN echo ok && true", []),
    ("RUN echo ok > /app/ok.txt", ["echo"]),  # a redirection writes a file
    ("RUN mkdir -p /app/out", ["mkdir"]),  # the user could, but it ran as root before
    ("RUN python manage.py collectstatic --noinput", ["python"]),
    ("RUN bash <<EOF\npip install --user six\nEOF", ["bash"]),  # the prover does not read it
])
def test_commands_whose_user_must_not_change(run: str, other: list[str]) -> None:
    """`Needs.other`: what root-swap keeps as root (it ran as root before non-root)."""
    assert needs(run).other == other


def test_a_stage_with_its_own_user_is_left_alone() -> None:
    from dockfix.transforms._runtime_user import RuntimeUser
    from dockfix.transforms.root_swap import _refusal

    base = RuntimeUser("appuser", "appuser", "appuser:appuser", "/home/appuser", OWNED)
    for user in ("0", "root", "appuser", "nobody"):
        doc = parse(f"FROM b\nUSER {user}\nRUN apt-get update\n".encode())
        line, why = _refusal(doc, doc.instructions[0], doc.instructions[1:], base)
        assert (line, why) == (2, f"the stage sets USER {user} itself: an image that manages its user is left alone")


def test_a_base_whose_derived_image_ends_in_a_workdir_the_user_would_not_own_stays_root(tmp_path: Path) -> None:
    """Found by test_random_transform_sequences_hold: root-swap wrapped `WORKDIR /srv` (between
    two root RUNs) in `USER root`, and the image then ran there as appuser, who may not write
    it (root could): unproven. non-root leaves such a base as it is, and the plan is proved."""
    from dockfix.config import Config
    from dockfix.engine import run
    from dockfix.prover import prove

    files = {
        "docker/Dockerfile.base": "FROM python:3.11-slim\nWORKDIR /app\nCOPY app ./app\nCMD [\"python\", \"-m\", \"app\"]\n",
        "docker/svc/Dockerfile": ("ARG BASE_IMAGE=acme-base:latest\nFROM ${BASE_IMAGE}\nRUN pip install six\n"
                                  "WORKDIR /srv\nRUN pip install six\nCMD [\"python\", \"-m\", \"app\"]\n"),
        "build.sh": "docker build -f docker/Dockerfile.base -t acme-base:latest .\ndocker build -f docker/svc/Dockerfile -t acme-svc .\n",
        "app/__main__.py": "LIMIT = 10\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    outcome = run(tmp_path, ["non-root", "root-swap"], Config())
    assert [str(n) for n in outcome.notes] == [
        "docker/Dockerfile.base:1: skip: docker/svc/Dockerfile:4, built on it, ends in WORKDIR /srv, which appuser "
        "would not own: as appuser the process may not write it, as root it could [non-root]"]
    assert outcome.changed == {}
    assert prove(outcome.before, outcome.after, Config()).holds
