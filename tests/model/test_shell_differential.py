"""dockfix.model.shell against the real /bin/sh (dash): generated scripts run with stub programs
on PATH that log their argv, directory and environment; an interpreter over OUR tree, knowing
which stub fails, predicts that log, and every fact the model states must hold in it.

Also at the Dockerfile level: a generated RUN (continuations, comment lines, `# escape=`,
heredocs) is parsed with dockfix.syntax.parse, and /bin/sh gets exactly what BuildKit runs.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix.model.shell import Condition, Script, read_script
from dockfix.syntax import parse
from tests.model.shell_oracle import LOGGED_VARS, Interpreter, Sandbox, matches

# 300 in `make test`; `make fuzz` raises it through DOCKFIX_FUZZ_EXAMPLES.
EXAMPLES = max(300, int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "300")))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_SANDBOX = Sandbox(tempfile.mkdtemp(prefix="dockfix-sh-"))

# Words: quoting, escapes, `#` inside words, expansions (V2 is "pre set": it splits unquoted).
WORDS = st.sampled_from([
    "a", "b#c", "'x y'", '"q $V1"', "\\$V1", "$V1", '"$V2"', "$V2", "a\\ b", "x$(ok3 s)",
    '"#h"', "'#'", "'it''s'", '"a\\"b"', "e=f", "${V3}", '""', "--opt=1", "a\\#b", "#not",
    '"$(ok2 in)"', "$V3", "'$V1'", "x\\\ny",
])
WORDS_IN_LINE = WORDS.filter(lambda w: "\n" not in w and "#" != w[0])
STUB = st.sampled_from(["ok1", "ok2", "ok3", "no1", "no2"])
PREFIX = st.sampled_from(["", "", "", "V1=pre ", "V3='s p' ", "V1=$V2 "])
REDIRECT = st.sampled_from(["", "", "", " > out.txt", " 2>/dev/null", " >>out.txt 2>&1"])
BUILTIN = st.sampled_from([
    "cd d1", "cd d2", "cd ..", 'cd "d1"', "cd d1/d2", "cd nope", "export V1=val",
    "export V3", "V1=x", "V3=$(ok1 sub)", "unset V1", "set -e", "set +e", "true", "false",
    "export V2=two",
])
# What ends a command: `;`, a newline, or a comment (after a word) and a newline.
END = st.sampled_from(["; ", "\n", " # note && ok2 k\n", " #\n", ";\n"])


@st.composite
def simple(draw, plain: bool = False) -> str:
    words = draw(st.lists(WORDS_IN_LINE if plain else WORDS, max_size=3))
    if plain:
        return " ".join([draw(STUB), *words])
    return draw(PREFIX) + " ".join([draw(STUB), *words]) + draw(REDIRECT)


@st.composite
def pipeline(draw, depth: int) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 4:
        return draw(simple())
    if kind < 6:
        return draw(BUILTIN)
    if kind == 6:
        return " | ".join(draw(st.lists(simple(plain=True), min_size=2, max_size=3)))
    if kind == 7:
        return "! " + draw(simple())
    return draw(compound(depth)) if depth > 0 else draw(simple())


@st.composite
def and_or(draw, depth: int) -> str:
    out = draw(pipeline(depth))
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from([" && ", " || ", " &&\n  "]))
        out += op + draw(pipeline(depth))
    return out


@st.composite
def command_list(draw, depth: int) -> str:
    """Items each ended by END: a body for `{ }`, `then`, `do`, or a whole script."""
    items = draw(st.lists(and_or(depth) | heredoc_command(), min_size=1, max_size=3))
    return "".join(item if item.endswith("\n") else item + draw(END) for item in items)


@st.composite
def heredoc_command(draw) -> str:
    """A command reading a heredoc: the body follows the line (and runs its `$(…)`)."""
    delimiter = draw(st.sampled_from(["E", "'E'", "-E"]))
    body = draw(st.sampled_from(["x $V1", "$(ok3 hd)", "a # not a comment", "\t$V2 \\\n y"]))
    head = f"{draw(STUB)} h <<{delimiter}"
    tail = draw(st.sampled_from(["", " && ok1 after", " | ok2 piped"]))
    return f"{head}{tail}\n{body}\nE\n"


@st.composite
def compound(draw, depth: int) -> str:
    inner = command_list(depth - 1)
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return f"( {draw(inner)})"
    if kind == 1:
        return f"{{ {draw(inner)}}}"
    if kind == 2:
        tail = f"else {draw(inner)}" if draw(st.booleans()) else ""
        return f"if {draw(inner)}then {draw(inner)}{tail}fi"
    if kind == 3:
        return f"for i in a $V1 'b c'; do {draw(inner)}done"
    if kind == 4:
        return f"while no1; do {draw(inner)}done"
    if kind == 5:
        return f"until ok1; do {draw(inner)}done"
    word = draw(st.sampled_from(["a", "$V1", "b", '"$V2"']))
    return f"case {word} in a|val) {draw(inner)};; *) {draw(inner)};; esac"


def scripts():
    return command_list(2)


def check(script: str, model: Script) -> None:
    """Run `script` under /bin/sh and hold the model to the log."""
    status, log = _SANDBOX.run(script)
    predicted = Interpreter(model.tree, _SANDBOX).execute()
    assert predicted.status == status, (script, predicted.status, status)
    assert matches(predicted.groups, log), (script, predicted.groups, log)
    check_executed(script, model, predicted, status)


def check_executed(script: str, model: Script, predicted, status: int, *where: object) -> None:
    """Every command the interpreter ran holds the model's facts; when the script succeeded,
    every command the model says always runs (or is checked) ran. `where`: for the messages."""
    by_start = {c.start: c for c in model.commands}
    for run in predicted.executed:
        check_facts(script, by_start[run.node.start], run, status)
    if status == 0:
        ran = {run.node.start for run in predicted.executed}
        for command in model.commands:
            if command.condition is Condition.ALWAYS or command.checked:
                assert command.start in ran, (script, *where, command)


def check_facts(script: str, command, run, status: int) -> None:
    """What the model says of one command holds where it ran (None claims nothing)."""
    # A word the shell splits into fields is several Words of its span (model.shell._split_fields).
    for syntax, fields in zip(command.node.words, run.fields):
        words = [w for w in command.argv if w.start == syntax.start]
        assert len(words) == 1 and words[0].value is None or tuple(w.value for w in words) == fields, (
            script, words, fields)
    assert command.cwd is None or command.cwd == run.cwd, (script, command, run.cwd)
    for name, value in command.env:
        assert value is None or run.env.get(name) == value, (script, name, value, run.env)
    if command.checked and status == 0:
        assert run.status == 0, (script, command)


def read(script: str) -> Script:
    return read_script(script, workdir=_SANDBOX.work, env=_SANDBOX.env, env_is_complete=True)


@SETTINGS
@given(scripts())
def test_scripts_agree_with_sh(script: str) -> None:
    # A `#not` word that starts a comment can leave a syntax error: dash runs what comes before.
    check(script, read(script))


# Plain `&&` lists (the common RUN), which the parser reads through its shortcut.
PLAIN_WORDS = st.sampled_from(["a", "b#c", "e=f", "--opt=1", "x,y", "z{", "~u", "*.none"])
PLAIN_COMMAND = st.sampled_from(["cd d1", "cd d1/d2", "cd nope", "cd ..", "export V1=val", "export V3",
                                 "V1=x", "set -e", "true", "false", "unset V1"])


@st.composite
def plain_and_lists(draw) -> str:
    commands = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            commands.append(draw(PLAIN_COMMAND))
        else:
            prefix = draw(st.sampled_from(["", "", "V1=pre ", "V3=s "]))
            commands.append(prefix + " ".join([draw(STUB), *draw(st.lists(PLAIN_WORDS, max_size=3))]))
    comment = draw(st.sampled_from(["", "", " # note && ok2 k", "  #"]))
    return draw(st.sampled_from([" && ", "&&", " &&\t", " && \\\n    "])).join(commands) + comment


@SETTINGS
@given(plain_and_lists())
def test_plain_and_lists_agree_with_sh(script: str) -> None:
    from dockfix.model.shell_syntax import plain_and_list

    assert plain_and_list(script) is not None, script
    check(script, read(script))


# Dockerfile level ---------------------------------------------------------------------------

@st.composite
def run_lines(draw) -> list[str]:
    """A RUN's physical lines: a one-line script cut at its connectors."""
    items = draw(st.lists(and_or(1).filter(lambda s: "\n" not in s), min_size=1, max_size=4))
    lines, current = [], items[0]
    for item in items[1:]:
        op = draw(st.sampled_from([" && ", " ; ", " || "]))
        if draw(st.booleans()):
            lines.append(current + op.rstrip())
            current = item
        else:
            current += op + item
    lines.append(current)
    # A comment after a word on an inner line: BuildKit joins the lines, sh then reads the rest
    # as comment (the merge bug this reader must make visible).
    if len(lines) > 1 and draw(st.booleans()):
        i = draw(st.integers(0, len(lines) - 2))
        lines[i] += "  # web"
    return lines


