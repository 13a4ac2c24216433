"""model.stage_state against real buildah builds: the state the walker gives before a RUN
(working directory, USER, SHELL, the variables every scope knows) is what that RUN sees.

Two multi-stage Dockerfiles, one build each (`--format docker`: buildah 1.28 ignores SHELL
in the OCI format). Every probe RUN prints its directory, `id`, its own argv
(`/proc/$$/cmdline`: the SHELL and the script) and its environment; for each probe, every
fact the walker says is known must equal what the build printed. Where buildah 1.28 and
BuildKit disagree, `BUILDAH_DIFFERS` names the fact, what buildah prints and BuildKit's
source line: the walker says what BuildKit does, and the test holds buildah to its value so
a change on either side is seen.
"""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from dockfix.model.stage_state import StateBefore, state_before
from dockfix.syntax import parse

BASE = "docker.io/library/python:3.11-slim"
PROBE = ('RUN echo "@@P|{n}|$(pwd | base64 -w0)|$(id -u)|$(id -g)|$(id -un 2>/dev/null)|$(id -gn 2>/dev/null)|'
         '$(base64 -w0 /proc/$$/cmdline)|$(env -0 | base64 -w0)"')

MULTI_STAGE = """\
ARG BASE={base}
ARG ROOT=/opt/g
ARG ONLY_GLOBAL=og
FROM ${{BASE}} AS first
ARG ROOT
ARG LOCAL=loc
ENV V=/srv VV=${{V:-unset}} W=${{NOPE:-dflt}} P=${{LOCAL:+plus}} N=${{NOPE:+plus}} Q="quoted value" R='single $V'
ENV VD=${{V:-unset}} VP=${{V:+set}}/x LD=${{LOCAL:-x}} S1=hello
ENV S1=bye S2=$S1
{p1}
WORKDIR rel/dir
{p2}
WORKDIR $V/app
WORKDIR ../x
{p3}
WORKDIR //srv//double/
ENV X=1
ARG X=argx
{p4}
RUN useradd -u 1234 -U app
USER app
{p5}
FROM first AS second
ENV C=${{V}}/child
WORKDIR $C
USER 1234:5678
SHELL ["/bin/bash", "-ec"]
{p6}
FROM second AS third
ARG ROOT
WORKDIR $ROOT
{p7}
USER root:root
SHELL ["/bin/sh", "-c"]
{p8}
"""

ESCAPE = """\
# escape=`
FROM {base} AS base
ARG U=4321
ENV A=one `
    B=two
ENV D=C:\\dir E="a b" F=${{A}}-${{B}}
WORKDIR /esc
USER ${{U}}:${{U}}
{p9}
FROM base
WORKDIR sub
{p10}
"""

# (probe, variable) -> (what buildah 1.28 prints, why BuildKit differs). None: unset.
BUILDAH_DIFFERS = {
    # dispatchArg: `d.state = d.state.AddEnv(arg.Key, *arg.Value)`: an ARG with a value replaces
    # an ENV of the same name in BuildKit; buildah keeps the ENV (the classic builder's rule).
    (4, "X"): ("1", "ARG X=argx after ENV X=1"),
    (5, "X"): ("1", "ARG X=argx after ENV X=1"),
    # dispatchState.init: `ds.state = ds.base.state`, `ds.buildArgs = append(..., ds.base.buildArgs...)`:
    # a stage FROM an earlier stage starts with that stage's ARGs in BuildKit; buildah drops them.
    (6, "X"): ("1", "first's ARG X, inherited"),
    (7, "X"): ("1", "first's ARG X, inherited"),
    (8, "X"): ("1", "first's ARG X, inherited"),
    (6, "LOCAL"): (None, "first's ARG LOCAL, inherited"),
    (7, "LOCAL"): (None, "first's ARG LOCAL, inherited"),
    (8, "LOCAL"): (None, "first's ARG LOCAL, inherited"),
    (6, "ROOT"): (None, "first's ARG ROOT, inherited"),
    # shell/lex.go: the escape token of `# escape=` is the lexer's; buildah 1.28 still reads `\`
    # as the escape in words (it drops it: `C:dir`), BuildKit keeps it as a plain character.
    (9, "D"): ("C:dir", "ENV D=C:\\dir under # escape=`"),
    (10, "D"): ("C:dir", "ENV D=C:\\dir under # escape=`"),
    (10, "U"): (None, "base's ARG U, inherited"),
}


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=600)
    assert not check or done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"
    return done


def _dockerfile(template: str, probes: range) -> bytes:
    return template.format(base=BASE, **{f"p{n}": PROBE.format(n=n) for n in probes}).encode()


class Probe:
    """What one probe RUN printed."""

    def __init__(self, fields: list[str]) -> None:
        self.pwd = base64.b64decode(fields[0]).decode().rstrip("\n")
        self.uid, self.gid, self.user, self.group = fields[1:5]
        self.argv = base64.b64decode(fields[5]).decode().split("\0")[:-1]
        env = base64.b64decode(fields[6]).decode().split("\0")[:-1]
        self.env = dict(e.partition("=")[::2] for e in env)


