"""Issue 14's Why list, one mutant per example and per invariant of item 2 (each must come out
broken or unproven, naming the invariant), and the controls that must stay proved."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import Outcome, prove
from dockfix.tree import Tree
from tests.prover.test_deny import ACCOUNT, with_lines
from tests.prover.test_mutants import BASE, GOLDEN, tree_of

B = "docker__Dockerfile_DOT_base"
W = "docker__web__Dockerfile"
IMAGE = "shop-base:latest"
NOT_PROVED = (Outcome.BROKEN, Outcome.UNPROVEN)
APP_USER = ACCOUNT + "USER appuser\n"


def _judge(b: dict, a: dict, tmp_path: Path):
    return prove(tree_of(b, tmp_path, "b"), tree_of(a, tmp_path, "a"), Config())


def _named(verdict) -> set[str]:
    return {f.invariant for f in verdict.findings if f.severity in ("broken", "unproven")}


# name -> (lines in BEFORE's final base stage, lines in AFTER's, the invariant named)
LINE_MUTANTS = {
    # Packages
    "apt postgresql-client removed": ("RUN apt-get install -y postgresql-client ffmpeg\n",
                                      "RUN apt-get install -y ffmpeg\n", "packages"),
    "apk package removed": ("RUN apk add --no-cache libpq ffmpeg\n", "RUN apk add --no-cache libpq\n", "packages"),
    "dnf package removed": ("RUN dnf install -y libpq ffmpeg\n", "RUN dnf install -y libpq\n", "packages"),
    "apt package purged after": ("RUN apt-get install -y ffmpeg\n",
                                 "RUN apt-get install -y ffmpeg && apt-get purge -y ffmpeg\n", "packages"),
    # pip
    "pip under if": ("RUN pip install six\n", "RUN if [ -n \"$X\" ]; then pip install six; fi\n", "requirements"),
    "PIP_INDEX_URL env": ("RUN pip install six\n", "ENV PIP_INDEX_URL=https://x.example/simple\nRUN pip install six\n",
                          "pip"),
    "PIP_ARG default used by pip": ("ARG PIP_EXTRA_INDEX_URL=https://a.example/simple\nRUN pip install six\n",
                                    "ARG PIP_EXTRA_INDEX_URL=https://b.example/simple\nRUN pip install six\n", "pip"),
    "pip --prefix": ("RUN pip install six\n", "RUN pip install --prefix /opt six\n", "pip"),
    "pip --no-deps": ("RUN pip install six\n", "RUN pip install --no-deps six\n", "pip"),
    # Found by hand after issue 14 (hostile pairs through `dockfix verify`): the requirement
    # set is compared as a set, and a --target site by what it holds, not where it lies.
    "pip versions installed in the other order": ("RUN pip install six==1.15.0\nRUN pip install six==1.16.0\n",
                                                  "RUN pip install six==1.16.0\nRUN pip install six==1.15.0\n", "pip"),
    "pip --target site copied to another path": (
        "FROM python:3.11-slim AS deps\nRUN pip install --target /deps six\nFROM python:3.11-slim\n"
        "COPY --from=deps /deps /deps\n",
        "FROM python:3.11-slim AS deps\nRUN pip install --target /deps six\nFROM python:3.11-slim\n"
        "COPY --from=deps /deps /opt/deps\n", "pip site"),
    "apt install moved below the pip it may build with": ("RUN apt-get install -y gcc\nRUN pip install six\n",
                                                          "RUN pip install six\nRUN apt-get install -y gcc\n", "pip"),
    "for loop over fewer packages": ("RUN for p in six attrs; do pip install $p; done\n",
                                     "RUN for p in six; do pip install $p; done\n", "RUN"),
    "case on another subject": ("RUN case x in x) pip install six;; *) pip install attrs;; esac\n",
                                "RUN case y in x) pip install six;; *) pip install attrs;; esac\n", "RUN"),
    "pip run as another user (system site)": (ACCOUNT + "RUN pip install six\nUSER appuser\n",
                                              ACCOUNT + "USER appuser\nRUN pip install six\n", "pip"),
    # Config as BuildKit reads it
    "STOPSIGNAL": ("STOPSIGNAL SIGTERM\n", "STOPSIGNAL SIGINT\n", "STOPSIGNAL"),
    "VOLUME": ("VOLUME /data\n", "", "VOLUME"),
    "SHELL": ("", 'SHELL ["/bin/bash", "-c"]\n', "SHELL"),
    "RUN --mount=type=cache target changed": ("RUN --mount=type=cache,target=/a make\n",
                                              "RUN --mount=type=cache,target=/b make\n", "RUN flags"),
    # Users and permissions
    "USER nobody cannot read appuser's home site": (
        APP_USER + "RUN pip install --user six\n", APP_USER + "RUN pip install --user six\nUSER nobody\n", "user site"),
    "a file made unreadable to the runtime user": (
        ACCOUNT + "COPY app /srv/app\nUSER appuser\n", ACCOUNT + "COPY --chmod=600 app /srv/app\nUSER appuser\n",
        "COPY flags"),
}


@pytest.mark.parametrize("name", sorted(LINE_MUTANTS))
def test_line_mutant_is_not_proved(name: str, tmp_path: Path) -> None:
    before, after, invariant = LINE_MUTANTS[name]
    verdict = _judge(*with_lines(before, after), tmp_path)
    assert verdict.outcomes.get(IMAGE) in NOT_PROVED, verdict.report()
    assert invariant in _named(verdict), verdict.report()


ENTRY = "#!/bin/sh\nexec \"$@\"\n"


def apply(files: dict[str, str], changes: dict) -> dict[str, str]:
    """`files` with `changes` made (keys and values as `mutate` reads them)."""
    out = dict(files)
    for key, change in changes.items():
        path = key if "/" in key else key.replace("__", "/").replace("_DOT_", ".")
        if isinstance(change, tuple):
            assert change[0] in out[path], (path, change[0])
            out[path] = out[path].replace(*change)
        elif change is None:
            out.pop(path)
        else:
            out[path] = change
    return out


# name -> (changes made to BASE in both trees, then changes made in AFTER only, invariant)
FILE_MUTANTS = {
    "base suite (bookworm to bullseye)": ({B: ("FROM python:3.11-slim\nENV", "FROM python:3.11-slim-bookworm\nENV")},
                                          {B: ("3.11-slim-bookworm", "3.11-slim-bullseye")}, "base"),
    "CMD single-element exec form to shell form": ({B: ('CMD ["python", "--version"]', 'CMD ["python"]')},
                                                   {B: ('CMD ["python"]', 'CMD python')}, "CMD"),
    "partial COPY --from": ({}, {B: ("COPY --from=builder /root/.local /root/.local",
                                     "COPY --from=builder /root/.local/lib /root/.local/lib")}, "requirements"),
    "ADD extracts an archive COPY kept": ({B: ("COPY app ./app\n", "COPY app ./app\nCOPY data.tar.gz /srv/\n"),
                                           },
                                          {B: ("COPY data.tar.gz", "ADD data.tar.gz")}, "files"),
    "PIP_INDEX_URL ARG default in the builder stage": (
        {B: ("WORKDIR /build\n", "WORKDIR /build\nARG PIP_INDEX_URL=https://a.example/simple\n")},
        {B: ("a.example", "b.example")}, "pip"),
    "YAML config edited": ({"app__config_DOT_yaml": "workers: 2\n"}, {"app__config_DOT_yaml": "workers: 3\n"}, "files"),
    "entrypoint script edited": ({"app__entrypoint_DOT_sh": ENTRY},
                                 {"app__entrypoint_DOT_sh": ENTRY.replace("exec", "exec nice")}, "files"),
}
S = "app__settings_DOT_py"
# Python files are compared by their code, not only their top-level `NAME = literal`.
FILE_MUTANTS.update({
    f"Python: {name}": ({}, {S: ("\ndef f():", f"\n{code}\ndef f():")}, invariant)
    for name, code, invariant in (
        ("+=", "TIMEOUT_SECONDS += 60", "Python code"),
        ("if", "if NAME:\n    TIMEOUT_SECONDS = 60", "Python code"),
        ("tuple unpacking", "TIMEOUT_SECONDS, RETRIES = 60, 3", "Python code"),
        ("globals()[...]", "globals()['TIMEOUT_SECONDS'] = 60", "Python code"),
        ("walrus", "(TIMEOUT_SECONDS := 60)", "Python code"),
        ("for", "for TIMEOUT_SECONDS in (60,):\n    pass", "Python code"),
        ("del", "del NAME", "Python code"),
        ("a new literal constant", "RETRIES = 3", "Python constant"),
    )})
FILE_MUTANTS["Python: a package __init__ rebinding"] = (
    {}, {"app/__init__.py": "from app import settings\nsettings.TIMEOUT_SECONDS = 60\n"}, "Python code")


@pytest.mark.parametrize("name", sorted(FILE_MUTANTS))
def test_file_mutant_is_not_proved(name: str, tmp_path: Path) -> None:
    both, after_only, invariant = FILE_MUTANTS[name]
    before = apply(BASE, both)
    trees = tree_of(before, tmp_path, "b"), tree_of(apply(before, after_only), tmp_path, "a")
    for tree in trees:
        _write_archive(tree.root / "data.tar.gz")
    verdict = prove(*trees, Config())
    assert verdict.outcomes.get(IMAGE) in NOT_PROVED, verdict.report()
    assert invariant in _named(verdict), verdict.report()


def _write_archive(path: Path) -> None:
    """A gzip tar of one member (ADD extracts it; COPY copies the archive)."""
    import io
    import tarfile

    data = b"rows\n"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("data/rows.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


ENTRY_SH = "FROM python:3.11-slim\nCOPY entrypoint.sh /entrypoint.sh\n{user}ENTRYPOINT [\"/entrypoint.sh\"]\n"
USER_MUTANTS = {
    # getsentry/self-hosted cron: an explicit USER 0 over an entrypoint script that needs root
    "explicit USER 0 swapped, entrypoint script": (
        {"Dockerfile": ENTRY_SH.format(user="USER 0\n"), "entrypoint.sh": ENTRY},
        {"Dockerfile": ENTRY_SH.format(user=ACCOUNT + "USER appuser\n"), "entrypoint.sh": ENTRY}, "USER"),
    # non-root on `FROM ${SENTRY_IMAGE}`: a base whose user it cannot know
    "USER set on an unresolvable base": (
        {"Dockerfile": "ARG SENTRY_IMAGE\nFROM ${SENTRY_IMAGE}\nCMD [\"python\", \"-m\", \"app\"]\n"},
        {"Dockerfile": "ARG SENTRY_IMAGE\nFROM ${SENTRY_IMAGE}\nUSER 1000\nCMD [\"python\", \"-m\", \"app\"]\n"},
        "USER"),
    # feast: a base its authors made non-root (USER 1001) wrapped in USER root: what pip and
    # yarn make is root's
    "non-root base wrapped in USER root (pip)": (
        {"base/Dockerfile": "FROM python:3.11-slim\nRUN useradd -u 1001 feast\nUSER 1001\n",
         "app/Dockerfile": "FROM feast-base\nRUN pip install --prefix /opt/feast six\nCMD [\"python\", \"-m\", \"x\"]\n",
         "compose.yaml": "services:\n  b: {image: feast-base, build: {context: ., dockerfile: base/Dockerfile}}\n"
                         "  a: {image: feast-app, build: {context: ., dockerfile: app/Dockerfile}}\n"},
        {"app/Dockerfile": ("RUN pip", "USER root\nRUN pip"), },
        "pip"),
    "non-root base wrapped in USER root (yarn)": (
        {"base/Dockerfile": "FROM python:3.11-slim\nRUN useradd -u 1001 feast\nUSER 1001\n",
         "app/Dockerfile": "FROM feast-base\nRUN yarn install\nCMD [\"python\", \"-m\", \"x\"]\n",
         "compose.yaml": "services:\n  b: {image: feast-base, build: {context: ., dockerfile: base/Dockerfile}}\n"
                         "  a: {image: feast-app, build: {context: ., dockerfile: app/Dockerfile}}\n"},
        {"app/Dockerfile": ("RUN yarn install\n", "USER root\nRUN yarn install\nUSER 1001\n")}, "RUN"),
    "apk add under a non-root USER": (
        {"Dockerfile": "FROM alpine:3.20\nRUN adduser -D -u 1000 app\nRUN apk add --no-cache curl\nUSER app\n"},
        {"Dockerfile": ("RUN apk add --no-cache curl\nUSER app\n", "USER app\nRUN apk add --no-cache curl\n")},
        "root-only step"),
    "useradd under a non-root USER": (
        {"Dockerfile": "FROM python:3.11-slim\nRUN useradd -u 1000 app\nRUN useradd -u 1001 other\nUSER app\n"},
        {"Dockerfile": ("RUN useradd -u 1001 other\nUSER app\n", "USER app\nRUN useradd -u 1001 other\n")},
        "root-only step"),
    "app files chowned away from the runtime user, WORKDIR no longer its own": (
        {"Dockerfile": "FROM python:3.11-slim\n" + ACCOUNT + "WORKDIR /app\nRUN chown appuser /app\n"
                       "COPY --chown=appuser:appuser app.py .\nUSER appuser\nCMD [\"python\", \"app.py\"]\n",
         "app.py": "print(1)\n"},
        {"Dockerfile": ("RUN chown appuser /app\n", "")}, "WORKDIR access"),
    "app file chmod 600 for another owner": (
        {"Dockerfile": "FROM python:3.11-slim\n" + ACCOUNT + "WORKDIR /app\n"
                       "COPY --chown=appuser:appuser app.py .\nUSER appuser\nCMD [\"python\", \"app.py\"]\n",
         "app.py": "print(1)\n"},
        {"Dockerfile": ("COPY --chown=appuser:appuser app.py .", "COPY --chmod=600 app.py .")}, "file access"),
}


@pytest.mark.parametrize("name", sorted(USER_MUTANTS))
def test_user_mutant_is_not_proved(name: str, tmp_path: Path) -> None:
    before, after_only, invariant = USER_MUTANTS[name]
    after = apply(before, after_only) if any(isinstance(v, tuple) for v in after_only.values()) else after_only
    verdict = _judge(before, after, tmp_path)
    assert verdict.outcome in NOT_PROVED, verdict.report()
    assert invariant in _named(verdict), verdict.report()


CONTROLS = {
    "root-owned 0644 files read by root": (ACCOUNT + "COPY --chown=appuser:appuser app /srv/app\n",
                                           ACCOUNT + "COPY app /srv/app\n"),
    "back to root: root reads and writes all": (ACCOUNT + "COPY --chown=appuser:appuser app /srv/app\nUSER appuser\n",
                                                ACCOUNT + "COPY app /srv/app\n"),
    "USER appuser:appuser for appuser": (ACCOUNT + "USER appuser\n", ACCOUNT + "USER appuser:appuser\n"),
    "USER 1000:1000 for appuser": (ACCOUNT + "USER appuser\n", ACCOUNT + "USER 1000:1000\n"),
    # COPY --link kept as it was while another step is rewritten: the flag is the same on
    # both sides, so the files land as before (only adding or removing it is unproven).
    "COPY --link kept, a pip RUN rewritten": ("COPY --link app /srv/app\nRUN pip install six\n",
                                              "COPY --link app /srv/app\nRUN pip install --no-cache-dir six\n"),
    "COPY --link --chown kept, RUNs merged": (
        ACCOUNT + "COPY --link --chown=appuser:appuser app /srv/app\nRUN pip install six\nRUN pip install attrs\n",
        ACCOUNT + "COPY --link --chown=appuser:appuser app /srv/app\nRUN pip install six && pip install attrs\n"),
}


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_control_is_proved(name: str, tmp_path: Path) -> None:
    b, a = with_lines(*CONTROLS[name])
    verdict = _judge(b, a, tmp_path)
    assert verdict.outcome is Outcome.PROVED, verdict.report()


REQ = "requirements__common_DOT_txt"
REQUIREMENT_FILE_MUTANTS = {
    "--index-url inside a requirement file": {REQ: ("six==1.16.0\n", "--index-url https://x.example/simple\nsix==1.16.0\n")},
    "--extra-index-url inside a requirement file": {
        REQ: ("six==1.16.0\n", "--extra-index-url https://x.example/simple\nsix==1.16.0\n")},
    "a pin moved into a -c file": {REQ: ("six==1.16.0\n", "-c constraints.txt\nsix\n"),
                                   "requirements__constraints_DOT_txt": "six==1.16.0\n"},
    "-e inside a requirement file": {REQ: ("six==1.16.0\n", "six==1.16.0\n-e ./app\n")},
}


@pytest.mark.parametrize("name", sorted(REQUIREMENT_FILE_MUTANTS))
def test_requirement_file_mutant_is_not_proved(name: str, tmp_path: Path) -> None:
    changes = REQUIREMENT_FILE_MUTANTS[name]
    after = apply(BASE, changes)
    after["docker/Dockerfile.base"] = after["docker/Dockerfile.base"].replace(
        "COPY requirements/common.txt ./requirements/", "COPY requirements/ ./requirements/")
    before = dict(BASE, **{"docker/Dockerfile.base": after["docker/Dockerfile.base"]})
    verdict = _judge(before, after, tmp_path)
    assert verdict.outcomes.get(IMAGE) in NOT_PROVED, verdict.report()
    assert _named(verdict) & {"pip", "requirements"}, verdict.report()


def test_a_symlink_in_the_context_that_points_outside_the_repository(tmp_path: Path) -> None:
    """A context file that is a symlink leaving the repository: BuildKit copies the link (or
    fails to follow it), never the outside file; the model cannot read what lands."""
    before = tree_of(BASE, tmp_path, "b")
    after = tree_of(BASE, tmp_path, "a")
    outside = tmp_path / "outside.py"
    outside.write_text(BASE["app/settings.py"])  # the same bytes: the link itself is what differs
    (after.root / "app" / "settings.py").unlink()
    os.symlink(outside, after.root / "app" / "settings.py")
    verdict = prove(Tree(before.root), Tree(after.root), Config())
    assert verdict.outcomes.get(IMAGE) in NOT_PROVED, verdict.report()
    assert "files" in _named(verdict), verdict.report()


def test_a_symlink_kept_as_it_was_holds(tmp_path: Path) -> None:
    trees = []
    for name in ("b", "a"):
        tree = tree_of(BASE, tmp_path, name)
        os.symlink("settings.py", tree.root / "app" / "config.py")
        trees.append(Tree(tree.root))
    verdict = prove(*trees, Config())
    assert verdict.holds, verdict.report()


def test_an_after_that_drops_app_copies_of_a_failing_before_is_broken(tmp_path: Path) -> None:
    """golden ai-worker-cpu fails at `COPY scripts` in BEFORE: judged as the image it would
    be, an AFTER that fixes it but also drops its app COPYs is broken (item 1)."""
    after = tmp_path / "dropped"
    shutil.copytree(GOLDEN / "before", after)
    df = after / "docker" / "ai-worker-cpu" / "Dockerfile"
    text = df.read_text()
    assert "COPY src ./src\n" in text and "COPY apps ./apps\n" in text
    df.write_text(text.replace("COPY src ./src\n", "").replace("COPY apps ./apps\n", ""))
    ignore = after / ".dockerignore"
    ignore.write_text(ignore.read_text().replace("scripts/\n", ""))
    verdict = prove(Tree(GOLDEN / "before"), Tree(after), Config())
    image = "academy-ai-worker-cpu:latest"
    assert verdict.outcomes.get(image) is Outcome.BROKEN, verdict.report()
    assert "files" in {f.invariant for f in verdict.findings if f.image == image and f.severity == "broken"}
    assert any(f.severity == "fixed" for f in verdict.findings), verdict.report()


def test_plan_names_the_lines_of_the_files_on_disk() -> None:
    """Item 6: a transform's note names the line of the BEFORE file, not of the text an
    earlier transform rewrote (`COPY scripts` is line 34 on disk; rebase-onto-base, which
    runs before prune-dockerignore, moved it to 25; merge-pip-runs moved docker/Dockerfile's
    runtime FROM from 36 to 34)."""
    from typer.testing import CliRunner

    from dockfix.cli import app

    result = CliRunner().invoke(app, ["plan", str(GOLDEN / "before"), "--option", "2"])
    out = result.stdout + result.stderr
    lines = (GOLDEN / "before" / "docker" / "ai-worker-cpu" / "Dockerfile").read_text().splitlines()
    assert lines[34 - 1] == "COPY scripts ./scripts"
    assert "docker/ai-worker-cpu/Dockerfile:34 (scripts) needs what it excluded" in out, out
    assert "Dockerfile:25 (scripts)" not in out
    runtime = (GOLDEN / "before" / "docker" / "Dockerfile").read_text().splitlines()
    assert runtime[36 - 1] == "FROM python:3.11-slim"
    assert "docker/Dockerfile:36: skip: duplicates the base image" in out, out


def test_a_line_an_earlier_transform_wrote_is_marked() -> None:
    from dockfix.engine import Step
    from dockfix.note_lines import notes_on_disk
    from dockfix.transforms.base import Note

    steps = [Step("a", {"D": (b"FROM x\nRUN a\nRUN b\n", b"FROM x\nRUN a && b\n")}), Step("b", {})]
    notes = [Note("b", "info", "D", 2, "see D:1 and line 2")]
    [note] = notes_on_disk(notes, steps, {"D": b"FROM x\nRUN a\nRUN b\n"}.get)
    assert note.line == 2 and note.message == "see D:1 and line 2 (rewritten)"
