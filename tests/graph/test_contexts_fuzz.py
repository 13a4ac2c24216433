"""No input makes the context readers raise: shell text, Makefiles, workflows, GitLab CI,
compose files and devcontainer.json made of the characters that matter to them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.graph.commands import _read
from dockfix.graph.scripts import shell_builds
from dockfix.graph.sources import _compose_file

PIECES = ["docker build ", "podman build ", "buildah bud ", "-t x ", "-f d/Dockerfile ", ".", " ", "\n", "\t",
          "\\\n", "#", "'", '"', "$", "${", "}", "$(", ")", "(", "`", "cd ", "..", "/", "&&", "||", ";", "|",
          "<<EOF\n", "EOF\n", "if ", "then ", "fi", "for ", "do ", "done", "{", "A=1 ", "$A", "${A:-x}",
          '"$(dirname "$0")"', "--volume", "=", "run: ", "  ", "- ", "jobs:", "steps:", "script:", ":", ",",
          "with:", "uses: docker/build-push-action@v6", "context: ", "services:", "build: ", "//", "/*", "*/",
          "{\"build\": {\"dockerfile\": ", "}", "[", "]", "\x00", "é", "\r"]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_readers_never_raise(text: str) -> None:
    shell_builds(text, "s", None, "fuzz")
    shell_builds(text, None, "", "")
    data = text.encode("utf-8", "surrogatepass")
    for kind, path in (("make", "Makefile"), ("script", "a/b.sh"), ("actions", ".github/workflows/x.yml"),
                       ("gitlab", ".gitlab-ci.yml"), ("devcontainer", ".devcontainer/devcontainer.json")):
        _read(kind, path, data)
        _read(kind, path, data, ("", "x:1"))
    _compose_file("compose.yaml", data, data)
