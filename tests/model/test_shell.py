"""dockfix.model.shell, construct by construct, and the examples of issue 13.
(The differential test against /bin/sh is tests/model/test_shell_differential.py.)"""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.model import shell_syntax as syn
from dockfix.model.shell import Condition, OpaqueReason, RedirOp, read_script
from dockfix.syntax import parse


def argvs(script: str, **kw) -> list[tuple[str | None, ...]]:
    return [c.args for c in read_script(script, **kw).commands]


# Issue 13's examples ----------------------------------------------------------------------

def test_comment_after_a_word_ends_the_command():
    s = read_script("pip install a  # c && pip install b")
    assert [c.args for c in s.commands] == [("pip", "install", "a")]
    assert s.comment_at_end


def test_merge_bug_is_visible_after_buildkit_joins_the_lines():
    doc = parse(b"FROM x\nRUN pip install a==1  # web \\\n    && pip install b==2\n")
    s = read_script(doc.instructions[1].value[0])
    assert [c.args for c in s.commands] == [("pip", "install", "a==1")]


def test_hash_inside_a_word_is_no_comment():
    s = read_script("echo a#b c")
    assert [c.args for c in s.commands] == [("echo", "a#b", "c")]
    assert not s.comment_at_end


def test_cd_then_pip_runs_in_the_subdirectory():
    s = read_script("cd sub && pip install -r req.txt", workdir="/app")
    assert [(c.args[0], c.cwd) for c in s.commands] == [("cd", "/app"), ("pip", "/app/sub")]
    assert all(c.condition is Condition.ALWAYS and c.checked for c in s.commands)


def test_pip_inside_if_is_conditional():
    s = read_script("if [ -s f ]; then pip install x; fi")
    pip = s.commands[1]
    assert pip.args == ("pip", "install", "x") and pip.condition is Condition.CONDITIONAL


def test_after_or_is_conditional():
    s = read_script("true || pip install x")
    assert [c.condition for c in s.commands] == [Condition.ALWAYS, Condition.CONDITIONAL]
    assert not s.commands[1].checked


# Structure ----------------------------------------------------------------------------------

def test_and_list_spans():
    text = "apt-get update &&\n  apt-get install -y x && rm -rf /var/lib/apt/lists/*"
    s = read_script(text)
    assert [text[a:b] for a, b in s.and_list] == [
        "apt-get update", "apt-get install -y x", "rm -rf /var/lib/apt/lists/*"]


@pytest.mark.parametrize("text", ["a; b", "a || b", "a | b", "a &", "(a) && b", "a && b; c",
                                  "! a && b", "a && b # c\nd", "cat <<E && b\nx\nE\n"])
def test_no_and_list_for_other_shapes(text):
    assert read_script(text).and_list is None


def test_and_or_requirements():
    s = read_script("a && b || c; d")
    assert [(c.args[0], c.condition.name, c.checked) for c in s.commands] == [
        ("a", "ALWAYS", False), ("b", "CONDITIONAL", False), ("c", "CONDITIONAL", False),
        ("d", "ALWAYS", True)]


def test_set_e_checks_each_command():
    s = read_script("set -e\na\nb || true\nc | d\ne")
    checked = {c.args[0]: c.checked for c in s.commands}
    assert checked == {"set": False, "a": True, "b": False, "true": False, "c": False, "d": True,
                       "e": True}


def test_pipeline_background_subshell_flags():
    s = read_script("a | b; c & (d); e $(f)")
    flags = {c.args[0] or c.argv[0].text: (c.in_pipeline, c.background, c.subshell)
             for c in s.commands}
    assert flags == {"a": (True, False, True), "b": (True, False, True),
                     "c": (False, True, True), "d": (False, False, True),
                     "e": (False, False, False), "f": (False, False, True)}


def test_compound_commands_parse_to_nodes():
    tree = read_script("for i in 1 2; do x; done; while a; do b; done; until c; do d; done; "
                       "case $v in a|b) e;; *) f;; esac; { g; }; f1() { h; }").tree
    kinds = [type(item.body.first.commands[0]).__name__ for item in tree.body.items]
    assert kinds == ["For", "Loop", "Loop", "Case", "Group", "FunctionDef"]


