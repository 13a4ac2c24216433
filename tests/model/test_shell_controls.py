"""The words a `for` loop runs with and a `case` chooses on (`Script.controls`), against the
real /bin/sh: each loop prints its header and every value it takes, a case its subject. A
value the reader cannot know must show as `<?>`, never as a wrong value."""

from __future__ import annotations

import re
import subprocess

import pytest

from dockfix.model.shell import read_script

ENV = {"PKGS": "six attrs", "ONE": "x", "PATH": "/usr/bin:/bin"}
# `@p@` is the loop's body: `:` for the reader, a print of `$p` for the shell.
LOOPS = [
    "for p in six attrs; do @p@; done",
    "for p in 'six attrs' \"a\"b c\\ d; do @p@; done",
    "for p in $ONE${ONE}y; do @p@; done",
    "for p in \"$PKGS\" x; do @p@; done",
    "cd /tmp && for p in a; do @p@; for q in b c; do @q@; done; done",
    "if true; then for p in k; do @p@; done; fi",
]
CASES = ["case x in x) : ;; *) : ;; esac", "case \"$ONE\" in a|b) : ;; x) : ;; esac", "case 'a b' in *) : ;; esac"]


def _sh(script: str) -> list[str]:
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=ENV, cwd="/", timeout=10)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\0")[:-1]


@pytest.mark.parametrize("template", LOOPS)
def test_for_words_are_what_the_loop_runs_with(template: str) -> None:
    model = read_script(re.sub(r"@\w@", ":", template), workdir="/", env=ENV, env_is_complete=True).controls
    traced = re.sub(r"for (\w) in", r"printf 'for \1 in\\0'; for \1 in", template)
    traced = re.sub(r"@(\w)@", lambda m: f"printf '%s\\0' \"${m.group(1)}\"", traced)
    shown: list[list[str]] = []
    for value in _sh(traced):
        if re.fullmatch(r"for \w in", value):
            shown.append([value])
        else:
            shown[-1].append(value)
    assert list(model) == [" ".join(loop) for loop in shown]


@pytest.mark.parametrize("script", CASES)
def test_case_subject_is_what_the_shell_matches(script: str) -> None:
    (control,) = read_script(script, workdir="/", env=ENV, env_is_complete=True).controls
    subject = _sh("printf '%s\\0' " + script[len("case "):].split(" in ", 1)[0])[0]
    assert control.startswith(f"case {subject} in ")


def test_a_value_not_known_is_marked_not_guessed() -> None:
    (control,) = read_script("for f in /app/*.txt $UNSET_HERE; do :; done", workdir="/", env={}).controls
    assert control == "for f in <?>/app/*.txt <?>$UNSET_HERE"
    (control,) = read_script("for p in $PKGS; do :; done", workdir="/", env=ENV).controls
    assert control == "for p in <?>$PKGS"  # split into fields by IFS: not followed
    (control,) = read_script("case $X in a) : ;; esac", workdir="/", env={}).controls
    assert control == "case <?>$X in a)"
