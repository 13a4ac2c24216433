"""The Dockerfile word expander against BuildKit's own lexer tests, plus the typed-value
properties (known parts concatenate; unknown never becomes known)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.model.words import (EMPTY, Binding, Origin, Scope, Value, apply, assignments, expand_copy_from,
                                 expand_word, expand_words)
from dockfix.syntax import parse
from tests.model.buildkit_lexer_cases import ENV_VAR_CASES, ENV_VAR_ENV, MATCHES_CASES, MESSAGE_CASES, WORDS_CASES


def known_scope(env: dict[str, str]) -> Scope:
    return Scope({k: Binding(Value.known(v)) for k, v in env.items()})


def _result(v: Value) -> str | None:
    if v.is_invalid:
        return None
    assert v.is_known, v
    return v.text


@pytest.mark.parametrize("word,expected", ENV_VAR_CASES)
def test_env_var_table(word: str, expected: str | None) -> None:
    assert _result(expand_word(word, known_scope(ENV_VAR_ENV))) == expected


@pytest.mark.parametrize("env,word,expected", WORDS_CASES)
def test_words_table(env: dict[str, str], word: str, expected: list[str] | None) -> None:
    words = expand_words(word, known_scope(env))
    if expected is None:
        assert words.error and words.texts is None
    else:
        assert words.texts == tuple(expected)


@pytest.mark.parametrize("word,env,expected", MATCHES_CASES)
def test_matches_table(word: str, env: dict[str, str], expected: str | None) -> None:
    assert _result(expand_word(word, known_scope(env))) == expected


@pytest.mark.parametrize("word,env,message", MESSAGE_CASES)
def test_error_messages(word: str, env: dict[str, str], message: str) -> None:
    v = expand_word(word, known_scope(env))
    assert v.is_invalid and v.unknowns[0].message == message


def test_used_names_are_recorded_like_matched_and_unmatched() -> None:
    used: list[str] = []
    expand_word("${ABC:-.}${FOO%x}${ABC:-$D}", known_scope({"FOO": "xxyy"}), used=used)
    assert set(used) == {"ABC", "FOO", "D"}


def test_backtick_escape() -> None:
    s = known_scope({"A": "1"})
    assert expand_word("`$A", s, "`").text == "$A"
    assert expand_word("\\$A", s, "`").text == "\\1"
    assert expand_word('"x`"y"', s, "`").text == 'x"y'
    assert expand_word("C:\\path", s, "`").text == "C:\\path"


def test_heredoc_marker_keeps_its_blanks_in_one_word() -> None:
    assert expand_words("a << b", Scope()).texts == ("a", "<< b")
    assert expand_word("a<b", Scope()).text == "a<b"


# -- unknown values ---------------------------------------------------------------------------
BASE = Scope({}, Origin.FROM_BASE_IMAGE)


def test_unknown_from_base_image_keeps_its_origin_and_known_text() -> None:
    v = expand_word("/root/.local/bin:$PATH", BASE)
    assert not v.is_known and v.text is None
    assert v.origins == {Origin.FROM_BASE_IMAGE} and v.names == ("PATH",)
    assert v.parts[0] == "/root/.local/bin:"
    assert v.render() == "/root/.local/bin:${PATH}"


def test_modifiers_on_unknowns_are_decided_when_they_can_be() -> None:
    nonempty = BASE.with_env("P", expand_word("/x:$PATH", BASE))
    assert expand_word("${P:-d}", nonempty) == expand_word("/x:$PATH", BASE)  # set and not empty
    assert expand_word("${P:+d}", nonempty).text == "d"
    assert expand_word("${Q:+d}", BASE).text is None  # the base may set Q
    assert expand_word("${Q-d}", known_scope({})).text == "d"  # known unset
    assert expand_word("${Q?}", BASE).origins == {Origin.FROM_BASE_IMAGE}  # may fail, may not: unknown


def test_unknown_expressions_are_equal_only_for_equal_inputs() -> None:
    a = expand_word("${X:-$W}", BASE.with_env("W", Value.known("a")))
    b = expand_word("${X:-$W}", BASE.with_env("W", Value.known("b")))
    assert a != b and a == expand_word("${X:-$W}", BASE.with_env("W", Value.known("a")))
    assert expand_word("$X", BASE) != expand_word("$Y", BASE)


def test_build_args_and_global_scope() -> None:
    doc = parse(b"ARG A=1\nARG B\nARG C=$A-x\nFROM img:$C\nARG A\nARG B\nARG D=$A\nENV E=${B:-none}\n")
    words = [w for ins in doc.global_args() for w in ins.value]
    g = Scope.of_globals(words)
    assert expand_word(doc.stages[0].base, g).text == "img:1-x"
    assert expand_word("$B", g).origins == {Origin.BUILD_ARG}
    assert expand_word("$TARGETARCH", g).origins == {Origin.BUILD_ARG}
    stage = g.stage({"PATH": Value.known("/bin")})
    assert expand_word("$A", stage).text == ""  # a global ARG is not visible until redeclared
    for ins in doc.stage_instructions(doc.stages[0])[1:]:
        stage = apply(stage, ins.keyword, ins.value)
    assert expand_word("$A/$D/$PATH", stage).text == "1/1//bin"
    assert expand_word("$E", stage).origins == {Origin.BUILD_ARG}
    given_b = Scope.of_globals(words, {"B": "b", "A": "9"})
    assert expand_word(doc.stages[0].base, given_b).text == "img:9-x"
    assert expand_word("$TARGETARCH", Scope.of_globals([], {"TARGETARCH": "arm64"})).text == "arm64"


def test_env_pairs_expand_against_the_scope_before_the_instruction() -> None:
    doc = parse(b'FROM scratch\nENV a=1\nENV a=2 b=$a c="x y" d\'q\'=z\nENV legacy one two\nARG x=$a y=$x\n')
    s = Scope().stage({})
    for ins in doc.instructions[1:]:
        s = apply(s, ins.keyword, ins.value)
    got = {k: expand_word(f"${k}", s).text for k in ("a", "b", "c", "dq", "legacy", "x", "y")}
    assert got == {"a": "2", "b": "1", "c": "x y", "dq": "z", "legacy": "one two", "x": "2", "y": "2"}
    assert [(a.key.text, a.value.text) for a in assignments("LABEL", ('"k"', '"v $a"'), s)] == [("k", "v 2")]


def test_later_arg_replaces_env_as_buildkit_add_env_does() -> None:
    s = Scope().stage({})
    s = apply(s, "ENV", ("X", "env"))
    s = apply(s, "ARG", ("X=arg",))
    assert expand_word("$X", s).text == "arg"


def test_copy_from_takes_no_expansion() -> None:
    assert expand_copy_from("builder").text == "builder"
    assert expand_copy_from("$X").is_invalid
    assert expand_copy_from('"builder"').is_invalid


def test_quoted_workdir_reads_without_quotes() -> None:
    assert expand_word('"serve"', Scope()).text == "serve"
    assert expand_word("'a b'", Scope()).text == "a b"


# -- properties ----------------------------------------------------------------------------------
_SAFE = st.text(st.characters(blacklist_characters="$'\"\\<`", blacklist_categories=("Cs",)), max_size=8)
_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)


@st.composite
def _words(draw):
    """A word of literal text and `${NAME}` references, and the names' values."""
    pieces, env = [], {}
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            pieces.append(("text", draw(_SAFE)))
        else:
            name = draw(_NAME)
            env.setdefault(name, draw(_SAFE))
            pieces.append(("var", name))
    return pieces, env