def test_function_body_is_opaque_and_conditional():
    s = read_script("f() { cd /x; }; f; pwd")
    assert [o.reason for o in s.opaque] == [OpaqueReason.FUNCTION, OpaqueReason.DYNAMIC]
    assert s.commands[0].condition is Condition.CONDITIONAL
    assert s.commands[-1].cwd is None  # the call may have changed it


def test_syntax_error_is_opaque_and_earlier_lines_stay():
    s = read_script("a\nb; }\nc")
    assert [c.args for c in s.commands] == [("a",)]
    assert s.opaque[0].reason is OpaqueReason.SYNTAX_ERROR and s.opaque[0].start == 2


@pytest.mark.parametrize("text", ["echo 'x", 'echo "x', "echo $(x", "if a; then b", "a &&",
                                  "for do", "case x in", "echo ${x", "(", "a |"])
def test_unfinished_scripts_are_opaque(text):
    s = read_script(text)
    assert s.opaque and s.opaque[-1].reason is OpaqueReason.SYNTAX_ERROR and s.comment_at_end


@pytest.mark.parametrize("text", ["echo $'a'", "a &> f", "a |& b", "[[ -f x ]]", "echo {a,b}",
                                  "diff <(a) b"])
def test_other_dialects_are_flagged(text):
    assert any(o.reason is OpaqueReason.DIALECT for o in read_script(text).opaque)


# Words --------------------------------------------------------------------------------------

def test_quoting_and_escapes():
    assert argvs("""e 'a b' "c $X" d\\ e 'it''s' "q\\"r" \\$X "" """, env={"X": "1"}) == [
        ("e", "a b", "c 1", "d e", "its", 'q"r', "$X", "")]


def test_unknown_values_are_none():
    assert argvs("e $(x) `y` $UNSET $((1+2)) ${X:-d} $1 *.txt ~/x a[b] x$X $G", env={"X": "a b", "G": "a *"}) == [
        ("e", None, None, None, None, None, None, None, None, None, None, None), ("x",), ("y",)]


def test_a_known_value_split_into_fields():
    """An unquoted `$NAME` alone is the fields of its value (tests/model/test_shell_differential
    runs such words under dash and bash: V2 is "pre set"); each field keeps the word's span."""
    s = read_script('deps=" curl\tg++\n make "; apk add $deps "$deps"', workdir=None)
    add = s.commands[-1]
    assert add.args == ("apk", "add", "curl", "g++", "make", " curl\tg++\n make ")
    assert {(w.start, w.end) for w in add.argv[2:5]} == {(s.text.index("$deps"), s.text.index("$deps") + 5)}
    assert argvs("IFS=,; V='a b'; e $V") == [(), (), ("e", None)]  # IFS set: not split here
    assert argvs("V=' '; e $V x") == [(), ("e", None, "x")]  # no field at all: unknown, as before


def test_variables_from_env_assignments_and_export():
    s = read_script("A=1; export B=2; C=3 run $A $B $C", env={"D": "4"})
    run = s.commands[-1]
    assert run.args == ("run", "1", "2", None)  # $C expands before C=3 applies
    assert dict(run.env) == {"B": "2", "C": "3", "D": "4", "A": None}


def test_complete_env_knows_unset_variables():
    s = read_script("run $NOPE x$NOPE", env={}, env_is_complete=True)
    assert s.commands[0].args == ("run", None, "x")  # an empty unquoted word is no field


def test_line_continuations_inside_words_and_comment_lines():
    assert argvs("echo a\\\nb \\\n c") == [("echo", "ab", "c")]
    assert argvs("echo a # x \\\necho b") == [("echo", "a"), ("echo", "b")]