def _build(tmp: Path, data: bytes) -> dict[int, Probe]:
    (tmp / "Dockerfile").write_bytes(data)
    tag = f"localhost/dockfix-stage-state:{secrets.token_hex(6)}"
    done = _run("buildah", "build", "--format", "docker", "--isolation", "chroot", "--pull=never",
                "--layers=false", "-f", str(tmp / "Dockerfile"), "-t", tag, str(tmp), check=False)
    _run("buildah", "rmi", tag, check=False)
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines():
        if line.startswith("@@P|"):
            fields = line.split("|")
            out[int(fields[1])] = Probe(fields[2:])
    return out


def _base_workdir() -> str:
    done = _run("buildah", "inspect", "--type", "image", "--format", "{{.OCIv1.Config.WorkingDir}}", BASE)
    return done.stdout.strip() or "/"


def _probe_runs(data: bytes) -> dict[int, StateBefore]:
    doc = parse(data, "Dockerfile")
    out = {}
    for ins in doc.instructions:
        found = re.search(r"@@P\|(\d+)\|", ins.original) if ins.keyword == "RUN" else None
        if found:
            out[int(found.group(1))] = state_before(doc, ins)
    return out


def _check(n: int, state: StateBefore, probe: Probe, base_workdir: str) -> list[str]:
    """The facts the walker states that the build contradicts."""
    wrong = []
    if state.shell is None or list(state.shell) != probe.argv[:-1]:
        wrong.append(f"shell {state.shell} != {probe.argv[:-1]}")
    for workdir in (state.workdir, state.fixed_workdir):
        path = workdir.resolve(base_workdir)
        if path is not None and path != probe.pwd:
            wrong.append(f"workdir {workdir} -> {path} != {probe.pwd}")
    text = state.user.value.text if state.user is not None else None
    if text is not None:
        name, _, group = text.partition(":")
        if name != (probe.uid if name.isdigit() else probe.user):
            wrong.append(f"user {name} != {probe.uid}/{probe.user}")
        if group and group != (probe.gid if group.isdigit() else probe.group):
            wrong.append(f"group {group} != {probe.gid}/{probe.group}")
    known = [(name, b.value.text) for scope in (state.scope, state.fixed_scope, state.stage_scope,
                                                 state.stage_fixed_scope)
             for name, b in scope.bound.items() if not b.maybe_unset and b.value.text is not None]
    for name, text in known + list(state.file_env.items()):
        expected = BUILDAH_DIFFERS[(n, name)][0] if (n, name) in BUILDAH_DIFFERS else text
        if probe.env.get(name) != expected:
            wrong.append(f"${name}: {text!r} (buildah: {expected!r}) != {probe.env.get(name)!r}")
    return wrong


@pytest.mark.parametrize("template, probes", [(MULTI_STAGE, range(1, 9)), (ESCAPE, range(9, 11))],
                         ids=["multi-stage", "escape"])
def test_state_before_each_run_is_what_the_build_sees(template: str, probes: range, stand_in_bases: None,
                                                      tmp_path: Path) -> None:
    data = _dockerfile(template, probes)
    printed = _build(tmp_path, data)
    states = _probe_runs(data)
    assert sorted(printed) == sorted(states) == list(probes)
    base_workdir = _base_workdir()
    wrong = {n: _check(n, states[n], printed[n], base_workdir) for n in probes}
    assert {n: w for n, w in wrong.items() if w} == {}
    # the differences are BuildKit's: the walker has them, buildah does not
    for (n, name), (value, _) in BUILDAH_DIFFERS.items():
        if n in probes:
            assert states[n].scope.lookup(name).value.text != value


def test_the_walker_knows_what_the_probes_check() -> None:
    """The probes check facts, not unknowns: each kind is known at some probe."""
    states = _probe_runs(_dockerfile(MULTI_STAGE, range(1, 9)))
    assert states[3].workdir.known == "/srv/x" and states[2].workdir.resolve("/") == "/rel/dir"
    assert states[4].workdir.known == "/srv/double"
    assert states[6].workdir.known == "/srv/child" and states[7].workdir.known == "/opt/g"
    assert states[5].user.value.text == "app" and states[7].user.value.text == "1234:5678"
    assert states[7].shell == ("/bin/bash", "-ec") and states[8].shell == ("/bin/sh", "-c")
    assert states[8].chain == (2, 1, 0)
    scope = states[1].scope
    known = {k: b.value.text for k, b in scope.bound.items()}
    # VV reads V before this ENV sets it: the base's, not known
    assert known["VV"] is None and known["W"] is None  # ${V:-…} of a name the base may set
    assert known["VD"] == "/srv" and known["VP"] == "set/x" and known["LD"] == "loc" and known["P"] == "plus"
    assert known["Q"] == "quoted value" and known["R"] == "single $V"
    assert known["S1"] == "bye" and known["S2"] == "hello"  # one ENV reads the env before it
    escape = _probe_runs(_dockerfile(ESCAPE, range(9, 11)))
    assert escape[9].scope.lookup("D").value.text == "C:\\dir" and escape[10].workdir.known == "/esc/sub"
    assert escape[10].user.value.text == "4321:4321"
