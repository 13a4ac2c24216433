"""Ground truth for apt's option table: the real apt-get's command-line parser.

`apt-get [options] moo` (and `apt-get -s [options] install`, a simulation on the local cache)
exit 0 exactly when every option is understood and takes the words we say it takes: a value
option we took for a flag would eat the command, a flag we took for a value option would leave
its "value" as the command. apt accepts an option only with the commands it belongs to
(`-a` with build-dep, `--purge` with install/remove): each option is asked with the command it
belongs to; the reader does not model that pairing (an option apt refuses for the command is
read as known).
"""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.model.system_packages import _APT_OPTIONS, read_system_packages

_VALUES = {"option": "Debug::NoLocking=1", "config_file": "/dev/null", "target_release": "stable",
           "host_architecture": "amd64", "build_profiles": "nocheck"}


# Options neither `moo`, `install` nor `upgrade` accepts: -a/-P/-b belong to build-dep/source
# (which need source lists), the update options would rewrite this machine's package lists,
# -t's value is checked against the configured releases.
_UNASKED = {"-a", "--host-architecture", "-P", "--build-profiles", "-b", "--compile", "--build",
            "--allow-insecure-repositories", "--allow-releaseinfo-change", "--list-cleanup", "--no-list-cleanup",
            "-t", "--target-release", "--default-release",
            # apt >= 2.7 (this machine's is 2.6): added for apt and apt-get alike, in the option
            # function both share (apt-private/private-cmndline.cc addArgumentsAPTGet, commits
            # 3625351 "Add apt install,upgrade,... -U,--update options" and a19f606 "apt
            # --snapshot option", tag 2.7.0); older ones refuse both with either program.
            "-U", "--update", "-S", "--snapshot"}
_INSTALL = ["-s", "-o", "Debug::NoLocking=1"]


def _apt_get(*args: str) -> int:
    return subprocess.run(["apt-get", *args], capture_output=True, check=False).returncode


def _accepted(words: list[str]) -> bool:
    """Whether apt understands the words with moo, or else with a simulated install or upgrade."""
    return any(_apt_get(*pre, *words, command) == 0
               for pre, command in (((), "moo"), (_INSTALL, "install"), (_INSTALL, "upgrade")))


def _words(name: str) -> list[str]:
    spec = _APT_OPTIONS[name]
    return [name, _VALUES[spec.dest]] if spec.arity.takes_value else [name]


_ASKED = sorted(n for n in _APT_OPTIONS if n not in ("-h", "--help", "-v", "--version") and n not in _UNASKED)


@pytest.mark.parametrize("name", _ASKED)
def test_each_apt_option_has_apts_arity(name: str) -> None:
    assert _accepted(_words(name))
    if _APT_OPTIONS[name].arity.takes_value:  # the value option eats the command word
        assert not _accepted([name])


_MOO = sorted(n for n in _ASKED if _apt_get(*_words(n), "moo") == 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_MOO), max_size=5), st.integers(0, 5))
def test_generated_apt_lines_read_as_apt_reads_them(names, at) -> None:
    at = min(at, len(names))
    argv = [*(w for n in names[:at] for w in _words(n)), "moo", *(w for n in names[at:] for w in _words(n))]
    cmd = read_system_packages(["apt-get", *argv])
    assert _apt_get(*argv) == 0
    assert cmd.exact and cmd.subcommand == "moo" and cmd.arguments == ()


def test_an_option_apt_does_not_know_is_unknown() -> None:
    for argv in (["--bogus", "moo"], ["--solver", "x", "moo"], ["-Z", "moo"]):
        assert _apt_get(*argv) != 0
        assert not read_system_packages(["apt-get", *argv]).exact
