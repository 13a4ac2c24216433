"""Reading build output: the failing step, its Dockerfile line, the message, a missing base.

The buildah texts are captured from buildah 1.28 on this project's machines; the BuildKit
text follows Docker's ``--progress=plain`` layout (no daemon was available to capture one).
"""

from __future__ import annotations

from dockfix.build.failures import (
    Failure,
    locate,
    logical_instructions,
    parse_buildah_failure,
    parse_buildkit_failure,
)

BUILDAH_COPY_IGNORED = """\
STEP 1/4: FROM python:3.11-slim
STEP 2/4: WORKDIR /app
STEP 3/4: COPY secret.txt      /app/
Error: building at STEP "COPY secret.txt /app/": no items matching glob "/ctx/secret.txt" copied \
(1 filtered out using /ctx/.dockerignore): no such file or directory
"""

BUILDAH_MULTISTAGE_RUN = """\
[1/2] STEP 1/2: FROM python:3.11-slim AS b
[1/2] STEP 2/2: RUN echo hi
hi
--> 9dac02aa06c
[2/2] STEP 1/2: FROM 9dac02aa06c6b1a3f564a3ca7faea978287e65b2881d76e273f2deb3a1f50098
[2/2] STEP 2/2: RUN exit 3
subprocess exited with status 3
subprocess exited with status 3
Error: building at STEP "RUN exit 3": exit status 3
"""

BUILDAH_MISSING_BASE = """\
STEP 1/2: FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04
Error: creating build container: nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04: image not known
"""

BUILDKIT_COPY = """\
#6 [2/3] WORKDIR /app
#6 CACHED

#7 [3/3] COPY secret.txt /app/
#7 ERROR: failed to calculate checksum of ref abc::def: "/secret.txt": not found
------
 > [3/3] COPY secret.txt /app/:
------
Dockerfile:4
--------------------
   3 |     # secret.txt is excluded by .dockerignore: this COPY must fail the build.
   4 | >>> COPY secret.txt \\
   5 | >>>      /app/
   6 |     CMD ["python3"]
--------------------
ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref abc::def: \
"/secret.txt": not found
"""

BUILDKIT_MISSING_BASE = """\
#2 [internal] load metadata for docker.io/nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04
#2 ERROR: failed to do request: dial tcp: lookup registry-1.docker.io: no such host
------
ERROR: failed to solve: nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04: failed to resolve source metadata \
for docker.io/nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04: failed to do request
"""

IGNORED_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
# secret.txt is excluded by .dockerignore: this COPY must fail the build.
COPY secret.txt \\
     /app/
CMD ["python3"]
"""


def test_buildah_copy_failure():
    failure = parse_buildah_failure(BUILDAH_COPY_IGNORED)
    assert failure.instruction == "COPY secret.txt /app/"
    assert (failure.stage, failure.step) == (1, 3)
    assert failure.error.startswith('no items matching glob "/ctx/secret.txt"')
    assert failure.missing_base is None
    step = locate(IGNORED_DOCKERFILE, failure)
    assert step.line == 4


def test_buildah_failure_in_second_stage_is_located_by_position():
    dockerfile = "FROM python:3.11-slim AS b\nRUN echo hi\n\nFROM b\nRUN exit 3\n"
    failure = parse_buildah_failure(BUILDAH_MULTISTAGE_RUN)
    assert (failure.instruction, failure.stage, failure.step) == ("RUN exit 3", 2, 2)
    assert failure.error == "exit status 3"
    assert locate(dockerfile, failure).line == 5


def test_same_text_in_two_stages_is_told_apart_by_position():
    dockerfile = "FROM a AS one\nRUN make\nFROM b\nRUN make\n"
    assert locate(dockerfile, Failure("boom", "RUN make", stage=2, step=2)).line == 4
    assert locate(dockerfile, Failure("boom", "RUN make", stage=1, step=2)).line == 2


def test_failed_from_is_located_by_position_although_printed_expanded():
    dockerfile = "ARG BASE=x\nFROM ${BASE}\nRUN true\n"
    failure = Failure("boom", "FROM x", stage=1, step=1)
    assert locate(dockerfile, failure).line == 2


def test_buildah_missing_base_is_recognised():
    failure = parse_buildah_failure(BUILDAH_MISSING_BASE)
    assert failure.missing_base == "nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04"
    assert locate("", failure) is None


def test_buildkit_failure_uses_the_printed_line():
    failure = parse_buildkit_failure(BUILDKIT_COPY)
    assert failure.instruction == "COPY secret.txt /app/"
    assert failure.line == 4
    assert failure.error.startswith("failed to solve: failed to compute cache key")
    assert locate(IGNORED_DOCKERFILE, failure).line == 4


def test_buildkit_missing_base_is_recognised():
    failure = parse_buildkit_failure(BUILDKIT_MISSING_BASE)
    assert failure.missing_base == "docker.io/nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04"


def test_legacy_docker_builder_step():
    output = (
        "Step 1/2 : FROM python:3.11-slim\n ---> abc\nStep 2/2 : RUN exit 2\n"
        "The command '/bin/sh -c exit 2' returned a non-zero code: 2\n"
    )
    failure = parse_buildkit_failure(output)
    assert (failure.instruction, failure.step) == ("RUN exit 2", 2)
    assert failure.error == "The command '/bin/sh -c exit 2' returned a non-zero code: 2"


def test_logical_instructions_join_continuations_and_skip_comments():
    dockerfile = (
        "# syntax=docker/dockerfile:1\n"
        "FROM python:3.11-slim\n"
        "\n"
        "RUN apt-get update \\\n"
        "    # a comment inside the continuation\n"
        "    && apt-get install -y curl\n"
        "CMD [\"python\"]"  # no final newline
    )
    assert [(i.line, i.text) for i in logical_instructions(dockerfile)] == [
        (2, "FROM python:3.11-slim"),
        (4, "RUN apt-get update && apt-get install -y curl"),
        (7, 'CMD ["python"]'),
    ]


def test_escape_directive_changes_the_continuation_character():
    dockerfile = "# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n    C:\\\n"
    assert [(i.line, i.text) for i in logical_instructions(dockerfile)] == [
        (2, "FROM mcr.microsoft.com/windows"),
        (3, "RUN dir C:\\"),
    ]


def test_unlocatable_instruction_keeps_the_text_without_a_line():
    step = locate("FROM a\nRUN true\n", Failure("boom", "RUN something else", stage=1, step=5))
    assert step.instruction == "RUN something else" and step.line is None
