"""The shell reader's DIALECT flag against two real shells: a word the reader reads without
flagging it runs the same under bash as under dash (Debian's /bin/sh), and the brace words
bash expands are flagged. Ground truth: the stub programs of `shell_oracle`, run by each shell."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.model.shell import OpaqueReason, read_script
from tests.model.shell_oracle import Sandbox

BASH, DASH = shutil.which("bash"), shutil.which("dash")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    assert BASH and DASH, "bash and dash are the ground truth here (both are in every Debian image)"
    return Sandbox(str(tmp_path_factory.mktemp("dialect")))


def _flagged(script: str) -> bool:
    return any(o.reason is OpaqueReason.DIALECT for o in read_script(script).opaque)


def _same_in_both(sandbox: Sandbox, script: str) -> bool:
    return sandbox.run(script, BASH) == sandbox.run(script, DASH)


# Written as Dockerfiles of the corpus write them: awk programs, sed scripts and flags in quotes.
QUOTED = [
    "ok1 '{ print $1, $2 }'",
    "ok1 'sub(\":$\", \"\", $1) { print $1 }'",
    "ok1 \"LDFLAGS=${V1:-} -Wl,-rpath='$ORIGIN/../lib'\"",
    "ok1 \"-Wl,--strip-all\" '/sqlite {$/,/}$/{s@^#@@}'",
    "ok1 ${V1:-a,b} ${V2:+{x,y}}",
    "ok1 \\{a,b\\} a\\{1..3\\}",
    "ok1 {a,b",
    "ok1 \"{a,b}\" '{1..3}'",
    "ok1 {a\",\"b}",
]
# What bash expands and dash does not: the reader must flag each.
BRACES = ["ok1 {a,b}", "ok1 x{a,b}y", "ok1 /var/lib/{apt,dpkg}/", "ok1 {1..3}", "ok1 \"$(ok2 {a,b})\"",
          "ok1 'q'{a,b}"]


@pytest.mark.parametrize("script", QUOTED)
def test_quoted_braces_read_alike_and_are_not_flagged(sandbox: Sandbox, script: str) -> None:
    assert not _flagged(script)
    assert _same_in_both(sandbox, script)


@pytest.mark.parametrize("script", BRACES)
def test_braces_bash_expands_are_flagged(sandbox: Sandbox, script: str) -> None:
    assert _flagged(script)
    assert not _same_in_both(sandbox, script)  # the flag is needed, not only cautious


_PIECES = st.sampled_from(["{", "}", ",", "..", "a", "1", "'{a,b}'", "\"x,{y}\"", "\\{", "\\,", "${V1:-p,q}",
                           "$V2", "\"${V1}\"", "'..'"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=6))
def test_an_unflagged_word_runs_alike_in_bash_and_dash(sandbox: Sandbox, pieces: list[str]) -> None:
    script = "ok1 " + "".join(pieces)
    if read_script(script).opaque:
        return  # flagged (or not read at all): the model claims nothing about it
    assert _same_in_both(sandbox, script), script
