"""Why a finding of the safe set is still there after `dockfix apply --option 3`
(tools/reach.py): each remaining finding goes into one reason class, and each class is judged
once, here, as either *fixable* (a fix keeping the image's behaviour exists: dockfix does not
write it yet, or could not prove it) or *excluded* (no fix keeps the behaviour, or nothing is
left to fix), with the reason stated. reach.md shows the classes per code and the figure over
the fixable ones beside the raw one; no finding is dropped silently.

The class of a finding, first match:
1. the repository's apply refused or failed: nothing of it was written;
2. a fact of the Dockerfile that decides it (`apt-get dist-clean` already removes the lists);
3. the skip note the transform answering the code left on the finding's instruction (for
   DL3059, on either RUN of the pair), or on the whole file;
4. else "no note": the transform did not fire and said nothing.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dockfix.model.bases import windows_image  # noqa: E402
from dockfix.syntax import parse  # noqa: E402
from dockfix.transforms import CODES  # noqa: E402

# The transforms whose notes answer a code (DL3059: the pip and apt merges join RUNs too).
ANSWERS: dict[str, tuple[str, ...]] = {code: (name,) for code, name in CODES.items()}
ANSWERS["DL3059"] = ("merge-runs", "merge-pip-runs", "merge-apt-runs")


@dataclass(frozen=True)
class Judgement:
    pattern: re.Pattern
    why: str


# Classes with no behaviour-keeping fix (or nothing left to fix): excluded from the figure
# over the fixable findings, each named, counted and explained in reach.md.
EXCLUDED: tuple[Judgement, ...] = (
    Judgement(re.compile(r"^DL3009: `apt-get dist-clean`"),
              "nothing to fix: `apt-get dist-clean` (apt >= 2.7) removes the lists already; hadolint 2.15.1 "
              "does not know it"),
    Judgement(re.compile(r"^DL3042: pip's cache is already off"),
              "nothing to fix: the image holds no pip cache (`--no-cache` is pip's abbreviation of "
              "`--no-cache-dir`, uv's own option); hadolint wants the full spelling"),
    Judgement(re.compile(r"^DL3042: pip-no-cache-dir: .*pip's cache is already off: ENV PIP_NO_CACHE_DIR"),
              "nothing to fix: the file's `ENV PIP_NO_CACHE_DIR` turns pip's cache off for any value pip accepts "
              "(`off` and `false` too: cli/cmdoptions.py `_handle_no_cache_dir`); hadolint wants the option"),
    Judgement(re.compile(r"^DL3042: pip-no-cache-dir: .*a command reads the pip or uv cache directory"),
              "no fix keeps the behaviour: a command of the file reads pip's cache (a wheel pip built, copied "
              "out of ~/.cache/pip); without the cache it reads nothing"),
    Judgement(re.compile(r"^DL30(42|19): \S+: .*the RUN mounts a cache"),
              "nothing to fix: the cache is in a cache mount (`RUN --mount=type=cache`), outside the image"),
    Judgement(re.compile(r"^DL3009: remove-apt-lists: apt lists kept: a later RUN runs `…`, which reads it"),
              "no fix keeps the behaviour: a later RUN reads the lists (an `apt-get install` without its own "
              "update); removed, that RUN fails or installs otherwise"),
    Judgement(re.compile(r"^DL3027: apt-get-for-apt: apt \S+: apt-get's \S+ differs or does not exist"),
              "no fix keeps the behaviour: apt-get has no command that does what this apt command does "
              "(`apt upgrade` installs new dependencies, `apt-get upgrade` does not; apt-get has no "
              "`download`)"),
    Judgement(re.compile(r"^DL3059: merge-runs: not merged with the RUN after it: `…` (starts|may start) "),
              "no fix keeps the behaviour: merged, the build server this RUN leaves running (the Gradle or "
              "Kotlin daemon, dotnet's build servers) would run beside the next command; in two RUNs BuildKit "
              "stops it when the first RUN ends"),
    Judgement(re.compile(r"^DL3059: exec-form RUNs"),
              "no fix keeps the behaviour: exec-form RUNs run without a shell; one RUN running both needs one "
              "(`sh -c`), which the image may not have"),
    Judgement(re.compile(r"^DL3020: copy-for-add: ADD kept: '…' is in no directory of the repository"),
              "no fix can be written: the source is in no directory of the repository (and no .gitignore says CI "
              "makes it); whether ADD extracts it (a tar archive) is decided by its bytes, which no reading of the "
              "repository has (COPY would be a guess)"),
    Judgement(re.compile(r"^DL3020: copy-for-add: ADD kept: BuildKit rejects a source word"),
              "nothing to fix: BuildKit rejects the ADD's word (an unterminated quote): the build fails at this "
              "step with ADD or COPY"),
    Judgement(re.compile(r"^DL3020: copy-for-add: ADD kept: a source is a URL or a git repository"),
              "no fix keeps the behaviour: the source, held by a variable, is a URL or a git repository that ADD "
              "fetches; COPY cannot fetch (hadolint does not expand the variable)"),
    Judgement(re.compile(r"^DL3045: copy-absolute-dest: .* the base image … is not one whose working directory"),
              "no fix can be written: the destination is relative to the WORKDIR of an external base image "
              "dockfix does not know (no absolute path is known to be the same)"),
)


def judge(code: str, reason: str) -> str | None:
    """Why the class has no behaviour-keeping fix; None when it has one."""
    for j in EXCLUDED:
        if j.pattern.search(f"{code}: {reason}"):
            return j.why
    return None


_QUOTED = re.compile(r"`[^`]*`")
_DIGITS = re.compile(r"\b\d+\b")


_PLACES = (
    (re.compile(r"^\S+: (?=the )"), ""),  # a leading path
    (re.compile(r"kept: +\S+:\d+ runs"), "kept: a later RUN runs"),  # where the lists are read
    (re.compile(r"the base image \S+ is"), "the base image … is"),
    (re.compile(r"'[^']*'"), "'…'"),
)


def normalise(message: str) -> str:
    """A note as a class: quoted names, numbers, images and paths are not part of it."""
    for pattern, text in _PLACES:
        message = pattern.sub(text, message)
    return _DIGITS.sub("N", _QUOTED.sub("`…`", message))[:160]


def classify(root: Path, remaining: list[tuple[str, int, str]], notes: list[dict], outcome: str) -> list[
        tuple[str, str]]:
    """(code, reason class) for each remaining finding (path, line, code) under `root`."""
    if outcome in ("refused", "error"):
        why = "apply refused: an image of the repository not proved" if outcome == "refused" else "dockfix failed"
        return [(code, why) for _, _, code in remaining]
    by_file: dict[str, list[dict]] = {}
    for n in notes:
        by_file.setdefault(n["path"], []).append(n)
    lines: dict[str, list] = {}
    out = []
    for path, line, code in remaining:
        if path not in lines:
            lines[path] = _instructions(root / path)
        out.append((code, _reason(code, line, lines[path], by_file.get(path, []))))
    return out


def _instructions(path: Path) -> list:
    try:
        return list(parse(path.read_bytes()).instructions)
    except Exception:  # noqa: BLE001 - a file BuildKit rejects: no instruction to look at
        return []


def _reason(code: str, line: int, instructions: list, notes: list[dict]) -> str:
    here = next((i for i in instructions if i.start_line <= line <= i.end_line), None)
    fact = _fact(code, here, instructions)
    if fact:
        return fact
    lines = _note_lines(code, line, here, instructions)
    note = _note(code, lines, notes)
    if note is not None:
        return note
    if code == "DL3042" and here is not None and _NO_CACHE.search(here.original):
        return "pip's cache is already off: `--no-cache` (hadolint wants `--no-cache-dir`)"
    if any(i.keyword == "SHELL" for i in instructions):
        return "a SHELL instruction: RUN is not read by /bin/sh (PowerShell, cmd), which dockfix does not read"
    return f"{ANSWERS.get(code, ('?',))[0]}: no note (the transform did not fire)"


def _note(code: str, lines: set[int], notes: list[dict]) -> str | None:
    """The answering transform's note on one of `lines`, else on the whole file, as a class."""
    mine = [n for n in notes if n["transform"] in ANSWERS.get(code, ())]
    hit = [n for n in mine if n["line"] in lines] or [n for n in mine if n["line"] is None]
    return f"{hit[0]['transform']}: {normalise(hit[0]['message'])}" if hit else None


