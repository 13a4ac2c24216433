"""Read a failed build's output: which step failed, the engine's message, a missing base.

Two output dialects exist. buildah and podman print ``[2/3] STEP 4/7: RUN ...`` and end with
``Error: building at STEP "RUN ...": <message>``. Docker BuildKit (``--progress=plain``) prints
``#7 [stage 3/4] RUN ...``, then a ``Dockerfile:12`` excerpt and ``ERROR: failed to solve: ...``.

The step is located in the Dockerfile by its position (stage, step) when that agrees with the
text, else by text; both sides are compared with whitespace collapsed because engines join
continuation lines differently in different messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockfix.build.spec import FailedStep

# buildah/podman
_BUILDAH_STEP = re.compile(r"^(?:\[(\d+)/\d+\] )?STEP (\d+)/\d+: (.*)$", re.MULTILINE)
_BUILDAH_AT_STEP = re.compile(r'^Error: building at STEP "(.*)": (.*)$', re.MULTILINE)
_BUILDAH_ERROR = re.compile(r"^Error: (.*)$", re.MULTILINE)
_BUILDAH_MISSING_BASE = (
    re.compile(r"creating build container: (\S+): image not known"),
    re.compile(r'pull policy is "never" but "?([^"\s]+)"? could not be found locally'),
)

# Docker BuildKit, plain progress
_BUILDKIT_STEP = re.compile(r"^#\d+ \[(?:(\S+) )?(\d+)/\d+\] (.*)$", re.MULTILINE)
_BUILDKIT_FAILED_STEP = re.compile(r"^ > \[(?:(\S+) )?(\d+)/\d+\] (.*):$", re.MULTILINE)
_BUILDKIT_LINE = re.compile(r"^(?:\S*/)?[^\s:]+:(\d+)$", re.MULTILINE)
_BUILDKIT_ERROR = re.compile(r"^ERROR: (.*)$", re.MULTILINE)
_BUILDKIT_MISSING_BASE = (
    re.compile(r"failed to resolve source metadata for (\S+):\s"),
    re.compile(r"pull access denied for ([^,\s]+)"),
    re.compile(r"manifest for (\S+) not found"),
)
# Docker's legacy builder: "Step 3/4 : COPY ..."
_LEGACY_STEP = re.compile(r"^Step (\d+)/\d+ : (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Failure:
    """What a failed build's output says, before the step is located in the Dockerfile."""

    error: str
    instruction: str | None = None
    stage: int | None = None
    step: int | None = None
    line: int | None = None  # only BuildKit prints it
    missing_base: str | None = None


def parse_buildah_failure(output: str) -> Failure:
    """Parse buildah/podman build output (stdout and stderr together)."""
    for pattern in _BUILDAH_MISSING_BASE:
        if m := pattern.search(output):
            return Failure(error=_last(_BUILDAH_ERROR, output) or m.group(0), missing_base=m.group(1))
    steps = list(_BUILDAH_STEP.finditer(output))
    stage = step = None
    instruction = None
    if steps:
        last = steps[-1]
        stage = int(last.group(1)) if last.group(1) else 1
        step = int(last.group(2))
        instruction = last.group(3).strip()
    if at := _last_match(_BUILDAH_AT_STEP, output):
        return Failure(error=at.group(2).strip(), instruction=at.group(1), stage=stage, step=step)
    error = _last(_BUILDAH_ERROR, output) or _tail(output)
    return Failure(error=error, instruction=instruction, stage=stage, step=step)


