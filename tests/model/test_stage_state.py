"""model.stage_state: the state before every instruction, one walk per document. What a real
build sees is checked by tests/build/test_stage_state_buildah.py; here, the readings the
callers rely on (the conservative per-stage scope, unknown workdirs and users) and BuildKit's
rules that buildah does not follow (cited there)."""

from __future__ import annotations

from dockfix.model.run import DEFAULT_SHELL
from dockfix.model.stage_state import Workdir, WorkdirKind, shell_before, stage_chain, state_at_end, state_before
from dockfix.model.values import Origin
from dockfix.model.words import scope_before
from dockfix.syntax import parse


def _states(text: str):
    doc = parse(text.encode(), "Dockerfile")
    return doc, [state_before(doc, ins) for ins in doc.instructions]


def _known(scope) -> dict[str, str | None]:
    return {k: b.value.text for k, b in scope.bound.items() if not b.maybe_unset}


def test_workdir_relative_to_an_unknown_base_stays_relative_until_an_absolute_one() -> None:
    _, s = _states("FROM x\nWORKDIR a/b\nWORKDIR ../c\nRUN x\nWORKDIR //srv//d/\nRUN y\n")
    assert s[3].workdir == Workdir(WorkdirKind.FROM_BASE, "a/c")
    assert s[3].workdir.known is None and s[3].workdir.resolve("/app") == "/app/a/c"
    assert s[5].workdir.known == "/srv/d"  # Go's path.Clean: no leading `//`
    assert s[1].workdir.resolve("/") == "/" and s[1].workdir_at is None and s[2].workdir_at == 1


def test_workdir_under_an_arg_is_known_with_its_default_only() -> None:
    _, s = _states("FROM x\nARG D=/app\nWORKDIR $D\nRUN x\n")
    assert s[3].workdir.known == "/app"
    assert s[3].fixed_workdir.kind is WorkdirKind.UNKNOWN  # a build may pass another D


def test_workdir_of_an_unknown_variable_is_unknown_and_an_absolute_one_recovers() -> None:
    _, s = _states("FROM x\nWORKDIR $HOME/x\nRUN a\nWORKDIR /ok\nRUN b\n")
    assert s[2].workdir.kind is WorkdirKind.UNKNOWN and s[2].workdir.resolve("/") is None
    assert s[4].workdir.known == "/ok"


def test_user_as_written_and_unknown_when_made_of_unknown_words() -> None:
    _, s = _states("FROM x\nRUN a\nUSER 1000:1000\nRUN b\nUSER $WHO\nRUN c\n")
    assert s[1].user is None
    assert s[3].user.value.text == "1000:1000" and s[3].user.name == "1000" and s[3].user.at == 2
    assert s[5].user.value.text is None and s[5].user.name is None
    assert s[5].user.value.origins == frozenset({Origin.FROM_BASE_IMAGE})


def test_a_stage_built_on_an_earlier_one_starts_from_its_end() -> None:
    doc, s = _states('FROM x AS a\nARG A=1\nENV E=$A\nWORKDIR /w\nUSER u\nSHELL ["/bin/bash", "-c"]\n'
                     "FROM a AS b\nRUN x\nFROM other\nRUN y\n")
    b = s[7]
    assert b.chain == (1, 0) and b.workdir.known == "/w" and b.user.value.text == "u"
    assert b.shell == ("/bin/bash", "-c")
    assert _known(b.scope) == {"A": "1", "E": "1"}  # BuildKit: the base stage's llb state, ARGs too
    assert _known(b.stage_scope) == {}  # the conservative reading: the stage's own only
    assert _known(b.fixed_scope)["E"] is None
    other = s[9]
    assert other.chain == (2,) and other.shell == DEFAULT_SHELL and other.user is None
    assert state_at_end(doc, 0).user.at == 4


def test_an_arg_after_an_env_of_the_same_name_replaces_it_as_buildkit_does() -> None:
    _, s = _states("FROM x\nENV X=1\nARG X=2\nRUN x\n")
    assert _known(s[3].scope)["X"] == "2"  # dispatchArg: AddEnv (buildah keeps 1)


def test_a_shell_not_in_json_form_is_unreadable() -> None:
    _, s = _states("FROM x AS a\nSHELL bash -c\nFROM a\nRUN x\n")
    assert s[3].shell is None


def test_escape_directive_in_words() -> None:
    _, s = _states("# escape=`\nFROM x\nENV D=C:\\dir W=/a`$b\nWORKDIR $W\nRUN x\n")
    assert _known(s[2].scope)["D"] == "C:\\dir" and s[3].workdir.known == "/a$b"


def test_scope_before_is_the_stage_s_own_reading_with_or_without_defaults() -> None:
    doc = parse(b"ARG G=g\nFROM x AS a\nENV P=1\nFROM a\nARG G\nARG L=l\nENV M=${L}-${G}\nRUN x\n", "Dockerfile")
    run = doc.instructions[-1]
    assert _known(scope_before(doc, run)) == {"G": "g", "L": "l", "M": "l-g"}  # no P: the parent's
    fixed = scope_before(doc, run, arg_defaults=False)
    assert fixed.bound["L"].maybe_unset and fixed.bound["M"].value.text is None
    assert state_before(doc, run).file_env == {}
    assert _known(scope_before(doc, doc.instructions[0])) == {}  # before FROM: the global scope, aside


def test_file_env_holds_what_no_build_argument_decides() -> None:
    doc = parse(b"FROM x\nARG A=1\nENV K=v F=$A\nRUN x\n", "Dockerfile")
    assert state_before(doc, doc.instructions[-1]).file_env == {"K": "v"}


def test_the_walk_is_once_per_document() -> None:
    doc = parse(b"FROM x AS a\nENV A=1\nFROM a\nRUN x\n", "Dockerfile")
    first = state_before(doc, doc.instructions[-1])
    assert state_before(doc, doc.instructions[-1]) is first
    other = parse(doc.data + b"RUN y\n", "Dockerfile")
    assert state_before(other, other.instructions[3]) is not first


def test_the_first_pass_agrees_with_the_states() -> None:
    """`shell_before` and `stage_chain` (no word read) are the states' own SHELL and chain."""
    doc = parse(b'ARG A\nFROM x AS a\nSHELL ["/bin/bash", "-c"]\nRUN x\nFROM a AS b\nSHELL bash\nRUN y\n'
                b'FROM b\nRUN z\nFROM other\nSHELL ["/bin/zsh", "-c"]\n', "Dockerfile")
    for ins in doc.instructions:
        state = state_before(doc, ins)
        assert shell_before(doc, ins) == state.shell
        assert ins.stage < 0 or stage_chain(doc, ins.stage) == state.chain
    assert [shell_before(doc, i) for i in doc.instructions if i.keyword == "RUN"] == [("/bin/bash", "-c"), None, None]
    assert state_at_end(doc, 3).shell == ("/bin/zsh", "-c")
