"""The shared text helpers: the shell splitter, the file's style, instruction text, tidy
edits and the build state at an instruction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.syntax import parse
from dockfix.syntax.edit import Editor
from dockfix.transforms import _text

# -- the shell splitter -----------------------------------------------------------------


@pytest.mark.parametrize("script,expected", [
    ("pip install a", ["pip install a"]),
    ("pip install a && pip install b", ["pip install a", "pip install b"]),
    ("  a   &&b&&  c  ", ["a", "b", "c"]),
    ("echo 'a && b' && echo \"c && d\"", ["echo 'a && b'", 'echo "c && d"']),
    ("echo a\\&\\&b && x", ["echo a\\&\\&b", "x"]),
    ("X=1 Y='2 3' apt-get install -y a", ["X=1 Y='2 3' apt-get install -y a"]),
    ("pip install -r \"$REQS\" && ls ${HOME:-/root}", ['pip install -r "$REQS"', "ls ${HOME:-/root}"]),
    ("echo a#b", ["echo a#b"]),
    ("echo $", ["echo $"]),
])
def test_splits_and_chains(script: str, expected: list[str]) -> None:
    assert _text.split_and_chain(script) == expected


@pytest.mark.parametrize("script", [
    "a; b", "a | b", "a || b", "a &", "a & b", "a > f", "a < f", "a 2>&1", "a >> f", "(a)",
    "a && (b)", "{ a; }", "echo $(date)", "echo `date`", 'echo "$(date)"', 'echo "`date`"',
    "echo $((1+2))", "echo $'x'", "a # comment", "# only a comment", "if true; then a; fi",
    "! a", "for x in a; do b; done", "a &&", "&& a", "a && && b", "", "   ", "echo 'open",
    'echo "open', "echo ${x", "echo \\", "a\nb", "echo ${x:-$(y)}", "time a", "[[ -f x ]]",
])
def test_gives_up_on_other_shell_syntax(script: str) -> None:
    assert _text.split_commands(script) is None


def test_words_keep_raw_text_and_value() -> None:
    (cmd,) = _text.split_commands("DEBIAN_FRONTEND=noninteractive apt-get install -y 'a b' \"$P\" c*")
    assert [a.raw for a in cmd.assignments] == ["DEBIAN_FRONTEND=noninteractive"]
    assert [(w.raw, w.value, w.expands) for w in cmd.argv] == [
        ("apt-get", "apt-get", False), ("install", "install", False), ("-y", "-y", False),
        ("'a b'", "a b", False), ('"$P"', "$P", True), ("c*", "c*", True)]
    assert cmd.values == ["apt-get", "install", "-y", "a b", "$P", "c*"]
    assert _text.words("pip  install 'x y'") == ["pip", "install", "x y"]
    assert _text.words("a && b") is None


_WORD = st.from_regex(r"[A-Za-z0-9_./=:+-]{1,8}", fullmatch=True).filter(lambda w: not w.startswith("#"))
_QUOTED = st.from_regex(r"[A-Za-z0-9 ;|&<>()#]{0,6}", fullmatch=True).map(lambda s: f"'{s}'")
_COMMAND = st.lists(st.one_of(_WORD, _QUOTED), min_size=1, max_size=5).map(" ".join).filter(
    lambda c: c.split()[0] not in _text.RESERVED)


@settings(max_examples=300, deadline=None)
@given(st.lists(_COMMAND, min_size=1, max_size=6), st.sampled_from([" && ", "&&", "  &&   "]))
def test_split_is_the_inverse_of_join(commands: list[str], sep: str) -> None:
    assert _text.split_and_chain(sep.join(commands)) == commands


# -- style ----------------------------------------------------------------------------


def test_style_defaults_and_detection() -> None:
    assert _text.file_style(parse(b"FROM a\nRUN x\n")) == _text.Style("    ", True, "\\", "")
    trailing = parse(b"FROM a\nRUN a && \\\n  b && \\\n  c\nRUN d \\\n  && e\n")
    assert _text.file_style(trailing) == _text.Style("  ", False, "\\", "  ")
    tabs = parse(b"FROM a\nRUN a \\\n\t&& b\n")
    assert _text.file_style(tabs) == _text.Style("\t", True, "\\", "\t")
    docs = parse(b"FROM a\nRUN apt-get install -y \\\n    a \\\n    b \\\n && rm x\n")
    style = _text.file_style(docs)
    assert (style.indent, style.and_indent, style.command_indent) == ("    ", " ", " ")
    backtick = parse(b"# escape=`\nFROM a\nRUN a && `\n   b\n")
    assert _text.file_style(backtick) == _text.Style("   ", False, "`", "")


def test_style_ignores_heredoc_bodies_and_uses_other_instructions_last() -> None:
    doc = parse(b"FROM a\nRUN <<EOF\n\t\t&& x\nEOF\nHEALTHCHECK \\\n  CMD true\n")
    assert _text.file_style(doc) == _text.Style("  ", True, "\\", "")


# -- instruction text ------------------------------------------------------------------


@pytest.mark.parametrize("src,head,body", [
    (b"FROM a\nRUN pip install a  \n", "RUN ", "pip install a"),
    (b"FROM a\nrun   pip install a\n", "run   ", "pip install a"),
    (b"FROM a\nRUN --mount=type=cache,target=/c --network=none pip x\n",
     "RUN --mount=type=cache,target=/c --network=none ", "pip x"),
    (b"FROM a\nRUN --mount=type=cache,target=/c \\\n    pip x\n", "RUN --mount=type=cache,target=/c \\\n    ", "pip x"),
    (b"FROM a\nRUN \\\n  pip \\\n  # c\n  x\r\n", "RUN \\\n  ", "pip \\\n  # c\n  x"),
    (b"FROM a\r\nRUN pip a \\\r\n    b\r\n", "RUN ", "pip a \\\n    b"),
])
def test_run_head(src: bytes, head: str, body: str) -> None:
    doc = parse(src)
    assert _text.run_head(doc, doc.instructions[1]) == (head, body)
    assert _text.shell_body(doc, doc.instructions[1]) == body


def test_join_commands_one_line_or_the_file_style() -> None:
    leading = _text.Style("    ", True, "\\", "")
    trailing = _text.Style("\t", False, "`", "")
    assert _text.join_commands("RUN ", ["a", "b"], leading) == "RUN a && b"
    assert _text.join_commands("RUN ", ["a", "b"], leading, one_line_max=9) == "RUN a \\\n    && b"
    assert _text.join_commands("RUN ", ["a", "b"], leading, one_line_max=10) == "RUN a && b"
    assert _text.join_commands("RUN ", ["a \\\n  x", "b"], leading) == "RUN a \\\n  x \\\n    && b"
    assert _text.join_commands("RUN ", ["a", "b"], trailing, one_line_max=5) == "RUN a && `\n\tb"
    assert _text.join_commands("RUN \\\n  ", ["a", "b"], leading) == "RUN \\\n  a \\\n    && b"


def test_comment_block() -> None:
    doc = parse(b"# syntax=x\nFROM a\n# one\n\n# two\n  # three\nRUN x\n")
    assert _text.comment_block(doc, doc.instructions[1]) == "# two\n  # three\n"
    assert _text.comment_block(doc, doc.instructions[0]) == ""


# -- tidy edits ------------------------------------------------------------------------


def _delete(src: bytes, *indices: int, comments: bool = True) -> bytes:
    doc = parse(src)
    ed = Editor(doc)
    for i in indices:
        _text.delete_instruction(ed, doc.instructions[i], with_comments=comments)
    return ed.apply()


@pytest.mark.parametrize("src,indices,out", [
    # a blank line on both sides: one goes
    (b"FROM a\n\n# c\nRUN x\n\nCMD y\n", (1,), b"FROM a\n\nCMD y\n"),
    # no blank line around: nothing else goes
    (b"FROM a\nRUN x\nCMD y\n", (1,), b"FROM a\nCMD y\n"),
    # blank only above: stays
    (b"FROM a\n\nRUN x\nCMD y\n", (1,), b"FROM a\n\nCMD y\n"),
    # adjacent deletions, either order, see each other
    (b"FROM a\n\nRUN x\nRUN y\n\nCMD z\n", (1, 2), b"FROM a\n\nCMD z\n"),
    (b"FROM a\n\nRUN x\nRUN y\n\nCMD z\n", (2, 1), b"FROM a\n\nCMD z\n"),
    (b"FROM a\n\nRUN x\n\nRUN y\n\nCMD z\n", (1, 2), b"FROM a\n\nCMD z\n"),
    # first line of the file (an ARG before FROM) and the blank after it
    (b"ARG X=1\n\nFROM a\n", (0,), b"FROM a\n"),
    # BOM stays
    (b"\xef\xbb\xbfARG X=1\nFROM a\n", (0,), b"\xef\xbb\xbfFROM a\n"),
    # last line without a final newline: the new last line loses its newline
    (b"FROM a\nRUN x\nCMD y", (2,), b"FROM a\nRUN x"),
    (b"FROM a\nRUN x\n\nCMD y", (2,), b"FROM a\nRUN x"),
    (b"FROM a\r\nRUN x\r\nCMD y", (1, 2), b"FROM a"),
    # a blank line left last goes
    (b"FROM a\nRUN x\n\nCMD y\n", (2,), b"FROM a\nRUN x\n"),
    # CRLF blank lines
    (b"FROM a\r\n\r\nRUN x\r\n\r\nCMD y\r\n", (1,), b"FROM a\r\n\r\nCMD y\r\n"),
    # the comment block goes with the instruction, a loose comment does not
    (b"FROM a\n# loose\n\n# mine\nRUN x\nCMD y\n", (1,), b"FROM a\n# loose\n\nCMD y\n"),
])
def test_delete_instruction_is_tidy(src: bytes, indices: tuple[int, ...], out: bytes) -> None:
    assert _delete(src, *indices) == out
    parse(out)


def test_delete_without_comments_and_deleted_lines() -> None:
    assert _delete(b"FROM a\n# c\nRUN x\n", 1, comments=False) == b"FROM a\n# c\n"
    doc = parse(b"FROM a\n\nRUN x\n\nCMD y\n")
    ed = Editor(doc)
    _text.delete_instruction(ed, doc.instructions[1])
    assert _text.deleted_lines(ed) == {3, 4}
    assert _text.deleted_lines(Editor(doc)) == frozenset()


def test_replace_lines_keeps_the_line_ending_style() -> None:
    doc = parse(b"FROM a\r\nRUN x\r\nRUN y")
    ed = Editor(doc)
    _text.replace_lines(ed, 2, doc.instructions[2], "RUN x \\\n    && y")
    assert ed.apply() == b"FROM a\r\nRUN x \\\r\n    && y"


def test_merge_runs_moves_comments_and_deletes_the_moved() -> None:
    src = (b"FROM a\nWORKDIR /w\n\n# up\nRUN u\n\n# copy\nCOPY r ./r/\n# first\nRUN a\n"
           b"# loose\n\n# second\nRUN b\n\nCMD c\n")
    doc = parse(src)
    ed = Editor(doc)
    ins = doc.instructions
    _text.merge_runs(ed, [ins[2]], [ins[4], ins[5]], "RUN u && a && b")
    assert ed.apply() == (b"FROM a\nWORKDIR /w\n\n# copy\nCOPY r ./r/\n# up\n# first\n# loose\n"
                          b"# second\nRUN u && a && b\n\nCMD c\n")


# -- build state -----------------------------------------------------------------------


def test_lineage_within_a_file_and_workdir() -> None:
    doc = parse(b"FROM python:3 AS a\nENV A=1\nWORKDIR /x\nFROM a AS b\nARG B\nWORKDIR y\n"
                b"RUN pip x\nFROM python:3\nARG C\nRUN pip y\n")
    run_b, run_c = doc.instructions[6], doc.instructions[9]
    lin = _text.lineage(None, "Dockerfile", doc, run_b)
    assert [i.keyword for _, i in lin.steps] == ["ENV", "WORKDIR", "ARG", "WORKDIR"]
    assert lin.external == "python:3" and lin.own == 2
    assert lin.env_names() == {"A", "B"}
    assert _text.stage_workdir(lin.steps) == "/x/y"
    other = _text.lineage(None, "Dockerfile", doc, run_c)
    assert other.env_names() == {"C"} and _text.stage_workdir(other.steps) is None
    assert _text.stage_workdir(_text.lineage(None, "D", parse(b"FROM a\nWORKDIR $X\nRUN x\n"),
                                             parse(b"FROM a\nWORKDIR $X\nRUN x\n").instructions[2]).steps) is None


@pytest.mark.parametrize("shell,ok", [
    (None, True), (("/bin/sh", "-c"), True), (("/bin/bash", "-o", "pipefail", "-c"), True),
    (("bash", "-euxc"), True), (("/bin/ash", "-eo", "pipefail", "-c"), True),
    (("pwsh", "-Command"), False), (("cmd", "/S", "/C"), False), (("/usr/bin/fish", "-c"), False),
    (("/bin/sh",), False), (("/bin/bash", "-c", "x"), False), (("/bin/sh", "script.sh", "-c"), False),
])
def test_posix_shell(shell, ok: bool) -> None:
    assert _text.posix_shell(shell) is ok


def test_shell_at_and_mounts() -> None:
    doc = parse(b'FROM a AS x\nSHELL ["pwsh", "-c"]\nFROM x\nRUN --mount=type=tmpfs,target=/t --mount=target=/c pip a\n')
    ins = doc.instructions[3]
    assert _text.shell_at(None, "Dockerfile", doc, ins) == ("pwsh", "-c")
    assert _text.mount_types(ins) == ["tmpfs", "bind"]
    assert _text.flags_key(ins) == tuple(sorted(ins.flags))
