"""The prover's config state read through model/words and model/bases: quotes and
expansions as BuildKit reads them, and what cannot be read kept as unknown."""

from __future__ import annotations

from pathlib import Path

from dockfix.config import Config
from dockfix.model.words import Origin
from dockfix.prover import build_models, find_defects
from dockfix.prover.compare import Outcome, compare
from dockfix.tree import Tree


def _tree(tmp: Path, dockerfile: str, files: dict[str, str] | None = None) -> Tree:
    tmp.mkdir(parents=True, exist_ok=True)
    for rel, text in {"Dockerfile": dockerfile, "requirements.txt": "six==1.16.0\n", "serve/app.py": "X = 1\n",
                      **(files or {})}.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    return Tree(tmp)


def _state(tmp: Path, dockerfile: str):
    (model,) = build_models(_tree(tmp, dockerfile), Config()).values()
    return model.state


def test_quoted_workdir_reads_as_its_value(tmp_path: Path) -> None:
    """Issue 13: `WORKDIR "serve"` is /serve, not /"serve" (a false missing-file defect)."""
    text = ('FROM python:3.11-slim\nWORKDIR "serve"\nCOPY requirements.txt ./\n'
            "RUN pip install --no-cache-dir -r requirements.txt\nCOPY serve/app.py .\n"
            'CMD ["python", "app.py"]\n')
    st = _state(tmp_path, text)
    assert st.workdir == "/serve" and "WORKDIR" not in st.unknown
    assert find_defects(_tree(tmp_path, text), Config()) == []


def test_env_pairs_quotes_and_defaults(tmp_path: Path) -> None:
    st = _state(tmp_path, 'FROM python:3.11-slim\nARG V=1\nENV A="x y" B=${V:-2} C=$A\nENV D \'$A\'\n'
                          'USER "app"\nLABEL "k"="$V"\n')
    assert (st.env["A"], st.env["B"], st.env["D"]) == ("x y", "1", "$A")
    # C reads A before this ENV sets it: whatever the base image sets, which the table does not say.
    assert "C" not in st.env and st.unknown["ENV C"].origins == {Origin.FROM_BASE_IMAGE}
    assert st.user == "app" and st.labels == {"k": "1"}


def test_table_facts_for_an_official_base(tmp_path: Path) -> None:
    st = _state(tmp_path, "FROM python:3.12-slim-bookworm\nENV PATH=/root/.local/bin:$PATH\n")
    assert st.python == "3.12" and st.env["LANG"] == "C.UTF-8"
    assert st.env["PATH"] == "/root/.local/bin:/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert st.unknown == {} and st.workdir == "/"


def test_an_unknown_base_keeps_its_env_user_and_workdir_unknown(tmp_path: Path) -> None:
    st = _state(tmp_path, "FROM myorg/base:1\nENV PATH=/root/.local/bin:$PATH X=$HOME\n")
    assert "PATH" not in st.env and "X" not in st.env  # never guessed
    assert st.unknown["ENV PATH"].origins == {Origin.FROM_BASE_IMAGE}
    assert st.unknown["ENV PATH"].render() == "/root/.local/bin:${PATH}"
    assert {"USER", "WORKDIR"} <= set(st.unknown) and st.python is None


def test_an_arg_without_default_is_a_build_argument(tmp_path: Path) -> None:
    st = _state(tmp_path, "FROM python:3.11-slim\nARG APP\nWORKDIR /srv/$APP\nENV HOME_DIR=/srv/${APP:-x}\n")
    assert st.unknown["WORKDIR"].origins == {Origin.BUILD_ARG} and st.unknown["ARG APP"].names == ("APP",)
    assert "HOME_DIR" not in st.env and "APP" not in st.args


def test_two_different_unknown_values_are_a_change(tmp_path: Path) -> None:
    before = build_models(_tree(tmp_path / "b", "FROM myorg/base:1\nENV X=$A\n"), Config())
    same = build_models(_tree(tmp_path / "s", "FROM myorg/base:1\nENV X=$A\n"), Config())
    after = build_models(_tree(tmp_path / "a", "FROM myorg/base:1\nENV X=$B\n"), Config())
    tb = Tree(tmp_path / "b")
    assert compare(before, same, tb, Tree(tmp_path / "s")).holds
    # Default-deny: two values the model cannot read that differ are unproven, not broken.
    verdict = compare(before, after, tb, Tree(tmp_path / "a"))
    assert [f.invariant for f in verdict.findings if f.severity in ("broken", "unproven")] == ["ENV X"]
    assert verdict.outcomes == {"<Dockerfile>": Outcome.UNPROVEN}
