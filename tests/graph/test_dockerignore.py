"""Docker's .dockerignore semantics (moby/patternmatcher), case by case."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.graph.dockerignore import DockerIgnore, DockerignoreError, clean

CASES = [
    # (patterns, path, excluded)
    ("scripts/", "scripts", True),
    ("scripts/", "scripts/gate10_test.py", True),
    ("scripts/", "src/scripts/x.py", False),
    ("/scripts", "scripts/a.sh", True),
    ("./scripts", "scripts/a.sh", True),
    ("docs", "docs/guide/x.md", True),
    ("*.pyc", "a.pyc", True),
    ("*.pyc", "pkg/a.pyc", False),  # `*` never crosses "/" and the pattern is anchored
    ("**/*.pyc", "pkg/sub/a.pyc", True),
    ("**/*.sh", "entrypoint.sh", True),
    ("**/*.sh", "docker/bin/entrypoint.sh", True),
    ("**/*.sh", "docker/bin/entrypoint.shx", False),
    ("**/*.sh\n!docker/bin/entrypoint.sh", "docker/bin/entrypoint.sh", False),
    ("**/*.sh\n!docker/bin/entrypoint.sh", "docker/bin/other.sh", True),
    ("!keep.txt\n*.txt", "keep.txt", True),  # the last match wins
    ("*.txt\n!keep.txt", "keep.txt", False),
    ("docs/**", "docs/a/b.md", True),
    ("docs/**", "docsx/a.md", False),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("[a-c]x", "bx", True),
    ("[a-c]x", "dx", False),
    ("foo\\*", "foo*", True),
    ("foo\\*", "foox", False),
    ("# comment\nfoo", "foo", True),
    ("# foo", "foo", False),
    ("  foo  ", "foo", True),
    (" # not a comment", "# not a comment", True),  # only column-0 `#` starts a comment
    ("a/../b", "b", True),
    ("dir\n!dir/keep", "dir/keep", False),
    ("dir\n!dir/keep", "dir/other", True),
    ("file.(x)", "file.(x)", True),
    ("file.+", "file.+", True),
    ("file.+", "filee", False),
    # moby hands a class to Go's regexp, which reads POSIX classes in it and `[` as a member.
    ("a[[:digit:]].txt", "a1.txt", True),
    ("a[[:digit:]].txt", "ab.txt", False),
    ("a[[:digit:]].txt", "a:.txt", False),
    ("x[[:upper:][:digit:]]", "xQ", True),
    ("x[[]", "x[", True),
    ("x[a&&b]", "x&", True),
    ("*.txt", "x.txt\n", False),  # Go's `$` ends the text; Python's `$` also matches before a final newline
]


@pytest.mark.parametrize("patterns,path,excluded", CASES)
def test_matcher(patterns: str, path: str, excluded: bool) -> None:
    assert DockerIgnore.parse(patterns.encode()).excludes(path) is excluded


def test_deciding_pattern_reports_line_and_text() -> None:
    ign = DockerIgnore.parse(b"# header\n\ndocs/\nscripts/\n!scripts/keep.sh\n")
    p = ign.deciding_pattern("scripts/gate10_test.py")
    assert (p.line, p.text, p.negated) == (4, "scripts/", False)
    keep = ign.deciding_pattern("scripts/keep.sh")
    assert (keep.line, keep.negated) == (5, True)
    assert ign.deciding_pattern("src/app.py") is None


def test_bom_on_first_line_is_ignored() -> None:
    assert DockerIgnore.parse(b"\xef\xbb\xbfsecret\n").excludes("secret")


def test_crlf_lines() -> None:
    ign = DockerIgnore.parse(b"docs/\r\ntests/\r\n")
    assert ign.excludes("docs/a") and ign.excludes("tests/b")


@pytest.mark.parametrize("raw,cleaned", [("a/./b/", "a/b"), ("/x/../y", "/y"), ("", "."), ("../a", "../a"), ("a//b", "a/b")])
def test_clean_is_go_filepath_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


SEGMENT = st.sampled_from(["a", "b", "a.py", "x"])
PATTERN = st.lists(st.sampled_from(["a", "b", "*", "**", "*.py", "a*", "?"]), min_size=1, max_size=3).map("/".join)


@settings(max_examples=2000)
@given(PATTERN, st.lists(st.lists(SEGMENT, min_size=1, max_size=4).map("/".join), max_size=6))
def test_matches_or_parent_is_the_parent_walk(pattern: str, paths: list[str]) -> None:
    """The memo of directories a pattern matches gives what walking each path's parents gives,
    whatever order the paths come in."""
    pat = DockerIgnore.parse(pattern.encode()).patterns[0]
    for path in paths:
        walk, expected = path, False
        while walk:
            expected = expected or pat.regex.match(walk) is not None
            walk = walk.rpartition("/")[0]
        assert pat.matches_or_parent(path) is expected


@pytest.mark.parametrize("line,message", [
    ("a\\d", "Go reads \\d as a regular-expression escape"),  # moby: `\d` stays a regexp escape (a digit)
    ("a\\fb", "Go reads \\f as a regular-expression escape"),  # a form feed in Go, not `fb`
    ("[[:^digit:]]", "the negated class [:^digit:]"),
    ("[[:foo:]]", "invalid character class range [:foo:]"),  # Go's regexp fails: so does the build
])
def test_what_go_reads_and_dockfix_does_not_translate_is_named_with_its_line(line: str, message: str) -> None:
    with pytest.raises(DockerignoreError) as err:
        DockerIgnore._parse(f"keep\n{line}\n".encode())
    assert err.value.line == 2 and message in str(err.value)