def test_redirections():
    s = read_script("run > out 2>&1 <in >>log")
    redirs = [(r.fd, r.op, r.target.value) for r in s.commands[0].redirections]
    assert redirs == [(None, RedirOp.OUT, "out"), (2, RedirOp.DUP_OUT, "1"),
                      (None, RedirOp.IN, "in"), (None, RedirOp.APPEND, "log")]


def test_heredoc_inside_run():
    s = read_script("cat <<EOF > f && pip install x\nline $V\n$(id)\nEOF\necho done",
                    env={"V": "v"})
    cat = s.commands[0]
    assert cat.redirections[0].heredoc.text == "line $V\n$(id)\n"
    assert cat.redirections[0].heredoc.value is None  # $(id) is not known
    assert [c.args for c in s.commands] == [("cat",), ("pip", "install", "x"), ("id",),
                                            ("echo", "done")]


def test_quoted_heredoc_is_literal():
    s = read_script("cat <<'E'\n$V `x`\nE\n")
    assert s.commands[0].redirections[0].heredoc.value == "$V `x`\n"
    assert len(s.commands) == 1


# cd, set -e, env ---------------------------------------------------------------------------

@pytest.mark.parametrize("script, cwd", [
    ("cd /opt && run", "/opt"), ("cd a/b && cd .. && run", "/app/a"),
    ("cd a; run", None),  # cd may fail and run still runs
    ("set -e; cd a; run", "/app/a"), ("cd $D && run", None), ("cd && run", None),
    ("cd - && run", None), ("(cd a) && run", "/app"), ("cd a && run || x", "/app/a"),
    ("if x; then cd a; fi; run", None), ("CDPATH=/x; cd a && run", None),
])
def test_cwd(script, cwd):
    s = read_script(script, workdir="/app")
    assert [c.cwd for c in s.commands if c.name == "run"] == [cwd]


def test_unknown_workdir():
    s = read_script("cd a && run; cd /abs && run2", workdir=None)
    assert [c.cwd for c in s.commands] == [None, None, None, "/abs"]


def test_exit_makes_the_rest_conditional():
    s = read_script("a; exit 0; b")
    assert s.commands[-1].condition is Condition.CONDITIONAL


def test_carriage_returns_are_word_characters_as_in_dash():
    assert argvs("a \\\r\n b\r\nc") == [("a", "\r"), ("b\r",), ("c",)]


def test_appending_after_an_open_heredoc_or_backslash_is_swallowed():
    assert read_script("cat <<E\nx").comment_at_end
    assert read_script("a #c \\").comment_at_end
    assert not read_script("cat <<E\nx\nE\n").comment_at_end


def test_spans_are_source_offsets():
    text = "x=1 run 'a'   $(inner y) > f"
    s = read_script(text)
    run, inner = s.commands
    assert text[run.start:run.end] == text and text[inner.start:inner.end] == "inner y"
    assert [text[w.start:w.end] for w in run.argv] == ["run", "'a'", "$(inner y)"]


def test_tree_is_frozen_and_walkable():
    tree = read_script("a && (b | c)").tree
    sub = tree.body.items[0].body.rest[0][1].commands[0]
    assert isinstance(sub, syn.Subshell)
    with pytest.raises(AttributeError):
        sub.body = None  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment", ";", "&&", "))", "\\", "'",
                                  "$(", "`", "<<", "a <<", "${", "$((", "case", "\x00",
                                  "f() x", "for 1 in", "a\\\n", "`<<a`", "`cat <<E\nx\nE\n`"])
def test_no_traceback(text):
    read_script(text)


# The grammar against dash's own parser (`sh -n`: parse, run nothing) ------------------------

_TOKENS = st.sampled_from([
    "a", " ", " ", "\n", ";", "&&", "||", "|", "&", "(", ")", "{", "}", "if", "then", "else",
    "fi", "for", "in", "do", "done", "while", "case", "esac", ";;", "'", '"', "\\", "#", "$",
    "$(", "`", "<<", "E", ">", "2>", "=", "x=", "!", "${", "}", "$((", "))", "\\\n", "elif",
])
_SH_EXAMPLES = max(300, int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "300")))


