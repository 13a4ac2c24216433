"""Container engines behind one interface: docker, buildah, podman.

Which engine: `detect_engine()` takes docker only when a daemon answers (``docker info``
succeeds; a bare client is common and useless), else buildah, else podman. An explicit choice
overrides detection but must still be installed (and, for docker, reachable).

How each one builds and runs:

* buildah: ``buildah bud --isolation chroot`` (works without a daemon, systemd or user
  namespaces), ``--layers`` so every instruction gets its own layer as with docker (squashing
  would hide exactly the waste dockfix removes), ``--format docker`` so HEALTHCHECK is kept,
  ``--pull=never`` because bases must come from local storage, ``--force-rm`` so a failed step
  leaves no working container behind. The machine's CA bundle is
  bind-mounted read-only into RUN steps so pip and apt trust the same TLS roots as the host
  (build hosts behind a TLS-inspecting proxy need it). Commands run in a working container:
  ``buildah from`` + ``buildah run`` + ``buildah rm``; ``buildah run`` applies the image's
  User, Env and WorkingDir, as ``docker run`` does.
* podman: the same build flags (podman builds with buildah's code); runs with ``podman run``.
* docker: ``docker build --progress=plain`` with BuildKit; ``docker run --rm``. The daemon has
  its own trust store, so no CA mount; it has no ``--pull=never`` for builds, so a missing base
  shows up as a registry error, which is recognised as such.

All commands are argv lists; nothing goes through a shell.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockfix.build import _proc
from dockfix.build.failures import (
    Failure,
    locate,
    parse_buildah_failure,
    parse_buildkit_failure,
)
from dockfix.build.filesystem import Snapshot, read_tar, read_tree
from dockfix.build.images import (
    ImageInfo,
    ImageRecord,
    normalize_id,
    parse_buildah_inspect,
    parse_docker_inspect,
)
from dockfix.build.spec import BuildResult, BuildSpec

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEFAULT_RUN_TIMEOUT = 120.0
_QUICK = 120.0  # seconds for bookkeeping commands (inspect, tag, rmi, list)
_BUILDAH_EXIT_REPORT = re.compile(r"(?:subprocess exited with status \d+\n?|Error: exit status \d+\n?)+\Z")


class EngineUnavailable(RuntimeError):
    """No usable container engine (or not the one asked for)."""


class EngineError(RuntimeError):
    """An engine command that should have worked did not (inspect, tag, remove...)."""

    def __init__(self, done: _proc.Completed):
        self.completed = done
        message = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        super().__init__(f"{' '.join(done.argv)}: {message}")


@dataclass(frozen=True)
class RunResult:
    """A command run inside an image."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Engine(ABC):
    """One container engine. Subclasses supply argv and parse output; the flow lives here."""

    name: str
    executable: str
    parse_failure: Callable[[str], Failure]

    def build(self, spec: BuildSpec, tag: str, *, timeout: float | None = None) -> BuildResult:
        """Build `spec` and tag the image `tag` (exactly; `BuildSession` picks private tags).

        A base image missing from local storage gives status "skipped", any other error
        "failed" with the failing step located in the Dockerfile.
        """
        with tempfile.TemporaryDirectory(prefix="dockfix-build-") as scratch:
            iidfile = Path(scratch) / "iid"
            done = _proc.run(self._build_argv(spec, tag, iidfile), timeout=timeout, env=self._build_env())
            image_id = iidfile.read_text().strip() if iidfile.exists() else ""
        common = dict(spec=spec, engine=self.name, duration_s=done.duration_s, log=done.output)
        if done.returncode == 0 and image_id and not done.timed_out:
            return BuildResult(status="ok", image=tag, image_id=normalize_id(image_id), **common)
        if done.timed_out:
            return BuildResult(status="failed", error=f"build timed out after {timeout:g} s", **common)
        failure = self.parse_failure(done.output)
        if failure.missing_base:
            reason = f"base {failure.missing_base} not available locally"
            return BuildResult(status="skipped", skip_reason=reason, error=failure.error, **common)
        try:
            dockerfile_text = spec.dockerfile.read_text(errors="replace")
        except OSError:
            dockerfile_text = ""
        return BuildResult(
            status="failed", failed_step=locate(dockerfile_text, failure), error=failure.error, **common
        )

    def inspect(self, ref: str) -> ImageInfo:
        """Config, size and layers of a local image. Raises EngineError when it is absent."""
        return self._parse_inspect(self._checked(self._inspect_argv(ref)).stdout)

    def image_exists(self, ref: str) -> bool:
        """Is `ref` in local storage, resolved the way a FROM line would resolve it?"""
        return _proc.run(self._inspect_argv(ref), timeout=_QUICK).returncode == 0

    def image_id(self, ref: str) -> str | None:
        """The ID `ref` names now, or None when it names nothing."""
        done = _proc.run(self._inspect_argv(ref), timeout=_QUICK)
        return self._parse_inspect(done.stdout).id if done.returncode == 0 else None

    def tag(self, ref: str, name: str) -> None:
        self._checked([self.executable, "tag", ref, name])

    def remove_name(self, name: str) -> None:
        """Remove one name; the image itself goes when that was its last name."""
        self._checked([self.executable, "rmi", name])

    def remove_image(self, image_id: str) -> None:
        """Remove an unnamed image (fails, harmlessly, while other images build on it)."""
        self._checked([self.executable, "rmi", image_id])

    @abstractmethod
    def list_images(self) -> list[ImageRecord]:
        """Every image in local storage, intermediate ones included."""

    @abstractmethod
    def list_containers(self) -> list[str]:
        """Names of every container (for sweeping what a killed run left behind)."""

    def remove_container(self, name: str) -> None:
        self._checked([self.executable, "rm", "-f", name])

    def run_as_user(
        self,
        image: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        workdir: str | None = None,
        timeout: float = DEFAULT_RUN_TIMEOUT,
        container_name: str | None = None,
    ) -> RunResult:
        """Run argv in a throwaway container of `image`, as the image's USER, with its Env and
        WorkingDir (ENTRYPOINT is not applied). `user`/`workdir` override the image's."""
        name = container_name or f"dockfix-run-{secrets.token_hex(6)}"
        done = self._run_in_container(image, list(argv), name, user, workdir, timeout)
        return RunResult(
            argv=tuple(argv),
            exit_code=done.returncode,
            stdout=done.stdout,
            stderr=self._command_stderr(done.stderr),
            duration_s=done.duration_s,
            timed_out=done.timed_out,
        )

    @abstractmethod
    def snapshot(self, image: str, container_name: str | None = None) -> Snapshot:
        """The whole file system of `image` (`dockfix.build.filesystem`), read through a
        throwaway container called `container_name`, which is gone afterwards."""

    # -- subclass hooks -------------------------------------------------------------------
    @abstractmethod
    def _build_argv(self, spec: BuildSpec, tag: str, iidfile: Path) -> list[str]: ...

    def _build_env(self) -> dict[str, str] | None:
        return None

    @abstractmethod
    def _run_in_container(
        self, image: str, argv: list[str], name: str, user: str | None, workdir: str | None, timeout: float
    ) -> _proc.Completed:
        """Run argv in a new container called `name`, which must be gone afterwards."""

    def _command_stderr(self, stderr: str) -> str:
        """The command's own stderr, without what the engine adds to it."""
        return stderr

    @abstractmethod
    def _inspect_argv(self, ref: str) -> list[str]: ...

    @abstractmethod
    def _parse_inspect(self, text: str) -> ImageInfo: ...

    # -- helpers --------------------------------------------------------------------------
    def _checked(self, argv: Sequence[str], timeout: float = _QUICK) -> _proc.Completed:
        done = _proc.run(argv, timeout=timeout)
        if done.returncode != 0:
            raise EngineError(done)
        return done

    @staticmethod
    def _common_build_flags(spec: BuildSpec, tag: str, iidfile: Path) -> list[str]:
        flags = ["-f", str(spec.dockerfile), "-t", tag, "--iidfile", str(iidfile)]
        if spec.target:
            flags += ["--target", spec.target]
        for key, value in spec.build_args.items():
            flags += ["--build-arg", f"{key}={value}"]
        return flags

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _BuildahStyleBuild:
    """Build flags shared by buildah and podman (podman builds with buildah's code)."""

    build_command: tuple[str, ...]
    parse_failure = staticmethod(parse_buildah_failure)

    def __init__(self, ca_bundle: Path | None = HOST_CA_BUNDLE):
        self.ca_bundle = ca_bundle if ca_bundle is not None and Path(ca_bundle).exists() else None

    def _build_argv(self, spec: BuildSpec, tag: str, iidfile: Path) -> list[str]:
        argv = [*self.build_command, "--isolation", "chroot", "--layers", "--format", "docker", "--pull=never",
                "--force-rm"]
        argv += Engine._common_build_flags(spec, tag, iidfile)
        if self.ca_bundle:
            argv += ["-v", f"{self.ca_bundle}:{HOST_CA_BUNDLE}:ro"]
        return argv + [str(spec.context)]

    def _build_env(self) -> dict[str, str] | None:
        return None


