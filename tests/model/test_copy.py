"""src/dockfix/model/copy.py: the rules buildah 1.28 cannot check (tests/build/test_copy_buildah.py
checks the rest against real builds), each from BuildKit's source or Go's documented behaviour."""

from __future__ import annotations

import io
import tarfile

import pytest

from dockfix.graph.dockerignore import DockerIgnore
from dockfix.model.copy import (
    BuildContext,
    CopySpec,
    EntryType,
    FailureKind,
    Origin,
    PathKind,
    StageFiles,
    copy_result,
    go_match,
    url_name,
)
from dockfix.syntax import parse

FILES = ("a.txt", "b.txt", "d/sub/y.py", "d/x.py", "home.txt", "homer.md", "src/pkg/m.py")
CTX = BuildContext(FILES, FILES)


def _spec(line: str) -> CopySpec:
    (ins,) = [i for i in parse(f"FROM scratch\n{line}\n".encode()).instructions if i.keyword in ("COPY", "ADD")]
    return CopySpec.of(ins)


def _files(line: str, context: BuildContext = CTX, workdir: str = "/", **kw) -> dict[str, str]:
    result = copy_result(_spec(line), workdir, context, **kw)
    assert not result.failures and not result.unknown, (result.failures, result.unknown)
    return {f.path: f.source for f in result.landed}


# Go's path/filepath match_test.go table (the behaviour BuildKit's ResolveWildcards relies on).
@pytest.mark.parametrize("pattern, name, match", [
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True),
    ("a*", "ab/c", False), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True), ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False), ("ab[^e-g]", "abc", True), ("a\\*b", "a*b", True), ("a\\*b", "ab", False),
    ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True), ("a???b", "a☺b", False), ("[a-ζ]*", "α", True),
    ("*[a-ζ]", "A", False), ("a?b", "a/b", False), ("a*b", "a/b", False), ("[\\]a]", "]", True),
    ("[\\-]", "-", True), ("[x\\-]", "-", True), ("[x\\-]", "z", False), ("[\\-x]", "x", True),
    ("[]a]", "]", False), ("[-]", "-", False), ("[x-]", "x", False), ("[-x]", "x", False), ("\\", "a", False),
    ("[a-b-c]", "a", False), ("*x", "xxx", True),
    # not fnmatch: "!" is no negation in Go, and "*" matches a leading dot
    ("[!a].txt", "a.txt", True), ("[!a].txt", "b.txt", False), ("*.txt", ".hidden.txt", True),
])
def test_go_match(pattern: str, name: str, match: bool) -> None:
    assert go_match(pattern, name) is match


def test_heredoc_is_a_file_named_after_its_delimiter() -> None:
    result = copy_result(_spec("COPY <<EOF /etc/app.conf\nx=1\nEOF"), "/", CTX)
    assert [(f.path, f.origin, f.source) for f in result.landed] == [("/etc/app.conf", Origin.HEREDOC, "EOF")]
    result = copy_result(_spec("COPY <<one <<two /conf/\n1\none\n2\ntwo"), "/", CTX)
    assert sorted(f.path for f in result.landed) == ["/conf/one", "/conf/two"]


def test_exclude_applies_below_a_directory_and_to_wildcard_matches() -> None:
    # patternmatcher, as .dockerignore: "*" stays in one directory, "**" crosses them
    assert _files("COPY --exclude=*.py d /o/") == {"/o/sub/y.py": "d/sub/y.py"}
    assert _files("COPY --exclude=**/*.py d /o/") == {}
    assert _files("COPY --exclude=sub d /o/") == {"/o/x.py": "d/x.py"}
    assert _files("COPY --exclude=*.txt hom* /mydir/") == {"/mydir/homer.md": "homer.md"}  # Docker's doc example


def test_parents_keeps_the_source_path_or_what_follows_a_pivot() -> None:
    assert _files("COPY --parents d/x.py src/pkg /p/") == {"/p/d/x.py": "d/x.py", "/p/src/pkg/m.py": "src/pkg/m.py"}
    assert _files("COPY --parents src/./pkg/m.py /p/") == {"/p/pkg/m.py": "src/pkg/m.py"}
    assert _files("COPY --parents d/*.py /p/") == {"/p/d/x.py": "d/x.py"}


def test_link_changes_no_file() -> None:
    assert _files("COPY --link a.txt /x") == _files("COPY a.txt /x")


def test_urls_git_and_images() -> None:
    assert _files("ADD https://example.com/dl/tool.tgz?x=1 /opt/") == {"/opt/tool.tgz": "https://example.com/dl/tool.tgz?x=1"}
    assert url_name("https://example.com") == "__unnamed__"
    result = copy_result(_spec("ADD https://github.com/o/r.git#v1 /src"), "/", CTX)
    assert [u.path for u in result.unknown] == ["/src"] and not result.landed
    result = copy_result(_spec("COPY https://example.com/x /x"), "/", CTX)
    assert [f.kind for f in result.failures] == [FailureKind.INVALID]
    result = copy_result(_spec("COPY --from=nginx:1 /etc/nginx/nginx.conf /etc/nginx/"), "/", CTX)
    assert [u.path for u in result.unknown] == ["/etc/nginx/nginx.conf"]