@settings(max_examples=_SH_EXAMPLES, deadline=None)
@given(st.lists(_TOKENS, max_size=14).map("".join))
def test_syntax_errors_agree_with_dash(text):
    ours = read_script(text)
    theirs = subprocess.run(["/bin/sh", "-n", "-c", text], capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=10)
    if theirs.returncode != 0:  # never a false "known"
        assert ours.tree.rest is not None, (text, theirs.stderr)
    elif not any(s in text for s in ("`", "${", "$((")):
        assert ours.tree.rest is None, (text, ours.tree.rest)
    # Where we are stricter than dash we stop, which claims less: a backquoted body dash
    # cannot parse is sometimes an error only when it runs (`` `)` ``), and dash leaves
    # malformed `${…}` ("bad substitution") and some `$((…))` to run time.


@pytest.mark.parametrize("text", [
    "${''}", "${'}", "${'a}", "${'''}", "${''''}", '${""}', '${"}', "${\\'}", "${\\''}",
    "${x'}", "${x''}", "${x'}'}", "${x:'}", "${x:''}", "${x:}", "${x:}}", "${x#''}", "${x#'}",
    "${x%%''}", "${x%%'}", "${x?'}", "${x\\'}", "${x:\\'}", "${x:-\\'}", "${x-'}'}", "${:}", "${}",
    "${@''}", "${@'''}", "${!''}", "${-''}", "${0''}", "${12''}", "${$''}", "${#}", "${#'}",
    "${#''}", "${##''}", "${#x''}", "${#-''}", "${#:''}", "${#@}", "${$'}", "${${x}}",
])
def test_the_head_of_a_substitution_is_read_as_dash_reads_it(text):
    """Found by test_syntax_errors_agree_with_dash (`${''}`): after `${`, dash takes the name
    and one more character as they are, so a quote there opens nothing; ground truth `sh -n`."""
    dash = subprocess.run(["/bin/sh", "-n", "-c", text], capture_output=True).returncode
    assert (read_script(text).tree.rest is not None) == (dash != 0), text


@pytest.mark.parametrize("text", ["<<a$\n${", "cat <<a$\n${x\na$\n"])
def test_a_delimiter_with_a_dollar_is_unquoted_so_its_body_is_parsed(text):
    # Found by test_syntax_errors_agree_with_dash: dash expands the body, and `${` is an error.
    assert subprocess.run(["/bin/sh", "-n", "-c", text], capture_output=True).returncode != 0
    assert read_script(text).tree.rest is not None


@pytest.mark.parametrize("text,delimiter,expand", [
    ("cat <<$a\n$HOME\n$a\n", "$a", True),
    ('cat <<"$(b"\n$HOME\n$(b\n', "$(b", False),
    ("cat <<`a`\n$HOME\n`a`\n", "`a`", True),
])
def test_a_delimiter_reads_dollar_and_backquote_literally(text, delimiter, expand):
    # Found by test_syntax_errors_agree_with_dash (`<<$(())` is an error to dash): dash reads
    # the delimiter word with `$` and backquotes as plain characters.
    (heredoc,) = read_script(text).tree.heredocs
    assert (heredoc.delimiter, heredoc.expand) == (delimiter, expand)
    ran = subprocess.run(["/bin/sh", "-c", text], capture_output=True, text=True,
                         env={"HOME": "/h"})
    assert ran.stdout == ("/h\n" if expand else "$HOME\n")


@pytest.mark.parametrize("text,error", [
    (">\\\n>a", False),   # `>` continued by `>` is `>>`, one operator
    ("${${}\n}", True),     # `${$` names the parameter `$`: the first `}` closes, `}` is left
    ("${$ {}}", False),
])
def test_continuations_and_braces_as_dash_reads_them(text, error):
    # Found by test_syntax_errors_agree_with_dash with 20,000 examples.
    assert bool(subprocess.run(["/bin/sh", "-n", "-c", text], capture_output=True).returncode) \
        is error
    assert (read_script(text).tree.rest is not None) is error


