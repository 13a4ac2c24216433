"""Default-deny: a mutant per invariant the prover now compares (each must come out broken or
unproven, with the invariant named), and controls that must stay proved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.config import Config
from dockfix.prover import Outcome, prove
from tests.prover.test_mutants import BASE, GOLDEN, mutate, tree_of

B = "docker__Dockerfile_DOT_base"
W = "docker__web__Dockerfile"
APT = "RUN apt-get update && apt-get install -y --no-install-recommends libpq5 curl && rm -rf /var/lib/apt/lists/*\n"
ACCOUNT = "RUN groupadd --gid 1000 appuser && useradd --uid 1000 --gid appuser --create-home appuser\n"


def with_lines(before_extra: str, after_extra: str, *, anchor: str = "WORKDIR /app\n") -> tuple[dict, dict]:
    """BASE with `before_extra` / `after_extra` inserted after `anchor` in the base's final stage."""
    path = "docker/Dockerfile.base"
    b, a = dict(BASE), dict(BASE)
    b[path] = BASE[path].replace(anchor, anchor + before_extra)
    a[path] = BASE[path].replace(anchor, anchor + after_extra)
    return b, a


# name -> (lines in BEFORE, lines in AFTER, the invariant that must be named, outcome)
MUTANTS = {
    "apt package removed (libpq5)": (APT, APT.replace("libpq5 ", ""), "packages", Outcome.BROKEN),
    "apt package added": ("", APT, "packages", Outcome.UNPROVEN),
    "label changed": ("LABEL org.opencontainers.image.version=1\n", "LABEL org.opencontainers.image.version=2\n",
                      "LABEL org.opencontainers.image.version", Outcome.BROKEN),
    "label gone": ("LABEL team=web\n", "", "LABEL team", Outcome.BROKEN),
    "RUN --mount added": ("RUN make\n", "RUN --mount=type=secret,id=x make\n", "RUN flags", Outcome.BROKEN),
    "RUN --network=none": ("RUN make\n", "RUN --network=none make\n", "RUN flags", Outcome.BROKEN),
    "RUN --security=insecure": ("RUN make\n", "RUN --security=insecure make\n", "RUN flags", Outcome.BROKEN),
    "COPY --chmod added": ("", "COPY --chmod=600 requirements/web.txt /srv/\n", "COPY flags", Outcome.BROKEN),
    "COPY --exclude added": ("COPY app /srv/app\n", "COPY --exclude=*.pyc app /srv/app\n", "COPY flags", Outcome.BROKEN),
    "COPY --parents": ("COPY app/wsgi.py /srv/\n", "COPY --parents app/wsgi.py /srv/\n", "COPY flags", Outcome.BROKEN),
    "COPY --link added (the decided rule: unproven)": ("COPY app /srv/app\n", "COPY --link app /srv/app\n",
                                                       "COPY flags", Outcome.UNPROVEN),
    "a command the model does not read changed": ("RUN make all\n", "RUN make install\n", "RUN", Outcome.UNPROVEN),
    "dnf clean with a config option": ("RUN dnf install -y gcc\n",
                                       "RUN dnf install -y gcc && dnf clean all --setopt=cachedir=/srv\n",
                                       "RUN", Outcome.UNPROVEN),
    # the model reads dnf: gcc is no longer installed (broken), not only an unread command
    "dnf remove added": ("RUN dnf install -y gcc\n", "RUN dnf install -y gcc && dnf remove -y gcc\n", "packages",
                         Outcome.BROKEN),
    "commands reordered": ("RUN make a\nRUN make b\n", "RUN make b\nRUN make a\n", "RUN", Outcome.UNPROVEN),
    "a command guarded by ||": ("RUN make\n", "RUN true || make\n", "RUN", Outcome.UNPROVEN),
    "a command run as another user": (ACCOUNT + "USER appuser\nRUN make\nUSER root\n", ACCOUNT + "RUN make\n",
                                      "RUN", Outcome.UNPROVEN),
    "echo into a file as another user": (ACCOUNT + "RUN echo x > /etc/role\nUSER appuser\n",
                                         ACCOUNT + "USER appuser\nRUN echo x > /etc/role\n", "RUN", Outcome.UNPROVEN),
    "useradd RUN removed": (ACCOUNT, "", "accounts", Outcome.BROKEN),
    "apt under a non-root USER": (ACCOUNT + APT + "USER appuser\n", ACCOUNT + "USER appuser\n" + APT,
                                  "root-only step", Outcome.BROKEN),
    # The install is now conditional (the shell model's Condition): the requirement set changes.
    "pip --cache-dir named": ("RUN pip install six\n", "RUN pip install --cache-dir /srv/cache six\n", "pip",
                              Outcome.BROKEN),
    "true || pip install": ("RUN pip install six\n", "RUN true || pip install six\n", "requirements", Outcome.BROKEN),
    # (also broken: the pip --user site of root is unreadable to it)
    "USER of an account no step creates": ("", "USER nobody2\n", "account", Outcome.BROKEN),
    "--chown to an account no step creates": ("COPY app /srv/app\n", "COPY --chown=ghost app /srv/app\n", "account",
                                              Outcome.UNPROVEN),
    "pip --index-url added": ("RUN pip install six\n", "RUN pip install --index-url https://x.example/simple six\n",
                              "pip", Outcome.BROKEN),
    "pip --target added": ("RUN pip install six\n", "RUN pip install --target /opt/x six\n", "pip", Outcome.BROKEN),
    "pip -e added": ("RUN pip install six\n", "RUN pip install six -e ./app\n", "pip", Outcome.BROKEN),
    "pip --dry-run": ("RUN pip install six\n", "RUN pip install --dry-run six\n", "pip", Outcome.BROKEN),
    "pip uninstall added": ("RUN pip install six\n", "RUN pip install six && pip uninstall -y six\n", "pip",
                            Outcome.BROKEN),
    "pip launcher changed": ("RUN python3.11 -m pip install six\n", "RUN python3 -m pip install six\n", "pip",
                             Outcome.BROKEN),
    "pip order changed": ("RUN pip install --no-deps six\nRUN pip install --pre gunicorn\n",
                          "RUN pip install --pre gunicorn\nRUN pip install --no-deps six\n", "pip", Outcome.BROKEN),
    "ENTRYPOINT single-element exec form to shell form": ('ENTRYPOINT ["/app/run"]\n', "ENTRYPOINT /app/run\n",
                                                          "ENTRYPOINT", Outcome.BROKEN),
    "HEALTHCHECK exec form to shell form": ('HEALTHCHECK CMD ["/app/ok"]\n', "HEALTHCHECK CMD /app/ok\n",
                                            "HEALTHCHECK", Outcome.BROKEN),
    "ENV from two different unknowns": ("ENV X=$A\n", "ENV X=$B\n", "ENV X", Outcome.UNPROVEN),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_not_proved(name: str, tmp_path: Path) -> None:
    before_extra, after_extra, invariant, outcome = MUTANTS[name]
    b, a = with_lines(before_extra, after_extra)
    verdict = prove(tree_of(b, tmp_path, "b"), tree_of(a, tmp_path, "a"), Config())
    assert verdict.outcomes.get("shop-base:latest") is outcome, verdict.report()
    named = {f.invariant for f in verdict.findings if f.severity in ("broken", "unproven")}
    assert invariant in named, verdict.report()
    assert not verdict.holds


FILE_MUTANTS = {
    "base tag (slim to alpine)": ((B, ("FROM python:3.11-slim\nENV", "FROM python:3.11-alpine\nENV")), "base"),
    "base patch version": ((B, ("FROM python:3.11-slim\nENV", "FROM python:3.11.9-slim\nENV")), "base"),
    "base registry": ((B, ("FROM python:3.11-slim\nENV", "FROM mirror.example.com/python:3.11-slim\nENV")), "base"),
    "base digest": ((B, ("FROM python:3.11-slim\nENV", "FROM python:3.11-slim@sha256:" + "a" * 64 + "\nENV")), "base"),
    "base platform": ((B, ("FROM python:3.11-slim\nENV", "FROM --platform=linux/arm64 python:3.11-slim\nENV")),
                      "base"),
    "builder stage on another base": ((B, ("FROM python:3.11-slim AS builder", "FROM python:3.11-bookworm AS builder")),
                                      "base"),
    "syntax directive added": ((B, ("FROM python:3.11-slim AS builder", "# syntax=docker/dockerfile:1.4\n"
                                    "FROM python:3.11-slim AS builder")), "parser directive"),
}


@pytest.mark.parametrize("name", sorted(FILE_MUTANTS))
def test_file_mutant_is_broken(name: str, tmp_path: Path) -> None:
    (key, change), invariant = FILE_MUTANTS[name]
    verdict = prove(tree_of(BASE, tmp_path, "b"), tree_of(mutate(**{key: change}), tmp_path, "a"), Config())
    assert verdict.outcome is Outcome.BROKEN, verdict.report()
    assert invariant in {f.invariant for f in verdict.findings if f.severity == "broken"}, verdict.report()


def test_arg_default_used_by_an_unread_command_in_a_builder_stage(tmp_path: Path) -> None:
    """The builder's ARG is not part of the image's config, but the command that reads it is
    (the image copies from the builder): the command is compared as it runs, expanded."""
    def builder(value: str) -> dict:
        return mutate(**{B: ("WORKDIR /build\n", f"WORKDIR /build\nARG V={value}\nRUN make VERSION=$V\n")})

    same = prove(tree_of(builder("1"), tmp_path, "b"), tree_of(builder("1"), tmp_path, "s"), Config())
    assert same.holds, same.report()
    verdict = prove(tree_of(builder("1"), tmp_path, "b2"), tree_of(builder("2"), tmp_path, "a"), Config())
    assert verdict.outcomes.get("shop-base:latest") is Outcome.UNPROVEN, verdict.report()
    assert "make VERSION=2" in verdict.report()


def test_cmd_is_reset_by_an_entrypoint_in_a_later_stage(tmp_path: Path) -> None:
    """BuildKit resets an inherited CMD at ENTRYPOINT, even one set by an earlier stage of the
    same file: moving the ENTRYPOINT into the stage that sets CMD keeps the CMD, a change."""
    before = "FROM python:3.11-slim AS base\nCMD [\"serve\"]\n\nFROM base\nENTRYPOINT [\"/app/run\"]\n"
    after = "FROM python:3.11-slim AS base\nCMD [\"serve\"]\nENTRYPOINT [\"/app/run\"]\n\nFROM base\n"
    verdict = prove(tree_of({"Dockerfile": before}, tmp_path, "b"), tree_of({"Dockerfile": after}, tmp_path, "a"),
                    Config())
    assert "CMD" in {f.invariant for f in verdict.findings if f.severity == "broken"}, verdict.report()


CONTROLS = {
    "USER 1000 for appuser (uid 1000)": (ACCOUNT + "USER appuser\n", ACCOUNT + "USER 1000\n"),
    "WORKDIR sub then ..": ("", "WORKDIR sub\nWORKDIR ..\n"),
    "pip's cache turned off": ("RUN pip install six\n", "RUN pip install --no-cache-dir six\n"),
    "two apt RUNs merged": ("RUN apt-get update && apt-get install -y libpq5 && rm -rf /var/lib/apt/lists/*\n"
                            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
                            "RUN apt-get update && apt-get install -y libpq5 curl && rm -rf /var/lib/apt/lists/*\n"),
    "a user created and the app chowned to it": ("COPY app /srv/app\n",
                                                 ACCOUNT.rstrip("\n") + " && chown appuser /app\n"
                                                 "COPY --chown=appuser:appuser app /srv/app\n"),
    "same unread command, same place": ("RUN make all\n", "RUN make all\n"),
    "dnf and yum caches cleaned": ("RUN dnf install -y gcc\nRUN yum install -y make\n",
                                   "RUN dnf install -y gcc && dnf clean all\nRUN yum install -y make && yum clean all\n"),
    "apt lists removed": ("RUN apt-get update && apt-get install -y curl\n",
                          "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"),
    "echo and set as another user": (ACCOUNT + "RUN set -e && echo configured\nUSER appuser\n",
                                     ACCOUNT + "USER appuser\nRUN set -e && echo configured\n"),
    "numeric --chown": ("COPY app /srv/app\n", "COPY --chown=1000:1000 app /srv/app\n"),
}


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_control_is_proved(name: str, tmp_path: Path) -> None:
    b, a = with_lines(*CONTROLS[name])
    verdict = prove(tree_of(b, tmp_path, "b"), tree_of(a, tmp_path, "a"), Config())
    assert verdict.holds, verdict.report()
    assert verdict.outcome is Outcome.PROVED


@pytest.mark.parametrize("drop,invariant", [
    ("RUN pip install --user --no-cache-dir -r requirements/worker-ai-excel.txt\n", "requirements"),
    ("COPY scripts /app/scripts\n", "files"),
])
def test_before_that_fails_is_still_compared(drop: str, invariant: str, tmp_path: Path) -> None:
    """golden ai-worker-cpu fails at `COPY scripts` in BEFORE: it is judged as the image it would
    be once that step works, so an AFTER that also drops a requirement install, or the fixed
    COPY itself, is broken, not "fixed"."""
    from dockfix.tree import Tree

    after = tmp_path / "dropped"
    shutil.copytree(GOLDEN / "option-2", after)
    df = after / "docker" / "ai-worker-cpu" / "Dockerfile"
    text = df.read_text()
    assert drop in text
    df.write_text(text.replace(drop, ""))
    verdict = prove(Tree(GOLDEN / "before"), Tree(after), Config())
    image = "academy-ai-worker-cpu:latest"
    assert verdict.outcomes.get(image) is Outcome.BROKEN, verdict.report()
    assert invariant in {f.invariant for f in verdict.findings if f.image == image and f.severity == "broken"}


def test_verify_reads_each_tree_with_its_own_configuration(tmp_path: Path) -> None:
    """An `exclude` added in AFTER's configuration must not hide what it excludes in BEFORE."""
    b = mutate()
    a = mutate(**{"app__settings_DOT_py": None})
    a[".dockfix.toml"] = 'exclude = ["app/settings.py"]\n'
    tree_of(b, tmp_path, "b")
    tree_of(a, tmp_path, "a")
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "b"), str(tmp_path / "a"), "--format", "json"])
    assert result.exit_code == 1, result.stdout
    data = json.loads(result.stdout)
    assert data["outcome"] == "broken" and data["outcomes"]["shop-base:latest"] == "broken"
    assert any(f["invariant"] == "files" for f in data["findings"])


