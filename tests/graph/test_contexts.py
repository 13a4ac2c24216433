"""Build contexts read exactly, or unknown: build-command grammar, shell scripts, Makefiles,
CI workflows, compose with .env, devcontainer.json, and the unknown context of a
Dockerfile whose COPY sources resolve nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import load_config
from dockfix.graph import build_graph, format_graph, graph_to_json
from dockfix.graph.scripts import shell_builds
from dockfix.model.contexts import Engine, parse_build
from dockfix.tree import Tree


def make(tmp: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp


def graph_of(root: Path):
    return build_graph(Tree(root), load_config(root))


# -- the option grammar
@pytest.mark.parametrize("line,context,dockerfile,tags", [
    ("--volume a:b:Z -f X ctx", "ctx", "X", ()),
    ("-v /a:/b -t t ctx", "ctx", None, ("t",)),
    ("--build-arg A=1 --label l=v --secret id=s,src=f --ssh default --cache-from x --cache-to y ctx", "ctx", None, ()),
    ("--output type=docker -o out --iidfile f --network host --add-host h:1.2.3.4 --progress plain ctx", "ctx", None, ()),
    ("--builder b --build-context n=../x --annotation a=b --attest type=sbom --shm-size 1g ctx", "ctx", None, ()),
    ("--ulimit nofile=1024 --cgroup-parent p --isolation default --memory 1g -m 2g ctx", "ctx", None, ()),
    ("--pull --no-cache --push --load -q --rm ctx", "ctx", None, ()),
    ("--file=d/Dockerfile --tag=a:1 --target=t --platform=linux/amd64 ctx", "ctx", "d/Dockerfile", ("a:1",)),
    ("-qtname -fD ctx", "ctx", "D", ("name",)),
    ("--pull=always ctx", "ctx", None, ()),
    ("-- ctx", "ctx", None, ()),
])
def test_options_that_take_values(line: str, context: str, dockerfile: str | None, tags: tuple) -> None:
    b = parse_build(Engine.DOCKER, line.split())
    assert (b.context, b.context_unknown, b.dockerfile, b.tags) == (context, "", dockerfile, tags)


@pytest.mark.parametrize("engine,line,why", [
    (Engine.DOCKER, "--frobnicate x ctx", "unknown option '--frobnicate'"),
    (Engine.DOCKER, "-Z ctx", "unknown option '-Z'"),
    (Engine.DOCKER, "-t x", "no context argument"),
    (Engine.DOCKER, "a b", "2 positional arguments where one context is expected"),
    (Engine.DOCKER, "-", "the context is read from stdin"),
    (Engine.DOCKER, "https://github.com/a/b.git", "a remote context 'https://github.com/a/b.git'"),
])
def test_what_cannot_be_read_is_unknown(engine: Engine, line: str, why: str) -> None:
    b = parse_build(engine, line.split())
    assert b.context_unknown == why


def test_podman_and_buildah_default_to_the_working_directory() -> None:
    assert parse_build(Engine.BUILDAH, ["-t", "x"]).context == "."
    assert parse_build(Engine.PODMAN, ["--layers", "-t", "x"]).context == "."


def test_build_arg_without_value_comes_from_known_variables() -> None:
    b = parse_build(Engine.DOCKER, ["--build-arg", "V", "--build-arg", "W", "."], {"V": "1"})
    assert b.args == {"V": "1"}


# -- shell scripts
def sites(text: str, script_dir: str | None = "", cwd: str | None = ""):
    return [(s.line, s.cwd, s.build.tags, s.build.context) for s in shell_builds(text, script_dir, cwd, "x")]


def test_commented_lines_heredocs_and_echo_are_not_builds() -> None:
    text = ("# docker build -t a .\n"
            "echo docker build -t b .   # docker build -t c .\n"
            "cat <<EOF\ndocker build -t d .\nEOF\n"
            "  #docker build -t e .\n"
            "docker build -t f . # docker build -t g .\n")
    assert sites(text) == [(7, "", ("f",), ".")]


def test_continuations_are_joined_and_keep_the_first_line() -> None:
    text = "set -e\ndocker buildx build \\\n  --platform linux/amd64 \\\n  -t app:1 \\\n  ctx && echo ok\n"
    assert sites(text) == [(2, "", ("app:1",), "ctx")]


def test_variables_only_when_assigned_literally() -> None:
    text = ('TAG=v1\nDIR="sub dir"\nexport NAME=app\n'
            'docker build -t $NAME:$TAG "${DIR}"\n'
            'docker build -t x:$UNSET .\n'
            'if [ -n "$1" ]; then TAG=$1; fi\n'
            'docker build -t y:${TAG} .\n'
            'docker build -t z ${CTX:-.}\n')
    got = shell_builds(text, "", "", "")
    assert [(s.build.tags, s.build.unknown_tags, s.build.context) for s in got] == [
        (("app:v1",), False, "sub dir"), ((), True, "."), ((), True, "."), (("z",), False, None)]


def test_cd_to_the_scripts_folder_in_its_spellings() -> None:
    for cd in ('cd "$(dirname "$0")"', "cd `dirname $0`", 'cd "${0%/*}"',
               'SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)\ncd $SCRIPT_DIR',
               'HERE="$( cd -- "$( dirname -- "${BASH_SOURCE[0]}" )" &> /dev/null && pwd )"\ncd "$HERE"'):
        assert sites(cd + "\ncd ..\ndocker build -t a .\n", "tools/ci", None)[0][1] == "tools", cd
    assert sites('cd "$(dirname "$0")/.."\ndocker build -t a .\n', "tools/ci", None)[0][1] == "tools"
    assert sites('cd "$(git rev-parse --show-toplevel)"\ndocker build -t a .\n', "x/y", None)[0][1] == ""


def test_directories_that_cannot_be_known() -> None:
    assert sites("docker build -t a .\n", "common", None)[0][1] is None
    assert sites("[ -d x ] && cd x\ndocker build -t a .\n")[0][1] is None
    assert sites("if true; then cd x; fi\ndocker build -t a .\n")[0][1] is None
    assert sites("cd $SOMEWHERE\ndocker build -t a .\n")[0][1] is None
    assert sites(". ./env.sh\ndocker build -t a .\n")[0][1] is None
    assert sites("build() {\n  docker build -t a .\n}\nbuild\n")[0][1] is None


def test_subshells_and_chains_keep_their_directory() -> None:
    text = "(cd sub && docker build -t a .)\ndocker build -t b .\ncd x || exit 1\ndocker build -t c .\n"
    assert [s[:2] for s in sites(text)] == [(1, "sub"), (2, ""), (4, "x")]


# -- the graph: scripts, Makefiles, CI
def test_volume_value_is_not_the_context(tmp_path: Path) -> None:
    make(tmp_path, {"build.sh": "docker build --volume /a:/b:Z -f svc/Dockerfile -t acme/svc ctx\n",
                    "svc/Dockerfile": "FROM a\nCOPY app.py /\n", "ctx/app.py": ""})
    m = graph_of(tmp_path).images["acme/svc:latest"]
    assert (m.dockerfile, m.context, m.context_unknown) == ("svc/Dockerfile", "ctx", None)


def test_a_script_run_from_elsewhere_has_an_unknown_context(tmp_path: Path) -> None:
    make(tmp_path, {"common/run.sh": "docker build -f svc/Dockerfile -t acme/svc .\n",
                    "x/run.sh": "cd x; ../common/run.sh\n",
                    "svc/Dockerfile": "FROM a\nCOPY missing.txt /\n"})
    g = graph_of(tmp_path)
    m = g.images["acme/svc:latest"]
    node = g.dockerfiles["svc/Dockerfile"]
    assert m.source.path == "common/run.sh" and m.context_unknown is not None
    assert node.context_unknown is m.context_unknown or node.context_unknown == m.context_unknown
    assert "the directory the command runs in is unknown" in node.context_unknown.reason
    assert "common/run.sh:1" in node.context_unknown.looked


def test_a_script_that_goes_to_its_parent(tmp_path: Path) -> None:
    make(tmp_path, {"tools/build.sh": 'cd "$(dirname "$0")/.."\ndocker build -f svc/Dockerfile -t acme/svc .\n',
                    "svc/Dockerfile": "FROM a\n"})
    m = graph_of(tmp_path).images["acme/svc:latest"]
    assert (m.context, m.context_unknown, m.source.line) == ("", None, 2)


def test_an_unknown_option_keeps_the_image_but_not_the_context(tmp_path: Path) -> None:
    make(tmp_path, {"build.sh": "docker build --frob -f svc/Dockerfile -t acme/svc ctx\n",
                    "svc/Dockerfile": "FROM a\nCOPY nowhere /\n"})
    g = graph_of(tmp_path)
    m = g.images["acme/svc:latest"]
    assert m.context_unknown is not None and "unknown option '--frob'" in m.context_unknown.reason


def test_makefile_runs_in_its_folder_with_its_variables(tmp_path: Path) -> None:
    make(tmp_path, {"deploy/Makefile": ("IMAGE := acme/api\nTAG ?= dev\n"
                                        "# docker build -t commented .\n"
                                        "build:\n\t@docker build -f ../api/Dockerfile -t $(IMAGE):1 ..\n"
                                        "\tcd .. && docker build -t $(IMAGE):$(TAG) -f api/Dockerfile .\n"
                                        "\tdocker build -t acme/ctx -f $(CURDIR)/../api/Dockerfile $(CURDIR)/..\n"),
                    "api/Dockerfile": "FROM a\n"})
    g = graph_of(tmp_path)
    m = g.images["acme/api:1"]
    assert (m.dockerfile, m.context, m.source.path, m.source.line) == ("api/Dockerfile", "", "deploy/Makefile", 5)
    assert not any(r.startswith("acme/api:dev") for r in g.images)  # ?= may be overridden
    assert g.images["acme/ctx:latest"].context == ""
    assert not any("commented" in r for r in g.images)


# Shaped like jupyter/docker-stacks' Makefile, with a literal engine.
STACKS_MAKEFILE = (
    "REGISTRY := quay.io\nOWNER := jupyter\n"
    "IMG = $(REGISTRY)/$(OWNER)/$(notdir $@)\n"
    "ALL_IMAGES := \\\n\tfoundation \\\n\tbase-notebook\n"
    "define image_refs\ndocker image ls | grep -E \"$(1)\"\nendef\n"
    "build/%: ARGS?=\n"
    "build/%: ## build the latest image for a stack\n"
    "\tdocker build \\\n\t  --tag \"$(IMG)\" \\\n\t  \"./images/$(notdir $@)\" \\\n"
    "\t  --build-arg OWNER=\"$(OWNER)\"\n"
    "build-all: $(foreach I, $(ALL_IMAGES), build/$(I)) ## build all stacks\n"
    "push/%:\n\tdocker push $(IMG)\n"
    "orphan/%:\n\tdocker build -t acme/orphan-$* images/$*\n")


def test_makefile_pattern_rules_build_the_stems_other_rules_name(tmp_path: Path) -> None:
    make(tmp_path, {"Makefile": STACKS_MAKEFILE,
                    "images/foundation/Dockerfile": "FROM ubuntu:24.04\n",
                    "images/base-notebook/Dockerfile": "ARG REGISTRY=quay.io\nARG OWNER=jupyter\n"
                                                       "ARG BASE_IMAGE=$REGISTRY/$OWNER/foundation\nFROM $BASE_IMAGE\n",
                    "images/extra/Dockerfile": "FROM x\n"})
    g = graph_of(tmp_path)
    assert {r: (m.dockerfile, m.context, m.source.line) for r, m in g.images.items()} == {
        "quay.io/jupyter/foundation:latest": ("images/foundation/Dockerfile", "images/foundation", 12),
        "quay.io/jupyter/base-notebook:latest": ("images/base-notebook/Dockerfile", "images/base-notebook", 12)}
    assert g.images["quay.io/jupyter/base-notebook:latest"].args == {"OWNER": "jupyter"}
    # ARG defaults built from other ARGs name the in-repo base.
    base = g.base_of("images/base-notebook/Dockerfile", 0)
    assert (base.kind, base.ref, base.how) == ("internal", "quay.io/jupyter/foundation:latest", "ARG default")
    assert "images/extra/Dockerfile" not in {m.dockerfile for m in g.images.values()}  # no rule names `extra`


def test_makefile_variables_that_make_decides_at_run_time_stay_unknown(tmp_path: Path) -> None:
    make(tmp_path, {"Makefile": ("REG ?= quay.io\nCLI := $(shell command -v docker)\nTAG := a\nTAG := b\n"
                                 "one:\n\tdocker build -t $(REG)/one images/one\n"
                                 "two:\n\tdocker build -t acme/two:$(TAG) images/two\n"
                                 "three:\n\t$(CLI) build -t acme/three images/three\n"),
                    "images/one/Dockerfile": "FROM x\n", "images/two/Dockerfile": "FROM x\n",
                    "images/three/Dockerfile": "FROM x\n"})
    g = graph_of(tmp_path)
    assert g.images == {}
    # The builds are still read for their contexts (an unnamed build), not for a name.
    assert g.dockerfiles["images/one/Dockerfile"].context_source == "command Makefile:6"


def test_justfile_recipes(tmp_path: Path) -> None:
    make(tmp_path, {"deploy/justfile": (
        "registry := \"ghcr.io/acme\"\ntag := `git describe`\n\n"
        "# build the api\nbuild-api:\n    docker build -t {{registry}}/api -f ../api/Dockerfile ..\n\n"
        "build-web version:\n    docker build -t {{registry}}/web:{{version}} ../web\n\n"
        "[no-cd]\nbuild-cli:\n    docker build -t {{registry}}/cli cli\n\n"
        "worker:\n    #!/usr/bin/env bash\n    cd ..\n    docker build -t {{registry}}/worker:{{tag}} worker\n"
        "    docker build -t {{registry}}/worker:edge worker\n"),
        "api/Dockerfile": "FROM x\n", "web/Dockerfile": "FROM x\n", "cli/Dockerfile": "FROM x\n",
        "worker/Dockerfile": "FROM x\n"})
    g = graph_of(tmp_path)
    assert {r: (m.dockerfile, m.context, m.source.line) for r, m in g.images.items()} == {
        "ghcr.io/acme/api:latest": ("api/Dockerfile", "", 6),
        "ghcr.io/acme/cli:latest": ("cli/Dockerfile", "cli", 13),
        "ghcr.io/acme/worker:edge": ("worker/Dockerfile", "worker", 19)}
    assert g.dockerfiles["web/Dockerfile"].context_source == "command deploy/justfile:9"  # unnamed: a parameter
    # [no-cd]: run where just is started, so that reading of the context is unknown (the
    # name is kept; without a COPY the Dockerfile's folder serves).
    assert "[no-cd]" in g.dockerfiles["cli/Dockerfile"].context_source


def test_a_file_only_a_workflow_run_step_names_is_a_dockerfile(tmp_path: Path) -> None:
    make(tmp_path, {".github/workflows/smoke.yml": ("jobs:\n  smoke:\n    steps:\n      - run: |\n"
                                                    "          docker build -f t/smoke/workers/docker/dev -t smoke-dev .\n"),
                    "t/smoke/workers/docker/dev": "FROM python:3.12-slim\nCOPY pyproject.toml /app/\n",
                    "pyproject.toml": "[project]\nname = 'x'\n"})
    g = graph_of(tmp_path)
    m = g.images["smoke-dev:latest"]
    assert (m.dockerfile, m.context, m.source.path, m.source.line) == (
        "t/smoke/workers/docker/dev", "", ".github/workflows/smoke.yml", 5)


def test_actions_run_steps_and_build_push_action(tmp_path: Path) -> None:
    wf = ("on: push\n"
          "defaults:\n  run:\n    working-directory: services\n"
          "jobs:\n"
          "  build:\n"
          "    runs-on: ubuntu-latest\n"
          "    steps:\n"
          "      - uses: actions/checkout@v4\n"
          "      - run: |\n"
          "          echo start\n"
          "          docker build -t acme/a -f a/Dockerfile a\n"
          "      - run: docker build -t acme/b ../b\n"
          "        working-directory: services/a\n"
          "      - uses: docker/build-push-action@v6\n"
          "        with:\n"
          "          context: ./c\n"
          "          file: ./c/Containerfile.d/Dockerfile\n"
          "          tags: |\n            acme/c:1\n            ${{ env.REGISTRY }}/c:1\n"
          "          build-args: |\n            BASE=acme/a\n"
          "      - uses: docker/build-push-action@v6\n"
          "        with:\n          tags: acme/root\n"
          "      - uses: docker/build-push-action@v6\n"
          "        with:\n          context: ${{ matrix.dir }}\n          file: d/Dockerfile\n          tags: acme/d\n")
    make(tmp_path, {".github/workflows/ci.yml": wf, "services/a/Dockerfile": "FROM x\n",
                    "services/b/Dockerfile": "FROM x\n", "c/Containerfile.d/Dockerfile": "FROM x\n",
                    "Dockerfile": "FROM x\n", "d/Dockerfile": "FROM x\nCOPY nowhere /\n"})
    g = graph_of(tmp_path)
    a, b, c = g.images["acme/a:latest"], g.images["acme/b:latest"], g.images["acme/c:1"]
    assert (a.dockerfile, a.context, a.source.line) == ("services/a/Dockerfile", "services/a", 12)
    assert (b.dockerfile, b.context, b.source.line) == ("services/b/Dockerfile", "services/b", 13)
    assert (c.dockerfile, c.context, c.args) == ("c/Containerfile.d/Dockerfile", "c", {"BASE": "acme/a"})
    assert len([r for r in g.images if "/c:1" in r]) == 1
    assert (g.images["acme/root:latest"].dockerfile, g.images["acme/root:latest"].context) == ("Dockerfile", "")
    d = g.images["acme/d:latest"]
    assert d.context_unknown is not None and "matrix.dir" in d.context_unknown.reason


def test_gitlab_jobs_share_one_shell(tmp_path: Path) -> None:
    make(tmp_path, {".gitlab-ci.yml": ("build:\n  before_script:\n    - cd svc\n  script:\n"
                                       "    - docker build -t acme/svc .\n"),
                    "svc/Dockerfile": "FROM x\n"})
    m = graph_of(tmp_path).images["acme/svc:latest"]
    assert (m.context, m.source.line) == ("svc", 5)


# -- compose and devcontainer
def test_compose_env_interpolation_and_key_lines(tmp_path: Path) -> None:
    make(tmp_path, {
        "stack/.env": "# settings\nAPP_DIR=apps/web\nexport TAG='2.0'\n",
        "stack/compose.yaml": ("x-common: &c\n  depends_on:\n    web:\n      condition: service_started\n"
                               "services:\n"
                               "  worker:\n    <<: *c\n    image: acme/worker:${TAG}\n    build: ${APP_DIR}\n"
                               "  web:\n    image: acme/web:${MISSING:-1}\n"
                               "    build:\n      context: ${APP_DIR}\n      dockerfile: web.Dockerfile\n"
                               "      args:\n        - MODE\n        - LEVEL=${TAG}\n"
                               "  other:\n    image: acme/other\n    build: ${NOT_SET}\n"),
        "stack/apps/web/Dockerfile": "FROM x\n", "stack/apps/web/web.Dockerfile": "FROM x\n",
    })
    g = graph_of(tmp_path)
    worker, web = g.images["acme/worker:2.0"], g.images["acme/web:1"]
    assert (worker.dockerfile, worker.context, worker.source.line) == ("stack/apps/web/Dockerfile", "stack/apps/web", 6)
    assert (web.dockerfile, web.source.line, web.args) == ("stack/apps/web/web.Dockerfile", 10, {"LEVEL": "2.0"})
    assert "acme/other:latest" not in g.images


def test_compose_names_images_as_compose_does(tmp_path: Path) -> None:
    """`<project>-<service>`: project = `name:`, else COMPOSE_PROJECT_NAME from `.env`, else
    the compose file's folder (the repository's own for one at the root), lowercased with
    everything but [a-z0-9_-] dropped and no leading `_`/`-` (compose-go NormalizeProjectName)."""
    root = tmp_path / "My Shop.v2"
    make(root, {
        "compose.yaml": "services:\n  web:\n    build: .\n",
        "Dockerfile": "FROM x\n",
        ".devcontainer/docker-compose.yml": "services:\n  app:\n    build: {context: .., dockerfile: .devcontainer/Dockerfile}\n",
        ".devcontainer/Dockerfile": "FROM x\n",
        "named/compose.yml": "name: Billing_API\nservices:\n  api:\n    build: .\n", "named/Dockerfile": "FROM x\n",
        "env/.env": "COMPOSE_PROJECT_NAME=fromenv\n", "env/compose.yml": "services:\n  job:\n    build: .\n",
        "env/Dockerfile": "FROM x\n",
        "bad/compose.yml": "services:\n  Web_:\n    build: .\n", "bad/Dockerfile": "FROM x\n",
    })
    g = graph_of(root)
    assert {ref: m.dockerfile for ref, m in g.images.items()} == {
        "myshopv2-web:latest": "Dockerfile", "devcontainer-app:latest": ".devcontainer/Dockerfile",
        "billing_api-api:latest": "named/Dockerfile", "fromenv-job:latest": "env/Dockerfile"}
    # `bad-Web_` is no valid reference: no name is invented, the context is still read.
    node = g.dockerfiles["bad/Dockerfile"]
    assert (node.context, node.context_source) == ("bad", "compose bad/compose.yml:2")


@pytest.mark.parametrize("raw,project", [("My App", "myapp"), ("__x-y", "x-y"), ("-_.", ""), ("Ünïcode1", "ncode1")])
def test_compose_project_name_normalisation(raw: str, project: str) -> None:
    from dockfix.graph.sources import compose_project_name

    assert compose_project_name(raw) == project


def test_devcontainer_with_comments(tmp_path: Path) -> None:
    make(tmp_path, {".devcontainer/devcontainer.json": ('{\n  // the dev image\n  "name": "dev",\n'
                                                        '  "build": {\n    /* relative to this folder */\n'
                                                        '    "dockerfile": "Dockerfile",\n    "context": "..",\n  },\n}\n'),
                    ".devcontainer/Dockerfile": "FROM x\nCOPY requirements.txt /\n", "requirements.txt": ""})
    node = graph_of(tmp_path).dockerfiles[".devcontainer/Dockerfile"]
    assert (node.context, node.context_source, node.context_unknown) == ("", "devcontainer .devcontainer/devcontainer.json:6", None)


# -- the fallback that used to flag every root-relative COPY
def test_unresolvable_copy_sources_make_the_context_unknown_once(tmp_path: Path) -> None:
    make(tmp_path, {"svc/Dockerfile": "FROM x\nCOPY app /app\nCOPY generated.txt /\n", "app/main.py": ""})
    g = graph_of(tmp_path)
    node = g.dockerfiles["svc/Dockerfile"]
    assert node.context_unknown is not None
    assert node.context_unknown.looked == ("svc", ".")
    assert "'generated.txt' in none" in node.context_unknown.reason
    text = format_graph(g)
    assert text.count("context:    unknown: ") == 1
    assert graph_to_json(g)["dockerfiles"][0]["context_unknown"]["looked"] == ["svc", "."]


# A Dockerfile the build copies up a folder first (`cp run/Dockerfile . && gcloud builds
# submit`): `COPY . ./` exists in every folder above it, so the sources say nothing.
CLOUD_RUN = {"svc/run/Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY . ./\n"
                                    "RUN pip install --no-cache-dir -r requirements.txt\n",
             "svc/requirements.txt": "flask==3.0.0\n", "svc/main.py": "app = None\n"}


def test_sources_found_in_several_folders_leave_the_context_unknown(tmp_path: Path) -> None:
    make(tmp_path, CLOUD_RUN)
    node = graph_of(tmp_path).dockerfiles["svc/run/Dockerfile"]
    assert node.context == "svc/run" and node.context_unknown is not None
    assert node.context_unknown.looked == ("svc/run", "svc")
    assert "every COPY/ADD source exists in svc/run and in svc" in node.context_unknown.reason


def test_sources_found_in_one_folder_only_name_it(tmp_path: Path) -> None:
    make(tmp_path, {**CLOUD_RUN, "svc/run/Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt ./\nCOPY . ./\n"})
    node = graph_of(tmp_path).dockerfiles["svc/run/Dockerfile"]
    assert (node.context, node.context_unknown, node.context_source) == ("svc", None, "inferred: COPY sources resolve in svc")


def test_a_parent_source_is_read_inside_the_context_as_buildkit_does(tmp_path: Path) -> None:
    """`ADD ../backup.env` is the context's own `backup.env` (BuildKit never leaves the
    context): next to a file only the Dockerfile's folder holds, no folder holds both."""
    make(tmp_path, {"backup/backup.env": "A=1\n", "backup/docker/run.sh": "",
                    "backup/docker/Dockerfile": "FROM x\nADD /run.sh /run.sh\nADD ../backup.env /backup.env\n"})
    node = graph_of(tmp_path).dockerfiles["backup/docker/Dockerfile"]
    assert node.context_unknown is not None and node.context_unknown.looked == ("backup/docker", "backup", ".")
    assert node.context_unknown.reason.startswith("no directory from the Dockerfile's folder up to the repository root")
    make(tmp_path, {"backup/docker/Dockerfile": "FROM x\nADD ../backup/backup.env /backup.env\n"})
    node = graph_of(tmp_path).dockerfiles["backup/docker/Dockerfile"]
    assert (node.context, node.context_unknown) == ("", None)  # the root's backup/backup.env