def parse_buildkit_failure(output: str) -> Failure:
    """Parse Docker build output (BuildKit plain progress, or the legacy builder)."""
    error = _last(_BUILDKIT_ERROR, output) or _last(re.compile(r"^Error.*$", re.M), output)
    for pattern in _BUILDKIT_MISSING_BASE:
        if m := pattern.search(output):
            return Failure(error=error or m.group(0), missing_base=m.group(1))
    if failed := _last_match(_BUILDKIT_FAILED_STEP, output):
        line_match = _BUILDKIT_LINE.search(output, failed.end())
        return Failure(
            error=error or _tail(output),
            instruction=failed.group(3).strip(),
            step=int(failed.group(2)),
            line=int(line_match.group(1)) if line_match else None,
        )
    if legacy := _last_match(_LEGACY_STEP, output):
        return Failure(
            error=error or _tail(output), instruction=legacy.group(2).strip(), step=int(legacy.group(1))
        )
    if started := _last_match(_BUILDKIT_STEP, output):
        return Failure(error=error or _tail(output), instruction=started.group(3).strip())
    return Failure(error=error or _tail(output))


@dataclass(frozen=True)
class Instruction:
    line: int  # 1-based line where the instruction starts
    text: str  # continuation lines joined, comments inside them dropped


def logical_instructions(dockerfile: str) -> list[Instruction]:
    """Split a Dockerfile into instructions with their first line numbers.

    Deliberately small: backslash (or ``# escape=`` directive) continuations and comment lines;
    heredocs are not understood. It only serves to point at a failing step; the project's
    lossless parser is the authority on Dockerfile syntax.
    """
    lines = dockerfile.splitlines()
    escape = "\\"
    for raw in lines:
        directive = re.match(r"^#\s*escape\s*=\s*(\S)\s*$", raw, re.IGNORECASE)
        if directive:
            escape = directive.group(1)
            break
        if not re.match(r"^#\s*\w+\s*=", raw):
            break
    result: list[Instruction] = []
    start: int | None = None
    parts: list[str] = []
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank and comment lines end nothing: they may sit inside a continuation
        if start is None:
            start = number
        body = raw.rstrip()
        if body.endswith(escape):
            parts.append(body[: -len(escape)])
            continue
        parts.append(body)
        result.append(Instruction(line=start, text=" ".join(p.strip() for p in parts)))
        start, parts = None, []
    if start is not None:
        result.append(Instruction(line=start, text=" ".join(p.strip() for p in parts)))
    return result


def locate(dockerfile: str, failure: Failure) -> FailedStep | None:
    """Turn a parsed failure into a FailedStep with the Dockerfile line, when there is a step."""
    if failure.instruction is None:
        return None
    line = failure.line
    if line is None:
        line = _find_line(logical_instructions(dockerfile), failure)
    return FailedStep(
        instruction=failure.instruction, line=line, stage=failure.stage, step=failure.step
    )


def _find_line(instructions: list[Instruction], failure: Failure) -> int | None:
    wanted = _norm(failure.instruction or "")
    if failure.step is not None:
        stages = _stages(instructions)
        stage_index = (failure.stage or 1) - 1
        if stage_index < len(stages) and failure.step - 1 < len(stages[stage_index]):
            candidate = stages[stage_index][failure.step - 1]
            # FROM lines are printed after ARG expansion, so for them position alone decides.
            if _norm(candidate.text) == wanted or _keyword(candidate.text) == "FROM" == _keyword(wanted):
                return candidate.line
    for instruction in instructions:
        if _norm(instruction.text) == wanted:
            return instruction.line
    return None


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if _keyword(instruction.text) == "FROM":
            stages.append([])
        if stages:  # global ARGs before the first FROM belong to no stage
            stages[-1].append(instruction)
    return stages


def _keyword(text: str) -> str:
    return text.split(None, 1)[0].upper() if text.strip() else ""


def _norm(text: str) -> str:
    words = text.split()
    return " ".join([words[0].upper(), *words[1:]]) if words else ""


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _last(pattern: re.Pattern[str], text: str) -> str | None:
    match = _last_match(pattern, text)
    return match.group(1 if pattern.groups else 0).strip() if match else None


def _tail(output: str) -> str:
    """The last line printed: where engines put the message when no pattern matched."""
    lines = output.strip().splitlines()
    return lines[-1].strip() if lines else ""
