"""rebase-onto-base beyond the case harness: the academy result byte for byte, the pieces it
is built from (expansion, pip parsing, requirement includes), and a property: whatever a
mutated worker looks like, the transform either leaves it alone or the prover holds."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockfix.config import load_config
from dockfix.engine import run, second_pass
from dockfix.syntax import parse
from dockfix.transforms.rebase_onto_base.pip import UNKNOWN_PATH, RunKind, _classify_run
from dockfix.transforms.rebase_onto_base.shell import and_list_commands
from dockfix.transforms.rebase_onto_base.stages import _walk
from dockfix.transforms.rebase_onto_base.words import _expand

ROOT = Path(__file__).resolve().parents[2]
ACADEMY = ROOT / "golden" / "academy" / "before"
CASES = ROOT / "transforms" / "rebase-onto-base" / "cases"
NAME = "rebase-onto-base"

CPU_AFTER = """\
# ==============================================================================
# AI Worker CPU - 경량 최적화
# ==============================================================================
ARG BASE_IMAGE=academy-base:latest
FROM ${BASE_IMAGE}

ENV WORKER_TYPE=CPU

# 시스템 의존성 (OCR, 비디오 - 최소화)
RUN apt-get update && apt-get install -y --no-install-recommends \\
    tesseract-ocr \\
    tesseract-ocr-kor \\
    ffmpeg \\
    libgl1 \\
    libglib2.0-0 \\
    && rm -rf /var/lib/apt/lists/*

# 레이어 캐싱 유지: 의존성 순서 고정 (common → worker-ai-common → worker-ai-cpu → worker-ai-excel)
COPY requirements/common.txt requirements/worker-ai-common.txt requirements/worker-ai-cpu.txt ./requirements/
RUN pip install --user --no-cache-dir -r requirements/worker-ai-cpu.txt

COPY requirements/worker-ai-excel.txt ./requirements/
RUN pip install --user --no-cache-dir -r requirements/worker-ai-excel.txt

COPY scripts ./scripts

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \\
    CMD python -c "import apps.worker.ai_worker.sqs_main_cpu" || exit 1

CMD ["python", "-m", "apps.worker.ai_worker.sqs_main_cpu"]
"""


def test_academy_rebases_only_the_cpu_worker() -> None:
    outcome = run(ACADEMY, [NAME], load_config(ACADEMY))
    assert sorted(outcome.after.changed()) == ["docker/ai-worker-cpu/Dockerfile"]
    assert outcome.after.read("docker/ai-worker-cpu/Dockerfile").decode() == CPU_AFTER
    assert [str(n) for n in outcome.notes] == [
        "docker/Dockerfile:36: skip: duplicates the base image academy-base:latest (docker/Dockerfile.base) "
        "and has nothing of its own: rebasing it would leave an empty image; not rebased [rebase-onto-base]",
        "docker/ai-worker-cpu/Dockerfile:4: info: rebased onto academy-base:latest (docker/Dockerfile.base); "
        "removed 9 instruction(s) the base provides [rebase-onto-base]",
    ]


def test_academy_requirement_copy_stays_as_written() -> None:
    """worker-ai-cpu.txt says `-r common.txt`: the COPY that brings common.txt is the
    original line, byte for byte (seed 000 §3.3 E drops it; pip then fails)."""
    line = (b"COPY requirements/common.txt requirements/worker-ai-common.txt "
            b"requirements/worker-ai-cpu.txt ./requirements/\n")
    before = (ACADEMY / "docker/ai-worker-cpu/Dockerfile").read_bytes()
    assert line in before
    outcome = run(ACADEMY, [NAME], load_config(ACADEMY))
    assert line in outcome.after.read("docker/ai-worker-cpu/Dockerfile")


def test_expansion_keeps_unknown_variables_symbolic() -> None:
    env = {"A": "/app"}
    assert _expand("/root/.local/bin:$PATH", env) == "/root/.local/bin:\0PATH\0"
    assert _expand("${A}/src", env) == "/app/src"
    assert _expand('"x y"', env) == "x y"
    assert _expand("'$A'", env) == "$A"
    assert _expand(r"\$A", env) == "$A"
    assert _expand("${A:-/x}", env) == "/app"
    assert _expand("${B:-/x}", env) is None  # whether the image sets B decides
    assert _expand("${A#/}", env) == "app"  # BuildKit's ${VAR#pattern}, through model/words
    assert _expand("${B#/}", env) is None


def test_env_of_one_instruction_expands_against_the_previous_environment() -> None:
    doc = parse(b"FROM x\nENV A=1\nENV A=2 B=$A\nRUN true\n")
    stage = _walk(doc, "Dockerfile", 0)
    assert stage.env == {"A": "2", "B": "1"}


def _pips(text: str, scope: dict[str, str] | None = None):
    return _classify_run(parse(f"FROM x\n{text}\n".encode()).instructions[1], "/app", scope or {})[1]


def test_pip_arguments() -> None:
    [p] = _pips("RUN pip install --user --no-cache-dir -r req/a.txt --requirement=req/b.txt -c c.txt "
                "-i https://example.com/simple six==1.16.0")
    assert (p.reqs, p.constraints, p.user, p.local, p.packages) == (["req/a.txt", "req/b.txt"], ["c.txt"], True,
                                                                    False, ["six==1.16.0"])
    assert _pips("RUN pip install .")[0].local
    assert _pips("RUN pip install --find-links ./wheels six")[0].local
    # pip's own grammar: glued and abbreviated options, every spelling
    assert _pips("RUN pip3 install -rreq.txt --constr=c.txt")[0].reqs == ["req.txt"]
    assert _pips("RUN pip3 install -rreq.txt --constr=c.txt")[0].constraints == ["c.txt"]
    assert _pips("RUN python3.11 -m pip install --user -r r.txt")[0].user
    # PIP_USER as pip reads it (from ENV, or on the command), not by its presence
    assert _pips("RUN PIP_USER=1 pip install six")[0].user
    assert not _pips("RUN PIP_USER=0 pip install six")[0].user
    assert _pips("RUN pip install six", {"PIP_USER": "yes"})[0].user
    # a requirement file the shell does not know is never a file a COPY brought
    assert _pips('RUN pip install -r "$REQS"')[0].reqs == [UNKNOWN_PATH]
    assert _pips("RUN pip install $PKG") == []  # unknown: it may be an option
    for other in ("RUN pip install --target /opt x", "RUN pip install -e .", "RUN pip install --prefix=/p x",
                  "RUN pip install --src /s x", "RUN pip uninstall -y x", "RUN pip install --no-such-option x",
                  "RUN python -I -m pip install x", "RUN /opt/venv/bin/pip install x",
                  "RUN uv pip install --system -r r.txt"):
        assert _pips(other) == [], other
    assert _pips("RUN pip install x", {"PIP_USER": "\1PIP_USER\1"}) == [], "a build argument's PIP_USER"


def test_and_list_is_read_by_the_shell_reader() -> None:
    def argvs(text: str):
        found = and_list_commands(parse(f"FROM x\n{text}\n".encode()).instructions[1])
        return None if found is None else [c.args for c in found]

    assert argvs("RUN apt-get update && apt-get install -y 'a b' \"c\" && rm -rf /var/lib/apt/lists/*") == [
        ("apt-get", "update"), ("apt-get", "install", "-y", "a b", "c"), ("rm", "-rf", None)]
    assert argvs('RUN PIP_USER=1 pip install -r "$REQS"') == [("pip", "install", "-r", None)]
    # a comment after a word ends the script (dash): the `&&` after it is not a command
    assert argvs("RUN pip install a  # web && pip install b") == [("pip", "install", "a")]
    assert argvs("RUN <<EOF\npip install a && apt-get clean\nEOF") == [("pip", "install", "a"), ("apt-get", "clean")]
    for other in ("a; b", "a || b", "a | b", "a > f", "a && $(b)", "a `b`", "if true; then a; fi", "a &&",
                  "a 'b", "(a)", "a & b", "{ a; }", "! a"):
        assert argvs(f"RUN {other}") is None, other
    assert argvs('RUN ["pip", "install", "x"]') is None
    assert and_list_commands(parse(b"FROM x\nRUN pip install x\n").instructions[1], ("pwsh", "-c")) is None


def test_run_kinds() -> None:
    def kind(text: str) -> RunKind:
        return _classify_run(parse(f"FROM x\n{text}\n".encode()).instructions[1], "/app", {})[0]

    assert kind("RUN apt-get update && apt-get install -y ffmpeg && rm -rf /var/lib/apt/lists/*") is RunKind.PACKAGES
    assert kind("RUN pip install --user -r requirements/cpu.txt") is RunKind.PIP
    assert kind("RUN python3.11 -m pip install -r r.txt && apt-get clean") is RunKind.PIP
    assert kind("RUN mkdir -p /app/src") is RunKind.OTHER
    assert kind("RUN apt-get install -y $PKGS") is RunKind.OTHER
    assert kind('RUN ["apt-get", "install", "-y", "x"]') is RunKind.OTHER
    assert kind("RUN rm -rf /") is RunKind.OTHER


# -- property: a mutated worker is either left alone or rebased with the prover holding
_LINES = {
    "env-unbuffered": "ENV PYTHONUNBUFFERED=1\n",
    "env-dontwrite": "ENV PYTHONDONTWRITEBYTECODE=1\n",
    "env-pythonpath": "ENV PYTHONPATH=/app\n",
    "env-pythonpath-other": "ENV PYTHONPATH=/app:/app/src\n",
    "env-path": "ENV PATH=/root/.local/bin:$PATH\n",
    "env-worker": "ENV WORKER_TYPE=CPU\n",
    "apt": "RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr "
           "&& rm -rf /var/lib/apt/lists/*\n",
    "workdir": "WORKDIR /app\n",
    "workdir-srv": "WORKDIR /srv\n",
    "reqs": "COPY requirements/common.txt requirements/ai-common.txt requirements/cpu.txt ./requirements/\n",
    "pip": "RUN pip install --user --no-cache-dir -r requirements/cpu.txt\n",
    "pip-system": "RUN pip install --no-cache-dir -r requirements/cpu.txt\n",
    "src": "COPY src ./src\n",
    "apps": "COPY apps ./apps\n",
    "libs": "COPY libs ./libs\n",
    "scripts": "COPY scripts ./scripts\n",
    "manage": "COPY manage.py ./\n",
    "manage-abs": "COPY manage.py /app/manage.py\n",
    "mkdir": "RUN mkdir -p /app/src/cache\n",
    "cmd": 'CMD ["python", "-m", "src.worker"]\n',
    "cmd-base": 'CMD ["python", "--version"]\n',
    "entrypoint": 'ENTRYPOINT ["python"]\n',
    "user": "USER 1000\n",
}


_CORE = ["env-unbuffered", "env-dontwrite", "env-pythonpath", "env-path", "workdir", "reqs", "pip",
         "src", "apps", "libs", "manage", "cmd"]


@st.composite
def workers(draw) -> list[str]:
    """A plausible worker: the core lines in their natural order with a few swapped, some
    dropped, and extra lines inserted anywhere."""
    core = list(_CORE)
    for a, b in draw(st.lists(st.tuples(st.integers(0, len(core) - 1), st.integers(0, len(core) - 1)), max_size=2)):
        core[a], core[b] = core[b], core[a]
    core = [k for k in core if draw(st.integers(0, 12)) > 0]
    for extra in draw(st.lists(st.sampled_from(sorted(_LINES)), max_size=3)):
        core.insert(draw(st.integers(0, len(core))), extra)
    return core


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workers(), st.sampled_from(["python:3.11-slim", "python:3.11-slim", "python:3.12-slim"]))
def test_mutated_worker_is_left_alone_or_rebased_soundly(picks: list[str], image: str) -> None:
    from dockfix.prover import prove

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(CASES / "academy-layout" / "before", root)
        (root / "docker" / "Dockerfile").unlink()
        text = f"# worker\nFROM {image}\n" + "".join(_LINES[p] for p in picks)
        (root / "docker" / "cpu" / "Dockerfile").write_text(text)
        config = load_config(root)
        outcome = run(root, [NAME], config)
        if not outcome.after.changed():
            return
        assert second_pass(outcome, config) == {}
        verdict = prove(outcome.before, outcome.after, config)
        assert verdict.holds, text + "\n" + outcome.diff().decode() + verdict.report()


# -- bases that install requirements system-wide (issue 13)
SYSTEM = CASES / "system-pip-base" / "before"


def _system_variant(tmp: Path, edit) -> list[str]:
    """Run the transform on system-pip-base with docker/web/Dockerfile edited; the notes."""
    root = tmp / "repo"
    shutil.copytree(SYSTEM, root)
    web = root / "docker" / "web" / "Dockerfile"
    web.write_text(edit(web.read_text()))
    outcome = run(root, [NAME], load_config(root))
    return [str(n) for n in outcome.notes if n.path == "docker/web/Dockerfile"]


def test_system_base_is_used_when_the_stage_installs_the_same_files(tmp_path: Path) -> None:
    assert _system_variant(tmp_path, lambda t: t) == [
        "docker/web/Dockerfile:2: info: rebased onto acme-base:latest (docker/base.Dockerfile); "
        "removed 3 instruction(s) the base provides [rebase-onto-base]"]


def test_system_site_install_after_a_user_switch_does_not_cover(tmp_path: Path) -> None:
    """After `USER 1000` pip cannot write the system site (it falls back to the user's): it is
    not the install the base ran as root."""
    notes = _system_variant(tmp_path, lambda t: t.replace("RUN pip install", "USER 1000\nRUN pip install"))
    assert len(notes) == 1 and "the base installs requirements.lock system-wide" in notes[0], notes


def test_base_requirement_file_no_copy_brings_is_unknown(tmp_path: Path) -> None:
    """A requirement file the base installs that no context COPY brings cannot be read here:
    unknown, so the base is not used (even though the stage names the same path)."""
    root = tmp_path / "repo"
    shutil.copytree(SYSTEM, root)
    (root / "docker" / "jobs" / "Dockerfile").unlink()
    for rel in ("docker/base.Dockerfile", "docker/web/Dockerfile"):
        f = root / rel
        f.write_text(f.read_text().replace("-r requirements.lock", "-r /opt/pinned.txt")
                     .replace("-r requirements-web.txt", "-r /opt/pinned.txt"))
    outcome = run(root, [NAME], load_config(root))
    assert not outcome.after.changed()
    assert [str(n) for n in outcome.notes] == [
        "docker/web/Dockerfile:2: skip: not rebased onto acme-base:latest: the base runs "
        "`RUN pip install --no-cache-dir -r /opt/pinned.txt` (line 8), which this stage does not [rebase-onto-base]"]


_SYSTEM_LINES = {
    "env": "ENV PYTHONUNBUFFERED=1\n",
    "workdir": "WORKDIR /srv\n",
    "workdir-app": "WORKDIR /app\n",
    "lock": "COPY requirements.lock ./\n",
    "web-file": "COPY requirements-web.txt ./\n",
    "pip-lock": "RUN pip install --no-cache-dir -r requirements.lock\n",
    "pip-web": "RUN pip install --no-cache-dir -r requirements-web.txt\n",
    "pip-web-user": "RUN pip install --user --no-cache-dir -r requirements-web.txt\n",
    "pip-lock-user": "RUN pip install --user --no-cache-dir -r requirements.lock\n",
    "pip-user-env": "ENV PIP_USER=1\n",
    "pip-named": "RUN pip install --no-cache-dir gunicorn==21.2.0\n",
    "apt": "RUN apt-get update && apt-get install -y --no-install-recommends cron && rm -rf /var/lib/apt/lists/*\n",
    "app": "COPY app ./app\n",
    "user": "USER 1000\n",
    "cmd": 'CMD ["python", "-m", "app.main"]\n',
}
_SYSTEM_CORE = ["env", "workdir", "lock", "web-file", "pip-web", "app", "cmd"]


@st.composite
def system_workers(draw) -> list[str]:
    core = list(_SYSTEM_CORE)
    for a, b in draw(st.lists(st.tuples(st.integers(0, len(core) - 1), st.integers(0, len(core) - 1)), max_size=2)):
        core[a], core[b] = core[b], core[a]
    core = [k for k in core if draw(st.integers(0, 10)) > 0]
    for extra in draw(st.lists(st.sampled_from(sorted(_SYSTEM_LINES)), max_size=3)):
        core.insert(draw(st.integers(0, len(core))), extra)
    return core


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(system_workers())
def test_mutated_worker_on_a_system_pip_base_is_left_alone_or_rebased_soundly(picks: list[str]) -> None:
    from dockfix.prover import prove

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(SYSTEM, root)
        (root / "docker" / "jobs" / "Dockerfile").unlink()
        text = "# web\nFROM python:3.12-slim\n" + "".join(_SYSTEM_LINES[p] for p in picks)
        (root / "docker" / "web" / "Dockerfile").write_text(text)
        config = load_config(root)
        outcome = run(root, [NAME], config)
        if not outcome.after.changed():
            return
        # Sites do not mix: every pip install of the stage is system-wide, as the image's user.
        assert "pip-web" in picks or "pip-lock" in picks, text
        pips = [i for i, k in enumerate(picks) if k.startswith("pip-") and k != "pip-user-env"]
        assert not any(k.endswith("-user") for k in picks if k.startswith("pip-") and k != "pip-user-env"), text
        assert all(i > max(pips) for i, k in enumerate(picks) if k in ("user", "pip-user-env")), text
        assert second_pass(outcome, config) == {}
        verdict = prove(outcome.before, outcome.after, config)
        assert verdict.holds, text + "\n" + outcome.diff().decode() + verdict.report()


# -- requirement files, read by the model's parser (pip's rules)
class _Files:
    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def exists(self, path: str) -> bool:
        return path in self.files

    def read(self, path: str) -> bytes:
        return self.files[path].encode()


def _follow_from(files: dict[str, str], start: str = "r.txt", installs: bool = True):
    from types import SimpleNamespace

    from dockfix.transforms.rebase_onto_base.requirements import _follow

    ctx = SimpleNamespace(tree=_Files(files))
    cmap = {f"/app/{f}": f for f in files}
    read: set[str] = set()
    installed: set[str] = set()
    flags = _follow(ctx, cmap, [(f"/app/{start}", installs)], read, installed)
    return flags, read, installed


def test_requirement_includes_follow_pip() -> None:
    files = {"r.txt": "six\n-r sub/a.txt\n--constraint=c.txt  # pins\n", "sub/a.txt": "-r ../b.txt\n",
             "b.txt": "attrs\n", "c.txt": "-r d.txt\n", "d.txt": "idna\n"}
    flags, read, installed = _follow_from(files)
    assert flags == set()
    assert read == set(files)
    # pip: an -r inside a constraint file is a requirement file (installed), -c only constrains
    assert installed == {"r.txt", "sub/a.txt", "b.txt", "d.txt"}


def test_requirement_lines_that_read_local_files_or_are_unknown() -> None:
    assert _follow_from({"r.txt": "-e .\n"})[0] == {"local"}
    assert _follow_from({"r.txt": "./pkg\n"})[0] == {"local"}
    assert _follow_from({"r.txt": "--find-links wheels\nsix\n"})[0] == {"local"}
    assert _follow_from({"r.txt": "--index-url https://example.com/simple\nsix\n"})[0] == set()
    assert _follow_from({"r.txt": "six==${V}\n"})[0] == {"unknown"}  # pip's environment is not known
    assert _follow_from({"r.txt": "--no-such-option\n"})[0] == {"unknown"}  # pip refuses the file
    assert _follow_from({"r.txt": "-r https://example.com/r.txt\n"})[0] == {"unknown"}
    assert _follow_from({"r.txt": "-r missing.txt\n"})[0] == {"unknown"}
    assert _follow_from({"r.txt": "-e .\n"}, installs=False)[0] == set()  # a constraint file installs nothing


def test_copy_targets_are_the_copy_models() -> None:
    """Container path -> context file through `model.copy` (buildah-checked): a wildcard that
    matches a directory copies its contents, not the directory (tests/build wildcard-dir-contents)."""
    from dockfix.transforms.rebase_onto_base.requirements import _copy_targets

    files = sorted(["requirements/cpu.txt", "req.txt", "a/b.txt"])
    doc = parse(b"FROM x\nWORKDIR /w\nCOPY requirements* ./\nCOPY req.txt /r\nCOPY a /app/\nCOPY --parents a/*.txt /p/\n"
                b"COPY --exclude=*.txt . /s/\nCOPY req.txt ./\n")
    got = [_copy_targets(files, s) for s in _walk(doc, "Dockerfile", 0).steps[1:]]
    assert got == [{"/w/cpu.txt": "requirements/cpu.txt"}, {"/r": "req.txt"}, {"/app/b.txt": "a/b.txt"},
                   {"/p/a/b.txt": "a/b.txt"},
                   {"/s/a/b.txt": "a/b.txt", "/s/requirements/cpu.txt": "requirements/cpu.txt"},  # `*` stays in one dir
                   {"/w/req.txt": "req.txt"}]
    unknown_workdir = _walk(parse(b"FROM x\nCOPY req.txt ./\n"), "Dockerfile", 0).steps[0]
    assert _copy_targets(files, unknown_workdir) == {"\0WORKDIR\0/req.txt": "req.txt"}


def test_named_files_are_what_the_copy_model_lands() -> None:
    from dockfix.model.copy import BuildContext, CopySpec, Origin, copy_result, named_files

    files = sorted(["a/x.txt", "a/y/z.txt", "a.txt", "b[1].txt", "req/r.txt", "req/s.in"])
    for src in ("a", "a*", "req/*.txt", ".", "./a/../a.txt", "b\\[1].txt", "*/*.txt", "nope*", "/req/", "b[1].txt"):
        landed = copy_result(CopySpec("COPY", (src,), "/d/"), "/", BuildContext(files, files)).landed
        assert named_files(files, src) == sorted(x.source for x in landed if x.origin is Origin.CONTEXT), src