class BuildahEngine(_BuildahStyleBuild, Engine):
    name = "buildah"
    executable = "buildah"
    build_command = ("buildah", "bud")

    def _inspect_argv(self, ref: str) -> list[str]:
        return ["buildah", "inspect", "--type", "image", ref]

    def _parse_inspect(self, text: str) -> ImageInfo:
        return parse_buildah_inspect(text)

    def list_images(self) -> list[ImageRecord]:
        rows = json.loads(self._checked(["buildah", "images", "-a", "--no-trunc", "--json"]).stdout or "null")
        return [ImageRecord(normalize_id(r["id"]), tuple(r.get("names") or ())) for r in rows or ()]

    def list_containers(self) -> list[str]:
        rows = json.loads(self._checked(["buildah", "containers", "--json"]).stdout or "null")
        return [r["containername"] for r in rows or ()]

    def remove_container(self, name: str) -> None:
        self._checked(["buildah", "rm", name])

    def _run_in_container(self, image, argv, name, user, workdir, timeout):
        self._checked(["buildah", "from", "--pull=never", "--name", name, image])
        try:
            command = ["buildah", "run", "--isolation", "chroot"]
            if user is not None:
                command += ["--user", user]
            if workdir is not None:
                command += ["--workingdir", workdir]
            return _proc.run([*command, name, "--", *argv], timeout=timeout)
        finally:
            self.remove_container(name)

    def snapshot(self, image: str, container_name: str | None = None) -> Snapshot:
        """Mounted (``buildah mount``, which needs root or ``buildah unshare``) and walked:
        no copy of the image's bytes is made."""
        name = container_name or f"dockfix-fs-{secrets.token_hex(6)}"
        self._checked(["buildah", "from", "--pull=never", "--name", name, image])
        try:
            root = self._checked(["buildah", "mount", name]).stdout.strip()
            try:
                return read_tree(root)
            finally:
                self._checked(["buildah", "umount", name])
        finally:
            self.remove_container(name)

    def _command_stderr(self, stderr: str) -> str:
        """buildah appends its own report of the exit status to the command's stderr."""
        return _BUILDAH_EXIT_REPORT.sub("", stderr)