def test_a_delimiter_with_a_substitution_is_a_syntax_error():
    assert subprocess.run(["/bin/sh", "-n", "-c", "<<$(())"], capture_output=True).returncode
    assert read_script("<<$(())").tree.rest is not None


@pytest.mark.parametrize("script,workdir,value", [
    ("ok1 $PWD", "/app", "/app"),
    ('cd /src/sub && ok1 "$PWD"', "/", "/src/sub"),
    ("cd sub && ok1 ${PWD}", "/app", "/app/sub"),
    ("cd sub; ok1 $PWD", "/app", None),  # a failed cd leaves the directory as it was
    ("ok1 $PWD", None, None),  # the directory is unknown
    ("PWD=/x; ok1 $PWD", "/app", None),  # assigned: cd would overwrite it; not followed
    ("cd /a; cd $(x); ok1 $PWD", "/", None),
])
def test_pwd_is_the_directory_the_reader_follows(script, workdir, value):
    argv = [c.args for c in read_script(script, workdir=workdir, env={}).commands if c.name == "ok1"]
    assert argv == [("ok1", value)]


def test_pwd_agrees_with_sh(tmp_path):
    """Ground truth: the real /bin/sh prints $PWD where the reader says it is known."""
    import subprocess

    (tmp_path / "d1" / "d2").mkdir(parents=True)
    script = (f'cd {tmp_path}/d1 && printf "%s\\n" "$PWD" && cd d2 && printf "%s\\n" "$PWD" && cd .. '
              '&& printf "%s\\n" $PWD; cd d9; printf "%s\\n" $PWD')
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd="/", env={"PWD": "/nope"},
                         check=False).stdout.splitlines()
    model = [c.args[2] for c in read_script(script, workdir="/", env={}).commands if c.name == "printf"]
    assert out == [f"{tmp_path}/d1", f"{tmp_path}/d1/d2", f"{tmp_path}/d1", f"{tmp_path}/d1"]
    assert model == out[:3] + [None]  # after `cd d9;` (which fails here) the reader does not know


# The parser's shortcut for plain `&&` lists against the grammar ------------------------------

def _typed(node):
    """A node as nested tuples that name each node's type (NamedTuples compare as tuples)."""
    if isinstance(node, tuple):
        return (type(node).__name__, *(_typed(x) for x in node))
    return node


_PLAIN_PIECES = st.sampled_from([
    "pip", "a", "a#b", "#c", "x=1", "A=", "=", "--opt=1", " ", " ", "\t", "&&", "&", "\r",
    "if", "!", "{", "}", "in", "do", "[[", "((", "{a,b}", "a,b", "x{", "\n", "'", '"', "$",
    "\\", ";", "|", ">", "1", "~", "*", "\\\n", " \\\n",
])


@settings(max_examples=_SH_EXAMPLES, deadline=None)
@given(st.lists(_PLAIN_PIECES, max_size=16).map("".join))
def test_plain_shortcut_gives_the_grammars_tree(text):
    fast = syn.plain_and_list(text)
    if fast is not None:
        assert _typed(fast) == _typed(syn.parse_grammar(text)), text


@pytest.mark.parametrize("text", [
    "pip install --no-cache-dir a==1 b", "A=1 B= pip install x  &&\tpip y  # c && z",
    "", "  # only a comment", "a&&b", "x=1", "A=1 if", "pip install a#b", "a\rb && c",
    "pip install a && \\\n    pip install b", "a \\\nb", "a \\\n", "a \\\n# c", "a \\\n  b # c",
    "pip  install a  &&  b ",
])
def test_plain_shortcut_takes_plain_lines(text):
    fast = syn.plain_and_list(text)
    assert fast is not None and _typed(fast) == _typed(syn.parse_grammar(text))


@pytest.mark.parametrize("text", [
    "a && ", "&& a", "a & b", " } x", "a &&  && b", "a; b", "if x", "! a", "a\nb", "a # c\nb", "a [[ b", "echo {a,b}",
    "a 'b'", "a $B", "a\\ b", "a > f", "a && # c", "a\\\nb", "\\\na", "a \\\n\\\nb", "a &&\\\n b",
])
def test_plain_shortcut_leaves_the_rest_to_the_grammar(text):
    assert syn.plain_and_list(text) is None
    assert _typed(syn.parse(text)) == _typed(syn.parse_grammar(text))