_NO_CACHE = re.compile(r"--no-cache(?![-\w])")


def _note_lines(code: str, line: int, here, instructions: list) -> set[int]:
    """The lines a note on the finding's instruction is at (DL3059: either RUN of the pair)."""
    if here is None:
        return {line}
    if code == "DL3059" and here.index > 0:
        return {here.start_line, instructions[here.index - 1].start_line}
    return {here.start_line}


def _fact(code: str, here, instructions: list) -> str | None:
    if here is None:
        return None
    if code == "DL3009" and "apt-get dist-clean" in here.original:
        return "`apt-get dist-clean` removes the lists (hadolint does not know it)"
    if code == "DL3059":
        return _run_pair_fact(here, instructions)
    return None


def _run_pair_fact(here, instructions: list) -> str | None:
    """DL3059: both RUNs exec-form, or a stage built on a Windows image (cmd reads its RUNs)."""
    before = instructions[here.index - 1] if here.index > 0 else None
    if here.json and before is not None and before.keyword == "RUN" and before.json:
        return "exec-form RUNs: neither is read by a shell"
    base = next((i for i in reversed(instructions[:here.index]) if i.keyword == "FROM"), None)
    if base is not None and base.value and windows_image(_global_args(base.value[0], instructions)):
        return "a Windows image: cmd reads its RUNs, which dockfix does not read"
    return None


def _global_args(text: str, instructions: list) -> str:
    """A FROM's text with the defaults of the ARGs declared before the first FROM put in."""
    for ins in instructions:
        if ins.keyword == "FROM":
            break
        for word in ins.value if ins.keyword == "ARG" else ():
            name, eq, value = word.partition("=")
            if eq:
                text = text.replace("${" + name + "}", value).replace("$" + name, value)
    return text