class DockerEngine(Engine):
    name = "docker"
    executable = "docker"
    parse_failure = staticmethod(parse_buildkit_failure)

    def _build_argv(self, spec: BuildSpec, tag: str, iidfile: Path) -> list[str]:
        flags = self._common_build_flags(spec, tag, iidfile)
        return [self.executable, "build", "--progress=plain", "--force-rm", *flags, str(spec.context)]

    def _build_env(self) -> dict[str, str] | None:
        return {"DOCKER_BUILDKIT": "1"}

    def _inspect_argv(self, ref: str) -> list[str]:
        return [self.executable, "image", "inspect", ref]

    def _parse_inspect(self, text: str) -> ImageInfo:
        return parse_docker_inspect(text)

    def list_images(self) -> list[ImageRecord]:
        out = self._checked(
            [self.executable, "images", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Repository}}:{{.Tag}}"]
        ).stdout
        names: dict[str, list[str]] = {}
        for row in out.splitlines():
            image_id, _, name = row.partition("\t")
            bucket = names.setdefault(normalize_id(image_id), [])
            if name and "<none>" not in name:
                bucket.append(name)
        return [ImageRecord(image_id, tuple(n)) for image_id, n in names.items()]

    def list_containers(self) -> list[str]:
        out = self._checked([self.executable, "ps", "-a", "--format", "{{.Names}}"]).stdout
        return [line for line in out.splitlines() if line]

    def snapshot(self, image: str, container_name: str | None = None) -> Snapshot:
        """``create`` then ``export``: the flat tar is read as it streams, never stored."""
        name = container_name or f"dockfix-fs-{secrets.token_hex(6)}"
        self._checked([self.executable, "create", "--pull=never", "--name", name, "--entrypoint", "", image, "true"])
        try:
            with subprocess.Popen([self.executable, "export", name], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) as proc:
                snap = read_tar(proc.stdout)  # type: ignore[arg-type]
                error = proc.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
            if proc.returncode != 0:
                raise EngineError(_proc.Completed((self.executable, "export", name), proc.returncode, "", error, 0.0))
            return snap
        finally:
            self.remove_container(name)

    def _run_in_container(self, image, argv, name, user, workdir, timeout):
        command = [self.executable, "run", "--rm", "--pull=never", "--name", name, "--entrypoint", ""]
        if user is not None:
            command += ["--user", user]
        if workdir is not None:
            command += ["--workdir", workdir]
        done = _proc.run([*command, image, *argv], timeout=timeout)
        if done.timed_out:  # the client died; the container may still run under the daemon
            _proc.run([self.executable, "rm", "-f", name], timeout=_QUICK)
        return done