@st.composite
def dockerfiles(draw) -> tuple[bytes, str]:
    """(Dockerfile, how to run it): a shell-form RUN, or a heredoc RUN."""
    if draw(st.integers(0, 3)) == 0:
        body = draw(scripts())
        body = "\n".join(line for line in body.split("\n") if line.strip() != "EOF")
        return f"FROM scratch\nRUN <<EOF\n{body}\nEOF\n".encode(), "heredoc"
    escape = draw(st.sampled_from(["\\", "`"]))
    lines = draw(run_lines())
    if escape == "`":
        lines = [line.replace("`", "") for line in lines]
    joined = ""
    for i, line in enumerate(lines):
        joined += line
        if i < len(lines) - 1:
            joined += f" {escape}\n"
            if draw(st.booleans()):
                joined += "# a comment line inside the continuation\n"
            joined += "    "
    head = "# escape=`\n" if escape == "`" else ""
    return f"{head}FROM scratch\nRUN {joined}\n".encode(), "shell"


@SETTINGS
@given(dockerfiles())
def test_dockerfile_runs_agree_with_sh(case: tuple[bytes, str]) -> None:
    data, form = case
    run = parse(data).instructions[-1]
    assert run.keyword == "RUN" and not run.json
    if form == "heredoc":
        script = run.heredocs[0].content  # BuildKit: /bin/sh -c <body>
    else:
        script = run.value[0]  # BuildKit: /bin/sh -c <the joined line>
    check(script, read(script))


