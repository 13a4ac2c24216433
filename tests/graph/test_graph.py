"""Discovery, each image-mapping source and its priority, FROM resolution, build order."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import load_config
from dockfix.errors import DockerfileSyntaxError
from dockfix.graph import build_graph, format_graph, graph_to_json, normalise_ref
from dockfix.graph.discover import is_dockerfile_name
from dockfix.memo import Memo
from dockfix.tree import Tree

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "academy" / "before"


def make(tmp: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp


def graph_of(root: Path):
    return build_graph(Tree(root), load_config(root))


@pytest.mark.parametrize("name,yes", [
    ("Dockerfile", True), ("dockerfile", True), ("DOCKERFILE", True), ("Dockerfile.base", True),
    ("Dockerfile.dev", True), ("api.Dockerfile", True), ("worker.dockerfile", True),
    (".dockerfile", False), ("Dockerfile.md", False), ("Dockerfile.j2", False), ("Dockerfile.template", False),
    ("Dockerfile.dockerignore", False), ("Dockerfile.sh", False), ("Dockerfile.yml", False),
    ("Dockerfiles", False), ("README.md", False), ("dockerfile.py", False),
    ("Containerfile", True), ("containerfile", True), ("Containerfile.dev", True), ("app.containerfile", True),
    ("Dockerfile_amd", True), ("Dockerfile-alpine", True), ("Dockerfile_intel.gpu", True),
    ("Dockerfile-", False), ("Dockerfile_", False), ("Dockerfile-template.j2", False), ("Dockerfile_notes.md", False),
    ("Containerfile.md", False), ("Containerfiles", False),
])
def test_dockerfile_names(name: str, yes: bool) -> None:
    assert is_dockerfile_name(name) is yes


def test_discovery_at_any_depth_skips_vcs_and_dependencies(tmp_path: Path) -> None:
    make(tmp_path, {
        "Dockerfile": "FROM a\n", "svc/a/b/c/Dockerfile.prod": "FROM a\n", "x/api.Dockerfile": "FROM a\n",
        ".git/Dockerfile": "FROM a\n", "node_modules/pkg/Dockerfile": "FROM a\n", "docs/Dockerfile.md": "x\n",
    })
    assert sorted(graph_of(tmp_path).dockerfiles) == ["Dockerfile", "svc/a/b/c/Dockerfile.prod", "x/api.Dockerfile"]


def test_files_a_build_names_are_dockerfiles_whatever_their_name(tmp_path: Path) -> None:
    make(tmp_path, {
        "ci/build.sh": "docker build -f t/smoke/dev -t smoke .\n",
        "ci/t/smoke/dev": "FROM python:3.12-slim\nCOPY x /x\n", "ci/x": "x\n",
        "compose.yaml": "services:\n  web:\n    build:\n      context: web\n      dockerfile: web.docker\n",
        "web/web.docker": "FROM alpine\n",
        ".github/workflows/ci.yml": ("jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n"
                                     "        with:\n          context: .\n          file: images/prod.img\n"),
        "images/prod.img": "FROM alpine\n",
        "notes/plain.txt": "not named by any build\n", "Containerfile": "FROM alpine\n",
    })
    g = graph_of(tmp_path)
    assert sorted(g.dockerfiles) == ["Containerfile", "ci/t/smoke/dev", "images/prod.img", "web/web.docker"]
    assert g.dockerfiles["ci/t/smoke/dev"].context == "ci"
    assert g.images["smoke:latest"].dockerfile == "ci/t/smoke/dev"


def test_unparsable_dockerfile_is_recorded_not_raised(tmp_path: Path) -> None:
    make(tmp_path, {"ok/Dockerfile": "FROM a\n", "bad/Dockerfile": "FROM a\nRUN <<EOF\nx\n"})
    g = graph_of(tmp_path)
    assert g.dockerfiles["ok/Dockerfile"].error is None
    err = g.dockerfiles["bad/Dockerfile"].error
    assert str(err) == "bad/Dockerfile:2: unterminated heredoc"


def test_normalise_ref() -> None:
    assert normalise_ref("academy-base") == "academy-base:latest"
    assert normalise_ref("docker.io/library/academy-base:latest") == "academy-base:latest"
    assert normalise_ref("registry:5000/team/app") == "registry:5000/team/app:latest"
    assert normalise_ref("app@sha256:abc") == "app@sha256:abc"


def test_compose_build_forms_args_and_context(tmp_path: Path) -> None:
    make(tmp_path, {
        "stack/compose.yaml": (
            "services:\n"
            "  base:\n    image: acme/base:1\n    build: ./images/base\n"
            "  api:\n    image: acme/api\n    build:\n      context: .\n      dockerfile: images/api/Dockerfile\n"
            "      target: runtime\n      args:\n        - BASE=acme/base:1\n"
            "  worker:\n    image: acme/worker\n    build:\n      context: .\n      dockerfile: images/worker.Dockerfile\n"
            "      args:\n        BASE: acme/base:1\n"),
        "stack/images/base/Dockerfile": "FROM python:3.11-slim\n",
        "stack/images/api/Dockerfile": "ARG BASE=nope\nFROM ${BASE} AS runtime\n",
        "stack/images/worker.Dockerfile": "ARG BASE\nFROM $BASE\n",
    })
    g = graph_of(tmp_path)
    base, api, worker = g.images["acme/base:1"], g.images["acme/api:latest"], g.images["acme/worker:latest"]
    assert (base.dockerfile, base.context) == ("stack/images/base/Dockerfile", "stack/images/base")
    assert (api.dockerfile, api.context, api.target, api.args) == ("stack/images/api/Dockerfile", "stack", "runtime", {"BASE": "acme/base:1"})
    assert (api.source.kind, api.source.path, api.source.line) == ("compose", "stack/compose.yaml", 5)
    b = g.base_of("stack/images/api/Dockerfile", 0)
    assert (b.kind, b.ref, b.how) == ("internal", "acme/base:1", "build arg")
    assert g.base_of("stack/images/worker.Dockerfile", 0).ref == "acme/base:1"
    assert g.derived_of("acme/base:1") == [("stack/images/api/Dockerfile", 0), ("stack/images/worker.Dockerfile", 0)]
    assert g.build_order().index("acme/base:1") < g.build_order().index("acme/api:latest")


def test_bake_hcl_and_json(tmp_path: Path) -> None:
    make(tmp_path, {
        "docker-bake.hcl": ('group "default" { targets = ["app"] }\n'
                            'target "app" {\n  context = "."\n  dockerfile = "app/Dockerfile"\n'
                            '  tags = ["acme/app:2", "acme/app:latest"]\n  args = { BASE = "acme/base:1" }\n}\n'),
        "sub/docker-bake.json": '{"target": {"tool": {"context": "t", "dockerfile": "Dockerfile", "tags": ["acme/tool"]}}}',
        "app/Dockerfile": "ARG BASE\nFROM $BASE\n", "sub/t/Dockerfile": "FROM alpine\n",
    })
    g = graph_of(tmp_path)
    app = g.images["acme/app:2"]
    assert (app.dockerfile, app.args, app.source.kind, app.source.line) == ("app/Dockerfile", {"BASE": "acme/base:1"}, "bake", 2)
    assert "acme/app:latest" in g.images
    assert g.images["acme/tool:latest"].dockerfile == "sub/t/Dockerfile"


def test_build_command_lines_in_scripts_makefiles_and_workflows(tmp_path: Path) -> None:
    make(tmp_path, {
        "Makefile": "build:\n\tdocker build -f docker/Dockerfile.base -t acme-base:latest .\n",
        "scripts/build.sh": ("#!/bin/sh\ndocker buildx build --platform linux/arm64 \\\n"
                             "  --build-arg BASE_IMAGE=acme-base:latest \\\n  -f docker/api/Dockerfile -t acme-api .\n"
                             "podman build --file docker/w/Dockerfile --tag=acme-w:1 . && echo done\n"
                             "buildah bud -f docker/x/Dockerfile -t $(REGISTRY)/x .\n"),
        ".github/workflows/ci.yml": "jobs:\n  b:\n    steps:\n      - run: buildah build -t acme-ci -f docker/ci/Dockerfile .\n",
        "docker/Dockerfile.base": "FROM python:3.11-slim\n",
        "docker/api/Dockerfile": "ARG BASE_IMAGE=nope\nFROM ${BASE_IMAGE}\n",
        "docker/w/Dockerfile": "FROM acme-base\n", "docker/x/Dockerfile": "FROM a\n", "docker/ci/Dockerfile": "FROM a\n",
    })
    g = graph_of(tmp_path)
    assert g.images["acme-base:latest"].source.path == "Makefile"
    api = g.images["acme-api:latest"]
    assert (api.dockerfile, api.args, api.source.path, api.source.line) == (
        "docker/api/Dockerfile", {"BASE_IMAGE": "acme-base:latest"}, "scripts/build.sh", 2)
    assert g.base_of("docker/api/Dockerfile", 0).how == "build arg"
    assert g.images["acme-w:1"].dockerfile == "docker/w/Dockerfile"
    assert g.base_of("docker/w/Dockerfile", 0).kind == "internal"
    assert g.images["acme-ci:latest"].source.path == ".github/workflows/ci.yml"
    assert not any("REGISTRY" in r for r in g.images)  # unresolved variables are not guessed


def test_config_mapping_wins_over_compose(tmp_path: Path) -> None:
    make(tmp_path, {
        "pyproject.toml": '[tool.dockfix.images]\n"acme/app" = { dockerfile = "b/Dockerfile", context = "b" }\n',
        "compose.yaml": "services:\n  app:\n    image: acme/app\n    build: a\n",
        "a/Dockerfile": "FROM x\n", "b/Dockerfile": "FROM y\n",
    })
    m = graph_of(tmp_path).images["acme/app:latest"]
    assert (m.dockerfile, m.source.kind) == ("b/Dockerfile", "config")


def test_name_heuristic_is_reported_as_inferred(tmp_path: Path) -> None:
    make(tmp_path, {"docker/Dockerfile.base": "FROM python:3.11-slim\n",
                    "docker/api/Dockerfile": "ARG BASE_IMAGE=shop-base:latest\nFROM ${BASE_IMAGE}\n"})
    g = graph_of(tmp_path)
    b = g.base_of("docker/api/Dockerfile", 0)
    assert (b.kind, b.ref, b.how) == ("internal", "shop-base:latest", "ARG default")
    assert g.images["shop-base:latest"].source.kind == "inferred"
    assert "inferred: name heuristic" in format_graph(g)


def test_stage_names_and_default_expansions(tmp_path: Path) -> None:
    make(tmp_path, {"Dockerfile": ("ARG PY=3.11\nARG TAG\nFROM python:${PY}-slim AS Builder\n"
                                   "FROM builder AS final\nFROM alpine:${TAG:-3.20}\n")})
    g = graph_of(tmp_path)
    assert g.base_of("Dockerfile", 0).ref == "python:3.11-slim"
    s = g.base_of("Dockerfile", 1)
    assert (s.kind, s.stage) == ("stage", 0)
    assert g.base_of("Dockerfile", 2).ref == "alpine:3.20"


def test_cycle_is_reported(tmp_path: Path) -> None:
    make(tmp_path, {"compose.yaml": "services:\n  a:\n    image: a\n    build: a\n  b:\n    image: b\n    build: b\n",
                    "a/Dockerfile": "FROM b\n", "b/Dockerfile": "FROM a\n"})
    with pytest.raises(DockerfileSyntaxError, match="image cycle"):
        graph_of(tmp_path).build_order()


def test_dockerfile_specific_dockerignore_wins(tmp_path: Path) -> None:
    make(tmp_path, {"compose.yaml": "services:\n  a:\n    image: a\n    build: {context: ., dockerfile: d/Dockerfile}\n",
                    "d/Dockerfile": "FROM x\n", "d/Dockerfile.dockerignore": "secret\n", ".dockerignore": "other\n"})
    g = graph_of(tmp_path)
    assert g.dockerfiles["d/Dockerfile"].dockerignore == "d/Dockerfile.dockerignore"
    assert g.dockerignore_for("d/Dockerfile").excludes("secret")


def test_academy_golden_graph() -> None:
    g = graph_of(GOLDEN)
    base = g.images["academy-base:latest"]
    assert (base.dockerfile, base.source.kind) == ("docker/Dockerfile.base", "command")
    assert g.image_stage(base) == 1
    for svc in ("api", "video-worker", "messaging-worker", "ai-worker"):
        m = g.images[f"academy-{svc}:latest"]
        assert m.dockerfile == f"docker/{svc}/Dockerfile"
        b = g.base_of(m.dockerfile, 0)
        assert (b.kind, b.ref) == ("internal", "academy-base:latest")
    cpu = g.base_of("docker/ai-worker-cpu/Dockerfile", 0)
    assert (cpu.kind, cpu.ref) == ("external", "python:3.11-slim")
    assert g.dockerfiles["docker/ai-worker-cpu/Dockerfile"].context == ""
    assert g.dockerignore_for("docker/ai-worker-cpu/Dockerfile").excludes("scripts/gate10_test.py")
    order = g.build_order()
    assert order.index("academy-base:latest") < order.index("academy-api:latest")
    data = graph_to_json(g)
    assert {i["image"] for i in data["images"]} >= {"academy-base:latest", "academy-ai-worker-gpu:latest"}


# -- the index of a large repository, made in a forked child while the parent parses
def _large_repo(tmp: Path) -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from generate import generate

    generate(tmp / "mono", 80)
    return tmp / "mono"


def test_index_made_in_a_child_is_index_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from dockfix.graph import model, sources

    root = _large_repo(tmp_path)
    config = load_config(root)
    monkeypatch.setattr(sources, "_MEMO", Memo(20_000))
    forked = []
    real_fork = os.fork

    def counting_fork() -> int:
        forked.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counting_fork)
    graph = build_graph(Tree(root), config)
    assert forked, "the index was not made in a child"
    assert sources.memo_entries(), "the child's memo did not come back"
    assert graph.index == model.index_repo(Tree(root), config)
    forked.clear()
    build_graph(Tree(root), config)
    assert not forked, "a warm memo needs no child"


def test_index_falls_back_when_the_child_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from dockfix.graph import model, sources

    root = _large_repo(tmp_path)
    config = load_config(root)
    expected = model.index_repo(Tree(root), config)
    monkeypatch.setattr(sources, "_MEMO", Memo(20_000))

    def broken(*args, **kwargs):
        raise OSError("the child cannot send")

    monkeypatch.setattr(pickle, "dump", broken)  # in the child: it exits 1 and sends nothing
    assert build_graph(Tree(root), config).index == expected


def test_an_interrupted_parse_reaps_the_index_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from dockfix.graph import model, sources

    root = _large_repo(tmp_path)
    monkeypatch.setattr(sources, "_MEMO", Memo(20_000))
    children = []
    real_fork = os.fork

    def recording_fork() -> int:
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    def interrupted(path, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fork", recording_fork)
    monkeypatch.setattr(model, "parse_cached", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_graph(Tree(root), load_config(root))
    assert children
    with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
        os.waitpid(children[0], 0)