class PodmanEngine(_BuildahStyleBuild, DockerEngine):
    """Docker's command line for everything but builds, which are buildah's (flags and output)."""

    name = "podman"
    executable = "podman"
    build_command = ("podman", "build")

    def list_images(self) -> list[ImageRecord]:
        rows = json.loads(self._checked(["podman", "images", "-a", "--no-trunc", "--format", "json"]).stdout or "[]")
        return [ImageRecord(normalize_id(r["Id"]), tuple(r.get("Names") or ())) for r in rows or ()]


ENGINES: dict[str, type[Engine]] = {"docker": DockerEngine, "buildah": BuildahEngine, "podman": PodmanEngine}


def detect_engine(choice: str | None = None) -> Engine:
    """The engine to use: `choice` if given (docker, buildah or podman), else the first usable
    of docker (daemon answering), buildah, podman. Raises EngineUnavailable."""
    if choice is not None:
        if choice not in ENGINES:
            raise EngineUnavailable(f"unknown engine {choice!r}; choose one of {', '.join(ENGINES)}")
        if shutil.which(choice) is None:
            raise EngineUnavailable(f"{choice} is not installed")
        if choice == "docker" and not _docker_daemon_answers():
            raise EngineUnavailable("docker is installed but `docker info` fails: no daemon answers")
        return ENGINES[choice]()
    if shutil.which("docker") and _docker_daemon_answers():
        return DockerEngine()
    for name in ("buildah", "podman"):
        if shutil.which(name):
            return ENGINES[name]()
    raise EngineUnavailable(
        "no container engine: need a docker daemon, buildah or podman (`make system-deps` installs buildah)"
    )


def missing_bases(engine: Engine, refs: Iterable[str]) -> list[str]:
    """The external base images (FROM references) not in local storage; ``scratch`` is
    always there. Lets a caller report "skipped: base ... not available locally" up front."""
    return [ref for ref in refs if ref != "scratch" and not engine.image_exists(ref)]


def _docker_daemon_answers() -> bool:
    return _proc.run(["docker", "info"], timeout=20).returncode == 0
