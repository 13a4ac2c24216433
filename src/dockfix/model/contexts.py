"""Build contexts: which directory a build command sends, read exactly, or unknown.

`docker build`, `docker buildx build`, `docker image build`, `podman build`, `buildah
bud`/`build` lines are read with their option grammar (docker/buildx `commands/build.go`,
buildah `pkg/cli/common.go` flag sets; pflag rules: a boolean or optional-value flag never
takes the next word, `--opt=value` and `-tvalue` are glued forms, `--` ends options). Shell
scripts, Makefile recipes and CI `run:` steps are read by `dockfix.graph.scripts`, which
knows comments, continuations, quoting, literal assignments and `cd`. What cannot be
read (an unknown option, a variable the script does not assign, a directory the script
does not set) makes the context an `UnknownContext`, never a guess.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class UnknownContext:
    """A build context that cannot be determined: why, and where it was looked for."""

    reason: str
    looked: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "unknown: " + self.reason + (f" (looked at {', '.join(self.looked)})" if self.looked else "")


class Engine(Enum):
    DOCKER = "docker"
    PODMAN = "podman"
    BUILDAH = "buildah"


# Options of `docker build`/`docker buildx build` (buildx commands/build.go, its hidden
# legacy flags and commonBuildFlags) and of `podman build`/`buildah bud` (buildah
# pkg/cli/common.go: GetBudFlags, GetFromAndBudFlags, user-namespace, namespace and layer
# flags). One table serves all engines: `docker` is often podman (podman-docker), and no
# name takes a value in one engine and none in another.
TAKES_VALUE = frozenset({
    "add-host", "allow", "annotation", "annotation-file", "arch", "attest", "authfile", "blob-cache",
    "build-arg", "build-arg-file", "build-context", "builder", "cache-from", "cache-to", "cache-ttl", "call",
    "cap-add", "cap-drop", "cert-dir", "cgroup-parent", "cgroupns", "cni-config-dir", "cni-plugin-path",
    "cpp-flag", "cpu-period", "cpu-quota", "cpu-shares", "cpuset-cpus", "cpuset-mems", "creds", "cw",
    "decryption-key", "device", "dns", "dns-option", "dns-search", "encrypt-layer", "encryption-key", "env",
    "file", "format", "from", "group-add", "hooks-dir", "iidfile", "ignorefile", "ipc", "isolation", "jobs",
    "label", "label-file", "layer-label", "logfile", "loglevel", "manifest", "memory", "memory-swap",
    "metadata-file", "net", "network", "no-cache-filter", "os", "os-feature", "os-version", "output", "pid",
    "platform", "print", "progress", "provenance", "retry", "retry-delay", "root", "runtime", "runtime-flag",
    "rusage-logfile", "sbom", "sbom-image-output", "sbom-image-purl-output", "sbom-merge-strategy",
    "sbom-output", "sbom-purl-output", "sbom-scanner-command", "sbom-scanner-image", "secret",
    "security-opt", "server-config", "shm-size", "sign-by", "signature-policy", "source-date-epoch", "ssh",
    "tag", "target", "timestamp", "ulimit", "unsetannotation", "unsetenv", "unsetlabel", "userns",
    "userns-gid-map", "userns-gid-map-group", "userns-uid-map", "userns-uid-map-user", "uts", "variant",
    "volume",
})
# Booleans, and flags whose value is optional (pflag NoOptDefVal: `--pull`, `--check`):
# neither takes the next word.
NO_VALUE = frozenset({
    "all-platforms", "check", "compat-volumes", "compress", "detach", "disable-compression",
    "disable-content-trust", "force-rm", "http-proxy", "identity-label", "inherit-annotations",
    "inherit-labels", "layers", "load", "logsplit", "no-cache", "no-hostname", "no-hosts", "omit-history",
    "pull", "pull-always", "pull-never", "push", "quiet", "rewrite-timestamp", "rm", "skip-unused-stages",
    "squash", "squash-all", "stdin", "stream", "tls-verify",
})
SHORT = {"f": "file", "t": "tag", "o": "output", "m": "memory", "c": "cpu-shares", "v": "volume",
         "q": "quiet", "D": "disable-compression"}

# argv[0:n] that start a build (after wrappers such as sudo and VAR=x prefixes).
BUILD_VERBS: dict[tuple[str, ...], Engine] = {
    ("docker", "build"): Engine.DOCKER, ("docker", "buildx", "build"): Engine.DOCKER,
    ("docker", "buildx", "b"): Engine.DOCKER, ("docker", "builder", "build"): Engine.DOCKER,
    ("docker", "image", "build"): Engine.DOCKER, ("podman", "build"): Engine.PODMAN,
    ("podman", "image", "build"): Engine.PODMAN, ("podman", "buildx", "build"): Engine.PODMAN,
    ("buildah", "bud"): Engine.BUILDAH, ("buildah", "build"): Engine.BUILDAH,
    ("buildah", "build-using-dockerfile"): Engine.BUILDAH,
}
WRAPPERS = frozenset({"sudo", "exec", "time", "command", "nice", "nohup", "env"})


@dataclass(frozen=True)
class BuildArgs:
    """One build command's options. A None word is one the reader could not expand."""

    engine: Engine
    tags: tuple[str, ...] = ()
    unknown_tags: bool = False
    dockerfile: str | None = None  # as written; None when not given
    dockerfile_unknown: str = ""  # why the Dockerfile cannot be read ("" = it can)
    context: str | None = None  # as written; None when unknown
    context_unknown: str = ""  # why the context cannot be read ("" = it can)
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)