def test_verify_says_unproven_and_exits_1(tmp_path: Path) -> None:
    b, a = with_lines("RUN make all\n", "RUN make install\n")
    tree_of(b, tmp_path, "b")
    tree_of(a, tmp_path, "a")
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "b"), str(tmp_path / "a")])
    assert result.exit_code == 1
    assert "verify: UNPROVEN" in result.stdout and "UNPROVEN: shop-base:latest" in result.stdout


def test_plan_names_the_before_line_of_a_pre_existing_defect() -> None:
    result = CliRunner().invoke(app, ["plan", str(GOLDEN / "before"), "--option", "2"])
    out = result.stdout + result.stderr
    assert "copy-excluded-source at docker/ai-worker-cpu/Dockerfile:34" in out, out
    assert "copy-excluded-source at docker/ai-worker-cpu/Dockerfile:25" not in out


def test_verify_base_reads_the_revision_with_its_own_configuration(tmp_path: Path) -> None:
    """`verify --base REV`: an `exclude` the working tree adds does not hide the revision's files."""
    import subprocess

    root = tmp_path / "repo"
    tree_of(mutate(), tmp_path, "repo")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    web = root / "docker" / "web" / "Dockerfile"
    web.write_text(web.read_text().replace("EXPOSE 8000", "EXPOSE 9000"))
    (root / ".dockfix.toml").write_text('exclude = ["docker/web"]\n')
    result = CliRunner().invoke(app, ["verify", "--base", "HEAD", str(root), "--format", "json"])
    assert result.exit_code == 1, result.stdout
    assert json.loads(result.stdout)["outcomes"].get("shop-web:latest") == "broken"


