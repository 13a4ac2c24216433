"""Bake files: matrices expanded when literal, unknown otherwise; inherits; never a traceback."""

from __future__ import annotations

from pathlib import Path

from dockfix.config import load_config
from dockfix.graph import build_graph
from dockfix.graph.bake import UNKNOWN, bake_targets
from dockfix.tree import Tree

MATRIX_HCL = '''\
variable "TAG" { default = "dev" }

target "_common" {
  args = { GO_VERSION = "1.22" }
}

target "validate" {
  inherits = ["_common"]
  matrix = {
    dockerfile = [
      "Dockerfile",  # the main one
      "./hack/lint.Dockerfile",
    ]
  }
  name = "validate-${md5(dockerfile)}"
  dockerfile = dockerfile
  call = "check"
}

target "per-app" {
  matrix = { app = ["api", "web"], flavour = ["slim"] }
  name = "img-${app}-${flavour}"
  context = "apps/${app}"
  tags = ["acme/${app}:${flavour}", "acme/${app}:${TAG}"]
}

target "computed" {
  matrix = { dockerfile = split(",", DOCKERFILES) }
  dockerfile = dockerfile
}

target "from-var" {
  dockerfile = "${DF}"
}
'''


def _spec(t, key):
    value = t.spec.get(key)
    return "?" if value is UNKNOWN else value


def test_literal_matrix_is_expanded_with_variables_substituted() -> None:
    targets = bake_targets(MATRIX_HCL, is_json=False)
    validate = [t for t in targets if t.name is None and "call" in t.spec]
    # The name uses a function (md5): not evaluated, so the names are unknown.
    assert [_spec(t, "dockerfile") for t in validate] == ["Dockerfile", "./hack/lint.Dockerfile"]
    assert all(t.spec["args"] == {"GO_VERSION": "1.22"} and t.line == 7 for t in validate)
    apps = {t.name: t for t in targets if (t.name or "").startswith("img-")}
    assert sorted(apps) == ["img-api-slim", "img-web-slim"]
    # `${TAG}` is an HCL variable, not a matrix one: that tag is left out, not guessed.
    assert (apps["img-web-slim"].spec["context"], apps["img-web-slim"].spec["tags"]) == ("apps/web", ["acme/web:slim"])


def test_computed_matrix_and_variables_are_unknown() -> None:
    targets = {t.name: t for t in bake_targets(MATRIX_HCL, is_json=False) if t.name}
    assert _spec(targets["computed"], "dockerfile") == "?"
    assert _spec(targets["computed"], "context") == "?"
    assert _spec(targets["from-var"], "dockerfile") == "?"


def test_json_matrix() -> None:
    text = ('{"target": {"v": {"matrix": {"df": ["a.Dockerfile", "b.Dockerfile"]}, "name": "v-${df}",'
            ' "dockerfile": "${df}"}, "w": {"dockerfile": ["not", "a", "string"], "context": 3}}}')
    targets = {t.name: t for t in bake_targets(text, is_json=True)}
    assert targets["v-a.Dockerfile"].spec["dockerfile"] == "a.Dockerfile"
    assert targets["v-b.Dockerfile"].spec["dockerfile"] == "b.Dockerfile"
    assert _spec(targets["w"], "context") == "?"


def test_graph_maps_each_matrix_dockerfile_and_skips_unknown_ones(tmp_path: Path) -> None:
    files = {"docker-bake.hcl": MATRIX_HCL, "Dockerfile": "FROM alpine\n", "hack/lint.Dockerfile": "FROM alpine\n",
             "apps/api/Dockerfile": "FROM alpine\n", "apps/web/Dockerfile": "FROM alpine\n",
             "x/docker-bake.json": '{"target": {"w": {"dockerfile": ["Dockerfile"]}}}', "x/Dockerfile": "FROM alpine\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    g = build_graph(Tree(tmp_path), load_config(tmp_path))
    bake = sorted((m.ref, m.dockerfile, m.context) for m in g.images.values() if m.source.kind == "bake")
    # `_common` has no dockerfile: bake's default `Dockerfile`, as any target without one.
    assert bake == [("_common:latest", "Dockerfile", ""), ("acme/api:slim", "apps/api/Dockerfile", "apps/api"),
                    ("acme/web:slim", "apps/web/Dockerfile", "apps/web")]
    # The matrix instances have computed names: unnamed, yet their contexts are read.
    lint = g.dockerfiles["hack/lint.Dockerfile"]
    assert (lint.context, lint.context_source) == ("", "bake docker-bake.hcl:7")
    # `computed` names no readable Dockerfile and x/'s JSON gives a list: no mapping, a context inferred.
    assert not (g.dockerfiles["x/Dockerfile"].context_source or "").startswith("bake")


def test_moby_style_matrix_does_not_crash(tmp_path: Path) -> None:
    (tmp_path / "docker-bake.hcl").write_text(
        'target "lint" {\n  matrix = {\n    dockerfile = ["Dockerfile"]\n  }\n  name = "lint-${index(dockerfile)}"\n}\n')
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    g = build_graph(Tree(tmp_path), load_config(tmp_path))
    node = g.dockerfiles["Dockerfile"]
    assert (node.context, node.context_source) == ("", "bake docker-bake.hcl:1")
    assert not g.images


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = ['target "t" {', "}", "{", "[", "]", '"', '"x"', "${", "${d}", "matrix = {", "d = [", "dockerfile = ",
           "d", ",", "\n", "#", "//", "=", "inherits = [", '"t"', "name = ", "context = ", "(", ")", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.booleans())
def test_any_text_gives_targets_not_a_traceback(pieces: list[str], as_json: bool) -> None:
    for t in bake_targets("".join(pieces), is_json=as_json):
        assert t.name is None or isinstance(t.name, str)
        assert all(v is UNKNOWN or isinstance(v, (str, list, dict)) for v in t.spec.values())
