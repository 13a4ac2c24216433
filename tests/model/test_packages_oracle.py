"""Ground truth for the pip reader: pip's own parsers, run in this process on the same input.

- the option table equals the installed pip's, command by command (names, arity, dest);
- generated pip command lines (options of every arity in random order, glued and separate
  forms, abbreviations, general options before the sub-command, PIP_* variables) read by
  `read_pip` agree with pip's parse_command + the command's parse_args: same positionals,
  same value for every dest, and pip refuses exactly the lines we call inexact;
- generated requirement files read by `parse_requirements_text` agree with pip's
  `req_file.parse_requirements` (requirements, editables, hashes, includes, constraints);
- uv's tables equal what the installed uv's `--help` lists, and uv refuses the lines we
  read as inexact (a dry run, offline, no index).
Nothing is downloaded: pip only parses, uv runs offline.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import uv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pip._internal.cli.main_parser import create_main_parser, parse_command
from pip._internal.commands import commands_dict, create_command
from pip._internal.network.session import PipSession
from pip._internal.req.req_file import parse_requirements

from dockfix.model.argv import Arity, UNKNOWN
from dockfix.model.packages import read_pip
from dockfix.model import uv_options
from dockfix.model.pip_options import COMMANDS, GENERAL, LEGACY, REQUIREMENT_FILE
from dockfix.model.requirements import EntryKind, parse_requirements_text

# pip's callbacks (value converted or merged) are compared by what we can see of them.
_CONVERTED = {"src_dir", "python_version", "uploaded_prior_to", "format_control", "release_control",
              "config_settings", "dependency_groups", "refresh_package", "python"}
_NO_CONFIG = {"PIP_CONFIG_FILE": os.devnull, "_PIP_RUNNING_IN_SUBPROCESS": "1"}


def _pip_options(parser) -> dict[str, tuple[bool, str, str]]:
    out = {}
    for grp in [parser, *parser.option_groups]:
        for o in grp.option_list:
            for name in o._short_opts + o._long_opts:
                out[name] = (o.takes_value(), o.dest, o.action)
    return out


def _our_kind(action: str, takes: bool, dest: str) -> set[Arity]:
    return {"append": {Arity.APPEND}, "store": {Arity.STORE}, "store_true": {Arity.TRUE},
            "store_false": {Arity.FALSE}, "count": {Arity.COUNT}, "store_const": {Arity.TRUE},
            "help": {Arity.TRUE},
            "callback": ({Arity.STORE, Arity.APPEND} if takes else {Arity.NO_CACHE})}[action]


def test_option_table_is_pips_own() -> None:
    for name in commands_dict:
        theirs = _pip_options(create_command(name).parser)
        ours = COMMANDS[name]
        assert set(theirs) == set(ours) - LEGACY, name
        for opt, (takes, dest, action) in theirs.items():
            spec = ours[opt]
            assert (spec.arity.takes_value, spec.dest) == (takes, dest), (name, opt)
            assert spec.arity in _our_kind(action, takes, dest), (name, opt, action)
    general = {n for o in create_main_parser().option_list_all for n in o._short_opts + o._long_opts}
    assert general == set(GENERAL)


def test_requirement_file_table_is_pips_own() -> None:
    from pip._internal.req.req_file import build_parser

    theirs = _pip_options(build_parser())
    assert set(theirs) == set(REQUIREMENT_FILE)
    for opt, (takes, dest, _action) in theirs.items():
        assert (REQUIREMENT_FILE[opt].arity.takes_value, REQUIREMENT_FILE[opt].dest) == (takes, dest)


# -- generated pip command lines ---------------------------------------------------------------
_VALUES = {"progress_bar": ["on", "off", "raw"], "root_user_action": ["warn", "ignore"],
           "upgrade_strategy": ["eager", "only-if-needed"], "exists_action": ["s", "i", "w", "b", "a"],
           "keyring_provider": ["auto", "disabled", "import", "subprocess"], "retries": ["3", "7"],
           "resume_retries": ["2"], "timeout": ["5.5", "30"], "python_version": ["3.11", "3"],
           "format_control": [":all:", ":none:", "numpy"], "release_control": [":all:", "numpy"],
           "config_settings": ["k=v", "a=b"], "dependency_groups": ["dev", "test"],
           "uploaded_prior_to": ["2024-01-01T00:00:00Z"], "refresh_package": ["numpy"]}
# Values pip accepts for options with a fixed set of choices (its own lists: a wrong choice is a
# refusal of the value, not a different reading of the words).
_CHOICES = {o.dest: sorted(o.choices) for name in commands_dict for grp in
            [create_command(name).parser, *create_command(name).parser.option_groups]
            for o in grp.option_list if getattr(o, "choices", None)}
_VALUES.update({d: c for d, c in _CHOICES.items() if d not in _VALUES})
_WORD = st.text(alphabet="abcdefgxyz0123456789_.", min_size=1, max_size=8)
_REQ = st.sampled_from(["flask", "requests==2.31.0", "Django>=4,<5", "numpy[extra]", "./pkg", "x.whl"])


def _usable(command: str) -> list[str]:
    return sorted(n for n, s in COMMANDS[command].items()
                  if n not in LEGACY and n not in ("-h", "--help", "-V", "--version"))


@st.composite
def _option_words(draw, command: str) -> list[str]:
    name = draw(st.sampled_from(_usable(command)))
    spec = COMMANDS[command][name]
    if name.startswith("--") and draw(st.booleans()):  # an abbreviation optparse accepts
        longs = [n for n in COMMANDS[command] if n.startswith("--")]
        cut = draw(st.integers(3, len(name)))
        prefix = name[:cut]
        if [n for n in longs if n.startswith(prefix)] == [name]:
            name = prefix
    if not spec.arity.takes_value:
        return [name]
    value = draw(st.sampled_from(_VALUES[spec.dest]) if spec.dest in _VALUES else _WORD)
    form = draw(st.sampled_from(["separate", "glued"]))
    if form == "glued":
        return [f"{name}={value}"] if name.startswith("--") else [f"{name}{value}"]
    return [name, value]


@st.composite
def _pip_argv(draw):
    command = draw(st.sampled_from(["install", "install", "download", "wheel", "uninstall", "lock"]))
    general = draw(st.lists(st.sampled_from([w for w in sorted(GENERAL) if w not in ("-h", "--help", "-V",
                                                                                   "--version", "--python")
                                             and not GENERAL[w].arity.takes_value]), max_size=2))
    parts = draw(st.lists(st.one_of(_option_words(command), _REQ.map(lambda r: [r])), max_size=8))
    launcher = draw(st.sampled_from([["pip"], ["pip3.11"], ["python3", "-m", "pip"], ["/opt/venv/bin/python", "-m", "pip"]]))
    return launcher, [*general, command, *[w for p in parts for w in p]]


def _pip_reads(args: list[str], env: dict[str, str]):
    with mock.patch.dict(os.environ, {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
                                      **_NO_CONFIG, **env}, clear=True), \
            contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            name, cmd_args = parse_command(args)
            command = create_command(name)
            # pip's option factories share one default list between parsers made in one
            # process; a pip run makes one parser, so each parse here starts from fresh lists.
            for dest, default in command.parser.defaults.items():
                if isinstance(default, list):
                    command.parser.defaults[dest] = []
            return command.parse_args(cmd_args)
        except SystemExit:
            return None


_ENV = st.dictionaries(st.sampled_from(["PIP_NO_CACHE_DIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_USER",
                                        "PIP_TARGET", "PIP_PREFIX", "PIP_CONSTRAINT", "PIP_REQUIRE_VIRTUALENV",
                                        "PIP_BREAK_SYSTEM_PACKAGES", "PIP_QUIET", "PIP_NO_DEPS", "PIP_FIND_LINKS"]),
                       st.sampled_from(["1", "true", "no", "a b", "x"]), max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pip_argv(), _ENV)
def test_read_pip_agrees_with_pips_parser(argv, env) -> None:
    launcher, args = argv
    ours = read_pip([*launcher, *args], "/app", env)
    assert ours is not None
    theirs = _pip_reads(args, env)
    if theirs is None:  # pip refuses the line (a bad value, a flag given a value, a bad PIP_ boolean)
        assert not ours.exact, (args, env)
        return
    assert ours.exact, (args, env, ours.unknowns)
    options, positionals = theirs
    assert list(ours.arguments) == positionals
    for opt in ours.options:
        if opt.dest in _CONVERTED:
            continue
        mine = ours.value(opt.dest)
        pips = getattr(options, opt.dest)
        if isinstance(mine, tuple):
            mine = list(mine)
        if isinstance(pips, (int, float)) and not isinstance(pips, bool) and isinstance(mine, str):
            mine = type(pips)(mine)  # pip's option types (int, float) convert the text
        assert mine == pips, (opt.dest, mine, pips, args, env)


# -- generated requirement files --------------------------------------------------------------
_LINE = st.sampled_from([
    "flask==2.0", "requests>=2,<3  # pinned", "Django_Rest.Framework[b,a] >= 1.0 ; python_version < \"3.8\"",
    "-e ./pkg", "--editable=./other", "--index-url https://idx.example/simple", "-i https://i2.example/simple",
    "--extra-index-url https://extra.example/simple", "--find-links ./wheels", "-f ./w2", "--pre",
    "--prefer-binary", "--no-binary :all:", "--only-binary=numpy", "--trusted-host idx.example",
    "--require-hashes", "numpy==1.26 --hash=sha256:abc --hash=sha256:def", "# a comment", "",
    "six \\", "  ==1.16", "${PKG}==1.0", "attrs", "--no-index", "-c cons.txt", "-r sub/more.txt"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=10))
def test_requirement_files_agree_with_pips_parser(lines) -> None:
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sub").mkdir()
        (root / "cons.txt").write_text("flask<3\n")
        (root / "sub" / "more.txt").write_text("idna\n")
        main = root / "requirements.txt"
        main.write_text(text)
        with mock.patch.dict(os.environ, {"PKG": "packaging", **_NO_CONFIG}):
            try:
                theirs = list(parse_requirements(str(main), PipSession()))
            except Exception:  # noqa: BLE001 - pip refuses the file
                theirs = None
        ours = parse_requirements_text(text, str(main), {"PKG": "packaging"})
        if theirs is None:
            assert ours.unknown
            return
        assert not ours.unknown
        direct = [r for r in theirs if r.comes_from.split(" ", 1)[1].startswith(str(main))]
        mine = [e for e in ours.entries if e.kind in (EntryKind.REQUIREMENT, EntryKind.EDITABLE)]
        assert [(r.requirement, r.is_editable) for r in direct] == \
            [(e.requirement.text.strip(), e.kind is EntryKind.EDITABLE) for e in mine]
        hashes = [sorted(r.options.get("hashes", {}).get("sha256", [])) for r in direct]
        assert hashes == [sorted(str(o.value).split(":", 1)[1] for o in e.options if o.dest == "hashes") for e in mine]
        included = {r.comes_from.split(" ", 1)[1].split(" (line")[0] for r in theirs} - {str(main)}
        assert included == {p for p in (*ours.includes, *ours.constraints)}
        constrained = any(r.constraint for r in theirs)
        assert constrained == bool(ours.constraints)


# -- uv's own help ----------------------------------------------------------------------------
_UV_OPTION = re.compile(r"^\s{2,6}(?:(-\w), )?(--[\w-]+)(?:[ =]<([^>]+)>)?")


def _uv_help(*command: str) -> tuple[dict[str, bool], dict[str, str]]:
    """The options `uv <command> --help` lists (spelling -> takes a value) and the environment
    variable each names ([env: UV_X=])."""
    text = subprocess.run([uv.find_uv_bin(), *command, "--help"], capture_output=True, text=True, check=True).stdout
    options: dict[str, bool] = {}
    env: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        m = _UV_OPTION.match(line)
        if m:
            current = m.group(2)
            for name in filter(None, (m.group(1), m.group(2))):
                options[name] = m.group(3) is not None
        if current:
            for var in re.findall(r"env:\s*`?(UV_\w+)`?=", line):
                env[var] = current
    return options, env


@pytest.mark.parametrize("command, table", [(("pip", "install"), uv_options.PIP_INSTALL),
                                            (("pip", "sync"), uv_options.PIP_SYNC),
                                            (("pip", "uninstall"), uv_options.PIP_UNINSTALL),
                                            (("sync",), uv_options.SYNC)])
def test_uv_tables_are_uvs_own(command, table) -> None:
    options, env = _uv_help(*command)
    assert {n: s.arity.takes_value for n, s in table.items() if n not in uv_options.HIDDEN} == options
    for var, option in env.items():
        assert uv_options.ENV[var] == option, var
    assert set(uv_options.ENV) - uv_options.HIDDEN_ENV >= set(env)


def test_uv_reads_the_tables_as_uv_does() -> None:
    """uv refuses (clap's usage error) exactly the lines we read as having an unknown option;
    `--dry-run --offline --no-index` keeps it from touching anything."""
    for args, refused in [(["--target", "/t", "-r", "r.txt"], False), (["--no-such-option", "x"], True),
                          (["-rr.txt", "--system"], False), (["--requirement", "r.txt"], False),
                          (["--user", "x"], False), (["--no-deps=1", "x"], True), (["--no-dry-run", "x"], True),
                          (["-Z", "x"], True), (["--no-cache", "-n", "x"], False)]:
        ours = read_pip(["uv", "pip", "install", *args])
        ran = _uv_install(args)
        assert ("unexpected" in ran.stderr) == refused, (args, ran.stderr)
        assert (not ours.exact) == refused, (args, ours.unknowns)


def _uv_install(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "r.txt").write_text("")
        return subprocess.run([uv.find_uv_bin(), "pip", "install", "--dry-run", "--offline", "--no-index", *args],
                              capture_output=True, text=True, cwd=tmp,
                              env={"PATH": os.environ.get("PATH", ""), "UV_NO_CONFIG": "1", "HOME": tmp})


@pytest.mark.parametrize("name", sorted(uv_options.HIDDEN))
def test_uv_accepts_each_hidden_spelling_with_its_arity(name) -> None:
    alone = _uv_install([name])
    assert "unexpected argument" not in alone.stderr
    assert ("a value is required" in alone.stderr) == uv_options.PIP_INSTALL[name].arity.takes_value
