"""Edits splice whole instructions: every other byte stays, line endings follow the file."""

from __future__ import annotations

from dockfix.syntax import parse
from dockfix.syntax.edit import Editor

CRLF = (b"\xef\xbb\xbf# syntax=docker/dockerfile:1\r\nFROM a\r\n# install\r\nRUN pip install x   \r\n"
        b"RUN <<EOF\r\necho body\r\nEOF\r\nCOPY a b")


def test_replace_keeps_crlf_bom_heredoc_and_missing_final_newline() -> None:
    doc = parse(CRLF)
    ed = Editor(doc)
    ed.replace(doc.instructions[1], "RUN pip install x \\\n    && pip install y")
    assert ed.apply() == (b"\xef\xbb\xbf# syntax=docker/dockerfile:1\r\nFROM a\r\n# install\r\n"
                          b"RUN pip install x \\\r\n    && pip install y\r\n"
                          b"RUN <<EOF\r\necho body\r\nEOF\r\nCOPY a b")


def test_delete_takes_the_comment_block_above() -> None:
    doc = parse(CRLF)
    ed = Editor(doc)
    ed.delete(doc.instructions[1])
    assert ed.apply() == (b"\xef\xbb\xbf# syntax=docker/dockerfile:1\r\nFROM a\r\n"
                          b"RUN <<EOF\r\necho body\r\nEOF\r\nCOPY a b")


def test_delete_last_instruction_without_final_newline() -> None:
    doc = parse(b"FROM a\nRUN x\nCOPY a b")
    ed = Editor(doc)
    ed.delete(doc.instructions[2])
    assert ed.apply() == b"FROM a\nRUN x"


def test_insert_after_last_line_without_newline_keeps_it_so() -> None:
    doc = parse(CRLF)
    ed = Editor(doc)
    ed.insert_after(doc.instructions[3], "USER app")
    assert ed.apply() == CRLF + b"\r\nUSER app"


def test_insert_before_above_comments_and_set_flag() -> None:
    doc = parse(b"FROM a\n\n# app code\nCOPY src ./src\nCOPY --chown=root:root lib ./lib\n")
    ed = Editor(doc)
    ed.insert_before(doc.instructions[1], "RUN useradd app", above_comments=True)
    ed.set_flag(doc.instructions[1], "chown", "app:app")
    ed.set_flag(doc.instructions[2], "chown", "app:app")
    out = ed.apply()
    assert out == (b"FROM a\n\nRUN useradd app\n# app code\nCOPY --chown=app:app src ./src\n"
                   b"COPY --chown=app:app lib ./lib\n")
    assert [i.flags for i in parse(out).instructions[2:]] == [("--chown=app:app",), ("--chown=app:app",)]


def test_untouched_bytes_stay_in_a_mixed_file() -> None:
    src = b"FROM a \t\r\nRUN echo 1\nRUN echo 2 \\\r\n  # c\r\n\r\n  3\nCMD x"
    doc = parse(src)
    ed = Editor(doc)
    ed.replace(doc.instructions[1], "RUN echo one")
    assert ed.apply() == b"FROM a \t\r\nRUN echo one\nRUN echo 2 \\\r\n  # c\r\n\r\n  3\nCMD x"