@pytest.mark.parametrize("script", ["pip install six==1.0", "apt-get install -y curl", "  pip3 install -U a  ",
                                    "python3 -m pip install x", "apk add --no-cache git"])
def test_a_plain_package_command_reads_as_the_shell_reader_does(script: str) -> None:
    """The fast path for one literal pip/apt command gives the step the shell reader gives."""
    from dockfix.prover import steps
    from dockfix.syntax import parse

    ins = parse(f"FROM a\nRUN {script}\n".encode()).instructions[1]
    fast = steps.run_step(ins, ("/bin/sh", "-c"), "/app", {}, "root", "Dockerfile")
    slow_pattern, steps._PLAIN = steps._PLAIN, __import__("re").compile("(?!)")
    try:
        slow = steps.run_step(ins, ("/bin/sh", "-c"), "/app", {}, "root", "Dockerfile")
    finally:
        steps._PLAIN = slow_pattern
    assert fast == slow


@pytest.mark.parametrize("base,files,holds", [
    ("node:20-slim", {}, True),
    ("python:3.11-slim", {}, False),  # not the node image's yarn 1
    ("node:20-slim", {".yarnrc.yml": "nodeLinker: pnp\n"}, False),  # another yarn, Plug'n'Play
])
def test_yarn_cache_clean_only_for_yarn_1(base: str, files: dict, holds: bool, tmp_path: Path) -> None:
    """README: the yarn cache rule. `COPY . .` brings .yarnrc.yml into the image when it exists."""
    def tree(run: str) -> dict:
        return {"Dockerfile": f"FROM {base}\nWORKDIR /app\nCOPY . .\n{run}\n", "package.json": "{}\n", **files}

    verdict = prove(tree_of(tree("RUN yarn install"), tmp_path, "b"),
                    tree_of(tree("RUN yarn install && yarn cache clean"), tmp_path, "a"), Config())
    assert verdict.holds is holds, verdict.report()