# The reader's shortcut for plain `&&` lists against the tree walker ---------------------------

_READING_STATES = st.tuples(
    st.sampled_from(["/", "/app", "/app/../srv", None, "relative"]),
    st.sampled_from([{}, {"V1": "x"}, {"V1": "a b", "IFS": ":"}, {"PWD": "/p", "CDPATH": "/c"}]),
    st.booleans())
_READING_PIECES = st.sampled_from([
    "pip", "install", "a==1", "cd", "exit", "export", "set", "-e", "eval", ".", "source", "read", "unset",
    "f()", ":", "x=1", "a#b", " #c", "~", "*", "[x]", "{a,b}", "a,b", "$V1", "'q'", ">", "|", ";", "!",
    "||", " ", " ", " && ", "&&", " && \\\n  ", "\n", "&", "\\\n"])


# Mostly plain pieces, so that the shortcut is taken often.
_PLAIN_READING_PIECES = st.sampled_from(["pip", "a==1", "cd", "exit", ":", "x=1", "a,b", "~", "a#b", " #c", " ",
                                         " && ", " && \\\n  ", "\r"])


@settings(max_examples=_SH_EXAMPLES, deadline=None)
@given(st.lists(_READING_PIECES, max_size=14).map("".join) | st.lists(_PLAIN_READING_PIECES, max_size=14).map("".join),
       _READING_STATES)
def test_plain_reading_is_the_walk(text, state):
    from dockfix.model import shell

    tree = syn.parse(text)
    initial = shell._initial_state(*state)
    fast = shell._plain_reading(text, tree, initial)
    if fast is not None:
        assert (fast, True) == shell._walk_tree(text, tree, initial), text


@pytest.mark.parametrize("text", [
    "pip install a==1", "pip install --no-cache-dir a==1 b && pip install c  # web",
    "apt-get update && \\\n    apt-get install -y x", "true", ": ok && a,b",
])
def test_plain_reading_takes_plain_lists(text):
    from dockfix.model import shell

    tree = syn.parse(text)
    initial = shell._initial_state("/app", {"V1": "x"}, False)
    fast = shell._plain_reading(text, tree, initial)
    assert fast is not None and (fast, True) == shell._walk_tree(text, tree, initial)


@pytest.mark.parametrize("text", [
    "cd /x && a", "a && exit 1", "A=1 a", "a > f", "a || b", "a; b", "! a", "a ~", "a *", "a {b,c}",
    "a $V1", "a 'b'", "export A=1 && a", "set -e && a", "a | b", "a &", "f() { a; }",
])
def test_plain_reading_leaves_the_rest_to_the_walk(text):
    from dockfix.model import shell

    assert shell._plain_reading(text, syn.parse(text), shell._initial_state("/", {}, False)) is None


# What is appended after a script (`&& next`, as merged RUNs and cleanups write it) against the
# real /bin/sh: comment_at_end says the appended command would not run.
@pytest.mark.parametrize("text", [
    "if ok1; then ok2 'see https://x/#frag'; fi",  # `#` in a word on the last line: no comment
    "for f in a; do ok2 \"$f#\"; done",
    "case x in x) ok2 '#';; esac",
    "{ ok2 a#b; }",
    "(ok2 '#')",
    "ok2 a; ok2 b#c",
    "if ok1; then ok2; fi  # a comment after fi",
    "ok2 'x' # trailing",
    "for f in a; do ok2; done #",
])
def test_comment_at_end_against_sh(text, tmp_path):
    from tests.model.shell_oracle import Sandbox

    _, ran = Sandbox(str(tmp_path)).run(text + " && ok3 appended")
    appended_ran = any(e.name == "ok3" for e in ran)
    assert read_script(text).comment_at_end is not appended_ran, text
