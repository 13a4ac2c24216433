"""Real-build verification: build images with a local engine and look inside them.

Pure library code (the CLI lives elsewhere). The pieces, one module each:

* `engines`  - docker / buildah / podman behind one `Engine`; `detect_engine()`.
* `spec`     - `BuildSpec` (what to build) and `BuildResult` (ok / failed / skipped).
* `failures` - reading a failed build's output: failing step, Dockerfile line, missing base.
* `images`   - `ImageInfo` from the engine's inspect output; `distinct_layer_bytes()`.
* `session`  - `BuildSession`: a run's private tag namespace, base aliases, cleanup.
* `smoke`    - checks run inside an image as its user: Python version, CMD executable on
               PATH, ``python -m`` module importable, files under WORKDIR.
* `filesystem` - an image's whole file system (`Snapshot`) and the difference of two.
* `expect`   - what the static verdict predicts of each image; the rules that explain
               real file-system differences.
* `trees`, `pairs`, `results`, `verify` - `dockfix verify --build`: build a tree (cold,
               then warm after an app-code edit), judge each image pair, the verdict.

Typical use::

    engine = detect_engine()
    with BuildSession(engine) as session:
        result = session.build(BuildSpec("academy-base:latest", dockerfile, context))
        if result.ok:
            check = cmd_executable_resolves(session, result.image)
"""

from dockfix.build.engines import (
    BuildahEngine,
    DockerEngine,
    Engine,
    EngineError,
    EngineUnavailable,
    PodmanEngine,
    RunResult,
    detect_engine,
    missing_bases,
)
from dockfix.build.images import ImageInfo, ImageRecord, Layer, distinct_layer_bytes
from dockfix.build.session import BuildSession, CleanupReport, TagConflict
from dockfix.build.smoke import (
    FileEntry,
    SmokeCheck,
    cmd_executable_resolves,
    command_executable,
    command_module,
    module_importable,
    python_version,
    workdir_files,
)
from dockfix.build.spec import BuildResult, BuildSpec, FailedStep

__all__ = [
    "BuildResult",
    "BuildSession",
    "BuildSpec",
    "BuildahEngine",
    "CleanupReport",
    "DockerEngine",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "FailedStep",
    "FileEntry",
    "ImageInfo",
    "ImageRecord",
    "Layer",
    "PodmanEngine",
    "RunResult",
    "SmokeCheck",
    "TagConflict",
    "cmd_executable_resolves",
    "command_executable",
    "command_module",
    "detect_engine",
    "distinct_layer_bytes",
    "missing_bases",
    "module_importable",
    "python_version",
    "workdir_files",
]