@settings(max_examples=300, deadline=None)
@given(_words())
def test_known_parts_expand_to_their_concatenation(case) -> None:
    pieces, env = case
    word = "".join(p if k == "text" else "${" + p + "}" for k, p in pieces)
    expected = "".join(p if k == "text" else env[p] for k, p in pieces)
    assert expand_word(word, known_scope(env)).text == expected
    quoted = "".join(f"'{p}'" if k == "text" else '"${' + p + '}"' for k, p in pieces)
    assert expand_word(quoted, known_scope(env)).text == expected


_OPS = st.sampled_from(["", ":-d", "-d", ":+d", "+d", "#a", "##*", "%a", "%%*", "/a/b", "//a/b", ":?m", "?m"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_SAFE, _NAME, _OPS), min_size=1, max_size=4), st.data())
def test_unknown_never_becomes_known(pieces, data) -> None:
    """A word reading a variable the base image may set stays unknown unless a modifier
    decides without its value; whatever is known agrees with every value it could take."""
    word = "".join(t + "${" + n + op + "}" for t, n, op in pieces)
    v = expand_word(word, BASE)
    for _ in range(3):  # give every name a concrete value (or leave it unset): a known v must agree
        env = {n: data.draw(_SAFE) for _, n, _ in pieces if data.draw(st.booleans())}
        concrete = expand_word(word, known_scope(env))
        if v.is_known:
            assert concrete.text == v.text
        if concrete.is_invalid:
            assert not v.is_known


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_SAFE, st.builds(lambda n: Value.unknown(Origin.FROM_BASE_IMAGE, n), _NAME)), max_size=5))
def test_concatenation_is_known_only_when_every_part_is(parts) -> None:
    v = Value.of(*parts)
    assert v.is_known == all(isinstance(p, str) for p in parts)
    if v.is_known:
        assert v.text == "".join(parts)
    assert v.origins == ({Origin.FROM_BASE_IMAGE} if not v.is_known else set())
    assert Value.of(v, EMPTY) == v


def test_platform_args_a_build_does_not_pass_are_unknown_build_arguments() -> None:
    from dockfix.model.words import PLATFORM_ARGS

    scope = Scope.of_globals(["A=1"], {"TARGETARCH": "arm64"})
    assert scope.bound["TARGETARCH"] == Binding(Value.known("arm64"))
    for name in PLATFORM_ARGS:
        if name != "TARGETARCH":  # made anew: equal to the binding every scope shares
            assert scope.bound[name] == Binding(Value.unknown(Origin.BUILD_ARG, name, ("platform", name)))
    assert list(scope.bound) == [*PLATFORM_ARGS, "A"]


def test_scope_before_reads_the_stage_up_to_the_instruction() -> None:
    from dockfix.model.words import scope_before

    doc = parse(b"ARG V=1\nFROM alpine\nENV A=x\nCOPY $A$V$B /\nENV B=y\nFROM alpine AS two\nCOPY $A /\n"
                b"ARG V\nCOPY $V /\n")
    first, second, third = (i for i in doc.instructions if i.keyword == "COPY")
    scope = scope_before(doc, first)
    assert expand_word("$A", scope).text == "x"
    assert expand_word("$V", scope).text is None  # a global ARG the stage does not redeclare is not seen; the base may set V
    assert expand_word("$B", scope).text is None  # set after the COPY: the base image may set it
    assert expand_word("$A", scope_before(doc, second)).text is None  # another stage: not this one's ENV
    assert expand_word("$V", scope_before(doc, third)).text == "1"  # redeclared: the global default
    assert expand_word("$V", scope_before(doc, third, arg_defaults=False)).text is None