# The order of a RUN's commands against what comes before them: an ENV or ARG they may read
# (model.program_env), the SHELL that runs them, the files COPY landed that they may read
# (prover.reads, checked against strace), the installs before them (prover.reads.Installs),
# and the RUN flags of each install. name -> (BEFORE lines, AFTER lines, outcome, invariants)
_U, _B = Outcome.UNPROVEN, Outcome.BROKEN
ORDER_MUTANTS = {
    # an ENV or ARG moved across a RUN that may read it
    "ENV PATH moved below an apt RUN": ("ENV PATH=/opt/tools/bin:$PATH\n" + APT,
                                        APT + "ENV PATH=/opt/tools/bin:$PATH\n", _U, ("package commands",)),
    "ENV DEBIAN_FRONTEND moved below an apt RUN": (
        "ENV DEBIAN_FRONTEND=noninteractive\n" + APT, APT + "ENV DEBIAN_FRONTEND=noninteractive\n", _U,
        ("package commands",)),
    "ENV CFLAGS moved below make": ("ENV CFLAGS=-O0\nRUN make\n", "RUN make\nENV CFLAGS=-O0\n", _U, ("RUN",)),
    "ENV changed for make only": ("ENV MODE=a\nRUN make\n", "ENV MODE=b\nRUN make\nENV MODE=a\n", _U, ("RUN",)),
    "ARG without a value moved below make": ("ARG MODE\nRUN make\n", "RUN make\nARG MODE\n", _U, ("RUN",)),
    "ENV PYTHONPATH moved below pip": ("ENV PYTHONPATH=/opt/lib\nRUN pip install six\n",
                                       "RUN pip install six\nENV PYTHONPATH=/opt/lib\n", _U, ("pip",)),
    "ENV PATH moved below pip": ("ENV PATH=/opt/venv/bin:$PATH\nRUN pip install six\n",
                                 "RUN pip install six\nENV PATH=/opt/venv/bin:$PATH\n", _U, ("pip",)),
    "ENV read by an exec-form RUN moved": ('ENV MODE=a\nRUN ["make"]\n', 'RUN ["make"]\nENV MODE=a\n', _U, ("RUN",)),
    # not a variable, the same question: the shell that runs the RUN's text
    "SHELL moved below make": ('SHELL ["/bin/bash", "-c"]\nRUN make\n', 'RUN make\nSHELL ["/bin/bash", "-c"]\n',
                               _U, ("RUN",)),
    "SHELL moved below echo $RANDOM": ('SHELL ["/bin/bash", "-c"]\nRUN echo $RANDOM > /x\n',
                                       'RUN echo $RANDOM > /x\nSHELL ["/bin/bash", "-c"]\n', _U, ("RUN",)),
    # a COPY moved across a RUN whose commands may read what it lands
    "make moved above the COPY of its sources": ("COPY app /srv/app\nRUN make\n", "RUN make\nCOPY app /srv/app\n",
                                                 _U, ("RUN",)),
    "compileall moved above the COPY": ("COPY app /srv/app\nRUN python -m compileall /srv/app\n",
                                        "RUN python -m compileall /srv/app\nCOPY app /srv/app\n", _U, ("RUN",)),
    "rm of a glob moved above the COPY": ("COPY app /srv/app\nRUN rm -f /srv/app/*.py\n",
                                          "RUN rm -f /srv/app/*.py\nCOPY app /srv/app\n", _U, ("RUN",)),
    "cat into a file moved above the COPY": ("COPY app /srv/app\nRUN cat /srv/app/settings.py > /tmp/s\n",
                                             "RUN cat /srv/app/settings.py > /tmp/s\nCOPY app /srv/app\n", _U, ("RUN",)),
    "cd into the copied directory": ("COPY app /srv/app\nRUN cd /srv/app && make\n",
                                     "RUN cd /srv/app && make\nCOPY app /srv/app\n", _U, ("RUN",)),
    # an install moved across an unread command (merging the RUNs keeps the order: a control)
    "collectstatic moved above the pip install": (
        "RUN pip install django\nRUN python manage.py collectstatic\n",
        "RUN python manage.py collectstatic\nRUN pip install django\n", _U, ("RUN",)),
    "make moved above the apt install": (APT + "RUN make\n", "RUN make\n" + APT, _U, ("RUN",)),
    "mkdir moved above the apt install that makes its directory": (
        APT + "RUN mkdir /etc/postgresql\n", "RUN mkdir /etc/postgresql\n" + APT, _U, ("RUN",)),
    "make moved before apt inside one RUN": ("RUN apt-get install -y libpq5 && make\n",
                                             "RUN make && apt-get install -y libpq5\n", _U, ("RUN",)),
    # a RUN flag moved from one install to another: the set of flag combinations is the same
    "secret mount moved from pip to apt": (
        "RUN --mount=type=secret,id=n pip install six\nRUN apt-get install -y libpq5\n",
        "RUN pip install six\nRUN --mount=type=secret,id=n apt-get install -y libpq5\n", _B,
        ("pip", "package commands")),
    "--network=none moved from pip to apt": (
        "RUN --network=none pip install six\nRUN apt-get install -y libpq5\n",
        "RUN pip install six\nRUN --network=none apt-get install -y libpq5\n", _B, ("pip", "package commands")),
}