def test_check_reports_no_defect_from_a_context_it_only_guessed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dockfix.cli import app

    make(tmp_path, CLOUD_RUN)
    result = CliRunner().invoke(app, ["check", str(tmp_path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    import json

    assert json.loads(result.stdout)["defects"] == []
    # Read from a build line, the same files are a real defect: the build sends svc/run.
    make(tmp_path, {"svc/run/build.sh": "cd \"$(dirname \"$0\")\"\ndocker build -t acme/run .\n"})
    result = CliRunner().invoke(app, ["check", str(tmp_path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 1
    assert [d["invariant"] for d in json.loads(result.stdout)["defects"]] == ["missing-requirement-file"]


def test_a_known_reading_wins_over_an_unknown_one(tmp_path: Path) -> None:
    make(tmp_path, {"common/run.sh": "docker build -f svc/Dockerfile -t acme/svc .\n",
                    "compose.yaml": "services:\n  svc:\n    build: {context: ., dockerfile: svc/Dockerfile}\n",
                    "svc/Dockerfile": "FROM x\nCOPY nowhere /\n"})
    node = graph_of(tmp_path).dockerfiles["svc/Dockerfile"]
    assert (node.context, node.context_unknown, node.context_source) == ("", None, "compose compose.yaml:2")


def test_a_script_takes_the_directory_its_callers_run_it_in(tmp_path: Path) -> None:
    make(tmp_path, {"common/run.sh": "docker build -f ../svc/Dockerfile -t acme/svc ..\n",
                    "go.sh": "cd x; ../common/run.sh\n",
                    ".github/workflows/ci.yml": "jobs:\n  b:\n    steps:\n      - run: ./tools/build.sh\n",
                    "tools/build.sh": "docker build -f svc/Dockerfile -t acme/svc2 .\n",
                    "svc/Dockerfile": "FROM a\n"})
    g = graph_of(tmp_path)
    m = g.images["acme/svc:latest"]
    assert (m.dockerfile, m.context, m.context_unknown, m.source.detail) == ("svc/Dockerfile", "", None, "run in x by go.sh:1")
    m2 = g.images["acme/svc2:latest"]
    assert (m2.context, m2.context_unknown, m2.source.detail) == ("", None, "run in . by .github/workflows/ci.yml:4")


def test_callers_that_disagree_leave_the_directory_unknown(tmp_path: Path) -> None:
    make(tmp_path, {"common/run.sh": "docker build -f svc/Dockerfile -t acme/svc .\n",
                    "Makefile": "a:\n\tcommon/run.sh\nb:\n\tcd svc && ../common/run.sh\n",
                    "svc/Dockerfile": "FROM a\nCOPY nowhere /\n"})
    m = graph_of(tmp_path).images["acme/svc:latest"]
    assert m.context_unknown is not None and "no caller in the repository says" in m.context_unknown.reason


def test_every_build_spelling_and_containerfile(tmp_path: Path) -> None:
    make(tmp_path, {"build.sh": ("sudo -E docker image build -t acme/a a\n"
                                 "DOCKER_BUILDKIT=1 docker builder build -t acme/b b\n"
                                 "buildah bud --layers -t acme/c c\n"
                                 "podman build -t acme/d d\n"
                                 "buildah build --format docker -t acme/e -f e/Dockerfile e\n"
                                 "docker compose build\n"),
                    "a/Dockerfile": "FROM x\n", "b/Dockerfile": "FROM x\n", "c/Dockerfile": "FROM x\n",
                    "d/Dockerfile": "FROM x\n", "d/Containerfile": "FROM y\n", "e/Dockerfile": "FROM x\n"})
    g = graph_of(tmp_path)
    assert {r: (m.dockerfile, m.context) for r, m in g.images.items()} == {
        "acme/a:latest": ("a/Dockerfile", "a"), "acme/b:latest": ("b/Dockerfile", "b"),
        "acme/c:latest": ("c/Dockerfile", "c"), "acme/e:latest": ("e/Dockerfile", "e")}  # d: podman reads Containerfile


def test_a_ci_step_in_an_unknown_directory_maps_nothing(tmp_path: Path) -> None:
    make(tmp_path, {".github/workflows/ci.yml": ("jobs:\n  b:\n    steps:\n      - run: docker build -t acme/a .\n"
                                                 "        working-directory: ${{ matrix.dir }}\n"
                                                 "      - run: docker build -t acme/b .\n        working-directory: [x]\n"
                                                 "      - uses: docker/build-push-action@v6\n"
                                                 "        with: {context: {a: 1}, file: Dockerfile, tags: acme/c}\n"),
                    "Dockerfile": "FROM x\nCOPY nowhere /\n"})
    g = graph_of(tmp_path)
    assert "acme/a:latest" not in g.images and "acme/b:latest" not in g.images
    assert g.images["acme/c:latest"].context_unknown is not None


def test_a_missing_source_gitignore_covers_does_not_make_the_context_unknown(tmp_path: Path) -> None:
    """issue 13: a source `.gitignore` covers is made by CI before the build; the folder that
    holds every other source is the context. Without the `.gitignore` line, or with a second
    folder holding the others, the context stays unknown."""
    files = {"svc/Dockerfile": "FROM x\nCOPY app /app\nCOPY dist/app.whl /tmp/\n", "svc/app/main.py": "",
             "svc/.gitignore": "dist/\n"}
    make(tmp_path, files)
    node = graph_of(tmp_path).dockerfiles["svc/Dockerfile"]
    assert (node.context, node.context_unknown) == ("svc", None)
    assert node.context_source == ("inferred: COPY sources resolve in svc, but 'dist/app.whl' is missing "
                                   "(svc/.gitignore:1: dist/ ignores it), which CI makes before the build")
    make(tmp_path, {"app/main.py": "", ".gitignore": "dist/\n"})  # the root holds them so too: two folders
    assert graph_of(tmp_path).dockerfiles["svc/Dockerfile"].context_unknown is not None
    (tmp_path / "app" / "main.py").unlink()
    (tmp_path / ".gitignore").unlink()
    (tmp_path / "svc" / ".gitignore").write_text("build/\n")  # not covered: unknown
    assert graph_of(tmp_path).dockerfiles["svc/Dockerfile"].context_unknown is not None


def test_only_generated_sources_say_nothing_of_the_context(tmp_path: Path) -> None:
    make(tmp_path, {"svc/Dockerfile": "FROM x\nADD build /ml\n", ".gitignore": "**/build\n"})
    assert graph_of(tmp_path).dockerfiles["svc/Dockerfile"].context_unknown is not None


def test_a_wildcard_source_matches_within_a_folder_as_buildkit_does(tmp_path: Path) -> None:
    """`*.go` names the context's own Go files: `*` does not cross `/` (filepath.Match), so a
    folder whose Go files are all below subfolders does not hold it."""
    make(tmp_path, {"tools/svc/Dockerfile": "FROM golang\nADD *.go /go/src\n", "tools/svc/main.go": "",
                    "tools/other/x.go": ""})
    node = graph_of(tmp_path).dockerfiles["tools/svc/Dockerfile"]
    assert (node.context, node.context_unknown) == ("tools/svc", None)
