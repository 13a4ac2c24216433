"""Layer identity by instruction prefix."""

from __future__ import annotations

from dockfix.model.layers import common_prefix, layer_steps
from dockfix.syntax import parse

A = b"""FROM python:3.11-slim
# a comment
RUN apt-get update && apt-get install -y curl
COPY r.txt ./
RUN pip install -r r.txt
ENV A=1
"""
B = b"""FROM python:3.11-slim

RUN   apt-get update && apt-get install -y curl
COPY r.txt ./
RUN pip install -r r.txt
ENV A=2
"""


def _steps(data: bytes, path: str, source: tuple = ("", ".dockerignore")):
    return layer_steps(parse(data), 0, path, source)


def test_comments_and_layout_do_not_count_but_words_do() -> None:
    assert common_prefix(_steps(A, "a"), _steps(B, "b")) == 3


def test_a_copy_from_another_context_is_another_layer() -> None:
    assert common_prefix(_steps(A, "a"), _steps(B, "b", ("other", ".dockerignore"))) == 1


def test_copy_from_a_stage_is_never_shared_across_files() -> None:
    data = b"FROM python:3.11-slim AS b\nFROM python:3.11-slim\nCOPY --from=b /x /x\n"
    assert common_prefix(layer_steps(parse(data), 1, "a", ()), layer_steps(parse(data), 1, "c", ())) == 0
    assert common_prefix(layer_steps(parse(data), 1, "a", ()), layer_steps(parse(data), 1, "a", ())) == 1


def test_a_stage_that_does_not_exist_has_no_steps() -> None:
    assert layer_steps(parse(A), 3, "a", ()) == []