@pytest.mark.parametrize("name", sorted(ORDER_MUTANTS))
def test_order_mutant_is_not_proved(name: str, tmp_path: Path) -> None:
    before, after, outcome, invariants = ORDER_MUTANTS[name]
    b, a = with_lines(before, after)
    verdict = prove(tree_of(b, tmp_path, "b"), tree_of(a, tmp_path, "a"), Config())
    assert verdict.outcome is outcome, verdict.report()
    assert set(invariants) <= {f.invariant for f in verdict.findings if f.severity == outcome.value}, \
        verdict.report()


# Controls: what no command of the RUN reads may move across it (share-layers moves such an ENV
# below ai-worker-cpu's apt RUN), and merged RUNs keep the order of installs and commands.
ORDER_CONTROLS = {
    "ENV MODEL_DIR moved below an apt RUN": ("ENV MODEL_DIR=/models\n" + APT, APT + "ENV MODEL_DIR=/models\n"),
    "ENV MODEL_DIR moved below pip": ("ENV MODEL_DIR=/models\nRUN pip install six\n",
                                      "RUN pip install six\nENV MODEL_DIR=/models\n"),
    "ENV MODEL_DIR moved below mkdir": ("ENV MODEL_DIR=/models\nRUN mkdir -p /data\n",
                                        "RUN mkdir -p /data\nENV MODEL_DIR=/models\n"),
    "mkdir elsewhere moved above the COPY": ("COPY app /srv/app\nRUN mkdir -p /var/spool/worker\n",
                                             "RUN mkdir -p /var/spool/worker\nCOPY app /srv/app\n"),
    "echo and set -e moved above the COPY": ("COPY app /srv/app\nRUN set -e; echo ready\n",
                                             "RUN set -e; echo ready\nCOPY app /srv/app\n"),
    "apt RUN and make RUN merged": (APT + "RUN make\n", APT.rstrip("\n") + " && make\n"),
    "pip RUN and collectstatic RUN merged": ("RUN pip install django\nRUN python manage.py collectstatic\n",
                                             "RUN pip install django && python manage.py collectstatic\n"),
    "pip's cache turned off before make": ("RUN pip install django\nRUN make\n",
                                           "RUN pip install --no-cache-dir django\nRUN make\n"),
}