def test_another_stage_run_output_is_unknown_unless_the_stage_lists_everything() -> None:
    spec = _spec("COPY --from=builder /svc /usr/bin/svc")
    made_by_run = StageFiles({"/src/main.go": "context:main.go"}, complete=False, name="builder")
    result = copy_result(spec, "/", None, stage=made_by_run)
    assert [u.path for u in result.unknown] == ["/usr/bin/svc"] and not result.failures
    listed = StageFiles({"/src/main.go": "context:main.go"}, complete=True, name="builder")
    assert [f.kind for f in copy_result(spec, "/", None, stage=listed).failures] == [FailureKind.MISSING_SOURCE]
    partial = copy_result(_spec("COPY --from=builder /src /app"), "/", None, stage=made_by_run)
    assert [f.path for f in partial.landed] == ["/app/main.go"] and [u.partial for u in partial.unknown] == [True]


def test_a_relative_from_source_is_the_root_of_the_stage() -> None:
    stage = StageFiles({"/app/x": "context:x"}, complete=True)
    assert [f.path for f in copy_result(_spec("COPY --from=s app/x /y"), "/w", None, stage=stage).landed] == ["/y"]


def test_excluded_source_names_the_deciding_pattern() -> None:
    ignore = DockerIgnore.parse(b"*.md\n!README.md\nhomer.md\n")
    context = BuildContext(ignore.filter(list(FILES)), FILES, ignore, "app.Dockerfile.dockerignore")
    (failure,) = copy_result(_spec("COPY homer.md /x"), "/", context).failures
    assert (failure.kind, failure.pattern, failure.pattern_line) == (FailureKind.EXCLUDED_SOURCE, "homer.md", 3)
    assert "app.Dockerfile.dockerignore:3" in failure.message


def test_unlisted_sources_are_unknown_with_the_reason() -> None:
    context = BuildContext(FILES, FILES, unlisted=lambda p: "made by CI" if p == "dist" else None)
    result = copy_result(_spec("COPY dist /app/dist"), "/", context)
    assert [(u.path, u.reason) for u in result.unknown] == [("/app/dist", "made by CI")]
    result = copy_result(_spec("COPY build /app/build"), "/", context)
    assert [f.kind for f in result.failures] == [FailureKind.MISSING_SOURCE]


def test_a_symlink_source_is_unknown_and_a_symlink_inside_a_directory_is_a_symlink() -> None:
    context = BuildContext(("d/l", "d/x.py", "top"), ("d/l", "d/x.py", "top"), symlinks=frozenset({"d/l", "top"}))
    result = copy_result(_spec("COPY top /t"), "/", context)
    assert [u.path for u in result.unknown] == ["/t"]
    result = copy_result(_spec("COPY d /o/"), "/", context)
    assert {f.path: f.type for f in result.landed} == {"/o/l": EntryType.SYMLINK, "/o/x.py": EntryType.FILE}


def test_archives_unreadable_here_are_unknown() -> None:
    zstd = BuildContext(("x.tar.zst",), ("x.tar.zst",), read=lambda p: b"\x28\xb5\x2f\xfd" + bytes(600))
    assert [u.path for u in copy_result(_spec("ADD x.tar.zst /o/"), "/", zstd).unknown] == ["/o"]
    blind = BuildContext(("x.tar",), ("x.tar",))
    assert [u.path for u in copy_result(_spec("ADD x.tar /o/"), "/", blind).unknown] == ["/o"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        info = tarfile.TarInfo("./pkg/a.py")
        tar.addfile(info, io.BytesIO(b""))
    xz = BuildContext(("x.txz",), ("x.txz",), read=lambda p: buf.getvalue())
    assert _files("ADD x.txz /o", xz) == {"/o/pkg/a.py": "x.txz!pkg/a.py"}
    assert _files("ADD --unpack=false x.txz /o", xz) == {"/o": "x.txz"}


def test_destination_kinds() -> None:
    single = "COPY a.txt /srv"
    assert _files(single) == {"/srv": "a.txt"}
    assert _files(single, dest_kind=lambda p: PathKind.DIRECTORY) == {"/srv/a.txt": "a.txt"}
    # A path that may be a directory: a single file at both of its places, nothing else moves.
    maybe = lambda p: PathKind.UNKNOWN  # noqa: E731
    landed = copy_result(_spec(single), "/", CTX, maybe).landed
    assert {(f.path, f.alternative) for f in landed} == {("/srv/a.txt", True), ("/srv", True)}
    assert _files("COPY d /srv", dest_kind=maybe) == _files("COPY d /srv")
    assert _files("COPY a.txt /srv/", dest_kind=maybe) == {"/srv/a.txt": "a.txt"}
    assert [u.path for u in copy_result(_spec("COPY a.txt b.txt /srv"), "/", CTX, maybe).unknown] == ["/srv"]
    assert CopySpec.of(parse(b"FROM scratch\nCOPY a.txt\n").instructions[1]) is None
    bad = copy_result(_spec("COPY --chmod=u+x a.txt /x"), "/", CTX)
    assert [f.kind for f in bad.failures] == [FailureKind.INVALID]