def build_verb(argv: list[str | None]) -> tuple[Engine, int] | None:
    """The engine and the index of the first option word, when argv runs a build."""
    i = 0
    while i < len(argv) and argv[i] is not None and (argv[i] in WRAPPERS or argv[i].startswith("-")
                                                     or _is_assignment(argv[i])):
        i += 1  # sudo -E, env A=b, DOCKER_BUILDKIT=1
    for verb, engine in BUILD_VERBS.items():
        words = argv[i:i + len(verb)]
        if len(words) == len(verb) and all(w is not None and posixpath.basename(w) == v if k == 0 else w == v
                                           for k, (w, v) in enumerate(zip(words, verb))):
            return engine, i + len(verb)
    return None


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier()


def parse_build(engine: Engine, words: list[str | None], env: dict[str, str] | None = None) -> BuildArgs:
    """Read a build command's options and positional context with the engines' grammar."""
    opts: list[tuple[str, str | None]] = []
    positional: list[str | None] = []
    problem = ""
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w is None:
            problem = problem or "a word the reader cannot expand where an option or the context may be"
            positional.append(None)
            continue
        if w == "--":
            positional.extend(words[i:])
            break
        if not w.startswith("-") or w == "-":
            positional.append(w)
            continue
        parsed, used, bad = _option(w, words, i)
        i += used
        opts.extend(parsed)
        if bad:
            problem = problem or f"unknown option {bad!r}"
    return _assemble(engine, opts, positional, problem, env or {})


def _option(w: str, words: list[str | None], i: int) -> tuple[list[tuple[str, str | None]], int, str]:
    """One option word: (name, value) pairs, how many following words it took, and the
    word if the option is not in the engines' flag sets."""
    if w.startswith("--"):
        name, eq, val = w[2:].partition("=")
        if name in NO_VALUE:
            return [(name, val if eq else None)], 0, ""
        if name not in TAKES_VALUE:
            return [], 0, w
        if eq:
            return [(name, val)], 0, ""
        return ([(name, words[i])], 1, "") if i < len(words) else ([], 0, w)
    out: list[tuple[str, str | None]] = []
    for k, ch in enumerate(w[1:], 1):  # a cluster of short flags: -qt name, -tname
        name = SHORT.get(ch)
        if name is None:
            return out, 0, w
        if name in NO_VALUE:
            out.append((name, None))
            continue
        rest = w[k + 1:].removeprefix("=")
        if rest:
            return out + [(name, rest)], 0, ""
        return (out + [(name, words[i])], 1, "") if i < len(words) else (out, 0, w)
    return out, 0, ""


def _assemble(engine: Engine, opts: list[tuple[str, str | None]], positional: list[str | None],
              problem: str, env: dict[str, str]) -> BuildArgs:
    tags, files, unknown_tags, target, args = [], [], False, None, {}
    for name, val in opts:
        if name == "tag":
            if val is None:
                unknown_tags = True
            else:
                tags.append(val)
        elif name == "file":
            files.append(val)
        elif name == "target":
            target = val
        elif name == "build-arg" and val is not None:
            k, eq, v = val.partition("=")
            if eq:
                args[k] = v
            elif k in env:  # `--build-arg K` passes K from the environment
                args[k] = env[k]
    dockerfile, df_problem = _dockerfile(files)
    context, ctx_problem = _context(engine, positional)
    return BuildArgs(engine, tuple(tags), unknown_tags, dockerfile, df_problem or problem, context,
                     problem or ctx_problem, target, args)


def _dockerfile(files: list[str | None]) -> tuple[str | None, str]:
    if not files:
        return None, ""
    if len(files) > 1:
        return None, "more than one -f"
    f = files[0]
    if f is None:
        return None, "the -f value cannot be expanded"
    if f == "-":
        return None, "the Dockerfile is read from stdin"
    return f, ""


def _context(engine: Engine, positional: list[str | None]) -> tuple[str | None, str]:
    if not positional:
        # podman/buildah build the working directory; docker requires the argument.
        return (".", "") if engine is not Engine.DOCKER else (None, "no context argument")
    if len(positional) > 1:
        return None, f"{len(positional)} positional arguments where one context is expected"
    ctx = positional[0]
    if ctx is None:
        return None, "the context argument cannot be expanded"
    if ctx == "-":
        return None, "the context is read from stdin"
    if "://" in ctx or ctx.startswith("git@") or ctx.endswith(".git") or ctx.startswith("github.com/"):
        return None, f"a remote context {ctx!r}"
    return ctx, ""