@pytest.mark.parametrize("name", sorted(ORDER_CONTROLS))
def test_order_control_holds(name: str, tmp_path: Path) -> None:
    b, a = with_lines(*ORDER_CONTROLS[name])
    verdict = prove(tree_of(b, tmp_path, "b"), tree_of(a, tmp_path, "a"), Config())
    assert verdict.holds, verdict.report()

def test_runs_merged_on_a_base_whose_workdir_is_unknown_hold(tmp_path: Path) -> None:
    """An external base the model does not know: its WORKDIR is unknown, and every command is
    read as running in an unknown directory on both sides (the residue once said `/` while the
    install record said `?`, so merged RUNs looked reordered: aws sagemaker-examples' jax image)."""
    head = "FROM nvidia/cuda:11.1-cudnn8-devel-ubuntu18.04\nRUN apt-get update && apt-get install -y python3-pip\n"
    before = {"Dockerfile": head + "RUN pip install --upgrade pip\nRUN ln -s /usr/lib/cuda /usr/local/cuda-11.1\n"}
    after = {"Dockerfile": head + "RUN pip install --upgrade pip && ln -s /usr/lib/cuda /usr/local/cuda-11.1\n"}
    verdict = prove(tree_of(before, tmp_path, "b"), tree_of(after, tmp_path, "a"), Config())
    assert verdict.holds, verdict.report()