# A reading moved to another directory and other variables -----------------------------------

STATES = st.tuples(
    st.sampled_from(["/", "/app", "/app/../srv", None, "relative"]),
    st.sampled_from([{}, {"V1": "x"}, {"V1": "a b", "IFS": ":"}, {"PWD": "/p", "CDPATH": "/c"},
                     {"V2": "*", "HOME": "/root"}]),
    st.booleans())


@SETTINGS
@given(scripts() | plain_and_lists(), STATES, STATES)
def test_a_state_free_reading_moved_to_another_state_is_the_direct_reading(script, first, second):
    from dockfix.model import shell, shell_syntax

    tree = shell_syntax.parse(script)
    reading, state_free = shell._walk(script, tree, shell._initial_state(*first))
    if state_free:
        moved = shell._relocated(reading, shell._initial_state(*second))
        assert moved == shell._walk(script, tree, shell._initial_state(*second))[0], script


@pytest.mark.parametrize("script,first,second", [
    ("ok1; ok1 || cd .. && ok1; ", ("/", {}, False), ("/app", {}, False)),
    ("ok1 h <<E\n$(ok3 hd)\nE\nok1 && while no1; do ok1 && cd d1; done; ", (None, {}, False), ("/", {}, False)),
    ("ok1 || V1=x; ok1", ("/", {"V1": "x"}, False), ("/", {"V1": "y"}, False)),
])
def test_readings_hypothesis_moved_wrongly(script, first, second):
    """Found by the property above: a state change equal to the first state from that state only."""
    from dockfix.model import shell, shell_syntax

    tree = shell_syntax.parse(script)
    reading, state_free = shell._walk(script, tree, shell._initial_state(*first))
    direct = shell._walk(script, tree, shell._initial_state(*second))[0]
    assert not state_free or shell._relocated(reading, shell._initial_state(*second)) == direct


@pytest.mark.parametrize("script,state_free", [
    ("pip install a==1 && pip install b", True),
    ("A=1 ok1 x > out.txt; if ok2; then ok3 'q'; fi | ok1", True),
    ("ok1 $HOME", False), ("cd /x && ok1", False), ("export A=1; ok1", False), ("ok1; cd /x", False),
    # hypothesis: from /, `cd ..` stays in /, not from /app; `V1=x` keeps the value it had here only;
    # from an unknown directory `cd d1` leaves it unknown, not from /
    ("ok1 || cd .. && ok1", False), ("ok1 || V1=x; ok1", False), ("while no1; do ok1 && cd d1; done", False),
    ("f() { ok1; }; f", False), ("for i in a; do ok1; done", False), ("case a in esac || ok1", False),
])
def test_which_readings_are_state_free(script, state_free):
    from dockfix.model import shell, shell_syntax

    state = shell._initial_state("/", {"V1": "x"}, False)
    assert shell._walk(script, shell_syntax.parse(script), state)[1] is state_free


def test_read_script_answers_a_second_state_from_the_first_reading():
    from dockfix.model import shell

    text = "ok1 --state-free-probe && A=1 ok2 y"
    first = read_script(text, workdir="/a", env={"V1": "1"})
    assert shell._TEXTS[text].reading is first
    second = read_script(text, workdir="/b", env={"V2": "2"})
    assert [(c.cwd, c.env) for c in second.commands] == [
        ("/b", (("V2", "2"),)), ("/b", (("A", "1"), ("V2", "2")))]
    assert second.commands[0].argv is first.commands[0].argv
