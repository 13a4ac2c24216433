"""Where image names come from. Each reader returns ImageMappings with provenance;
the graph takes the first mapping of each image in this order: config, compose, bake,
build command lines (Makefiles, shell scripts, CI workflows), then the name heuristic."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockfix.config import Config
from dockfix.memo import Memo
from dockfix.model.contexts import UnknownContext
from dockfix.tree import Tree

if TYPE_CHECKING:
    from dockfix.graph.bake import BakeTarget


@dataclass(frozen=True)
class Provenance:
    kind: str  # config | compose | bake | command | inferred
    path: str | None = None
    line: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else (self.path or "")
        if self.kind == "inferred":
            return f"inferred: {self.detail}" + (f" ({where})" if where else "")
        return f"{self.kind} {where}".strip()


@dataclass(frozen=True)
class ImageMapping:
    ref: str  # normalised: name:tag
    dockerfile: str  # repo-relative path
    context: str  # repo-relative directory ("" is the root)
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    source: Provenance = Provenance("inferred")
    raw_ref: str = ""
    # Set when the build context cannot be read (`context` then holds no reading of it).
    context_unknown: UnknownContext | None = None

    def __hash__(self) -> int:
        return hash((self.ref, self.dockerfile, self.context, self.target))


def normalise_ref(ref: str) -> str:
    """`academy-base` == `academy-base:latest` == `docker.io/library/academy-base:latest`."""
    ref = ref.strip()
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    if "@" in ref:
        return ref
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        ref += ":latest"
    return ref


def _join(*parts: str) -> str:
    p = posixpath.normpath(posixpath.join(*[x for x in parts if x]))
    return "" if p == "." else p


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    i = text.find(needle, start)
    return None if i < 0 else text.count("\n", 0, i) + 1


# -- 1. config
def from_config(config: Config) -> list[ImageMapping]:
    return [ImageMapping(ref=normalise_ref(i.ref), dockerfile=_join(i.dockerfile), context=_join(i.context),
                         target=i.target, args=dict(i.args), raw_ref=i.ref,
                         source=Provenance("config", config.source, i.line))
            for i in config.images]


# -- 2. compose
COMPOSE_NAMES = re.compile(r"(^|/)(docker-)?compose(\.[\w.-]+)?\.ya?ml$")


_MEMO: Memo = Memo(20_000)  # (kind, path, bytes) -> [ImageMapping]


def _memo(kind: str, path: str, data: bytes, read) -> list[ImageMapping]:
    """A source file's mappings depend only on its path and bytes."""
    key = (kind, path, data)
    found = _MEMO.get(key)
    return _MEMO.put(key, read()) if found is None else found


def memo_entries() -> dict[tuple[str, str, bytes], list[ImageMapping]]:
    """The memo itself, to read (a process that made an index elsewhere adds them here)."""
    return _MEMO


def memo_add(entries: dict[tuple[str, str, bytes], list[ImageMapping]]) -> None:
    _MEMO.update(entries)


def from_compose(tree: Tree) -> list[ImageMapping]:
    out = []
    # The project directory of a compose file at the root is the repository's own folder.
    root_name = posixpath.basename(str(tree.root).rstrip("/"))
    for path in tree.paths():
        if COMPOSE_NAMES.search(path):
            data = tree.read(path)
            env_path = posixpath.join(posixpath.dirname(path), ".env")
            env = tree.read(env_path) if tree.exists(env_path) else b""
            key = data + b"\0" + env + (b"\0" + root_name.encode("utf-8", "surrogateescape")
                                        if not posixpath.dirname(path) else b"")
            out += _memo("compose", path, key, lambda: _compose_file(path, data, env, root_name))
    return out


def compose_project_name(raw: str) -> str:
    """compose-go's `NormalizeProjectName`: lowercase, keep `[a-z0-9_-]`, drop leading `_`
    and `-` ("" when nothing is left)."""
    return "".join(re.findall(r"[a-z0-9_-]", raw.lower())).lstrip("_-")


# A repository path as the distribution reference grammar allows it (reference/regexp.go):
# lowercase components of alphanumerics joined by `.`, `_`, `__` or dashes.
_REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")


def compose_image_name(project: str, service: str) -> str | None:
    """The image `docker compose build` tags a service without `image:` (compose v2's
    `GetImageNameOrDefault`: `<project>-<service>`); None when that is no valid reference
    (compose would fail to tag it: never invented)."""
    name = f"{project}-{service}"
    return name if project and _REPOSITORY.fullmatch(name) else None


def read_dotenv(raw: bytes) -> dict[str, str]:
    """A compose `.env` file: KEY=VALUE lines, `export` allowed, quotes removed, comments."""
    out: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.removeprefix("export ").partition("=")
        if not eq:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key.strip()] = value
    return out


_COMPOSE_VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}"
                          r"|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(text: str, env: dict[str, str]) -> str | None:
    """Compose interpolation (compose spec, "Interpolation"): `$$`, `$V`, `${V}`, `${V:-d}`,
    `${V-d}`, `${V:?e}`, `${V?e}`, `${V:+a}`, `${V+a}`, with the values of the project's
    `.env`. A variable `.env` does not set is unknown (the shell's environment decides),
    unless a default says what compose uses without it."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        if m.group(0) == "$$":
            return "$"
        name, op, word = m.group(1) or m.group(4), m.group(2), m.group(3) or ""
        val = env.get(name)
        if op in (":-", "-") and (val is None or (op == ":-" and val == "")):
            return interpolate(word, env) or ""
        if op in (":+", "+"):
            return (interpolate(word, env) or "") if val not in (None, "") or (op == "+" and val is not None) else ""
        if val is None:
            unknown = True
            return ""
        return val

    out = _COMPOSE_VAR.sub(sub, text)
    return None if unknown else out


def _compose_nodes(text: str):
    """(data, {service: key line}) from one YAML parse: the lines come from the loader's
    nodes, not from searching the text."""
    import yaml

    cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
    loader = cls(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == "services" and isinstance(v, yaml.MappingNode):
                lines = {sk.value: sk.start_mark.line + 1 for sk, _ in v.value}
    return data, lines


def _compose_file(path: str, raw: bytes, env_raw: bytes = b"", root_name: str = "") -> list[ImageMapping]:
    import yaml

    out: list[ImageMapping] = []
    try:
        data, lines = _compose_nodes(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return out
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return out
    env = read_dotenv(env_raw)
    base = posixpath.dirname(path)
    project = _compose_project(data, env, posixpath.basename(base) if base else root_name)
    for service, spec in data["services"].items():
        if isinstance(spec, dict) and "build" in spec:
            m = _compose_service(path, base, str(service), spec, env, lines.get(str(service)), project)
            if m is not None:
                out.append(m)
    return out


def _compose_project(data: dict, env: dict[str, str], folder: str) -> str | None:
    """The project name compose uses without `-p`: the file's top-level `name:`, else
    `COMPOSE_PROJECT_NAME` from `.env`, else the compose file's folder; normalised. None
    when `name:` cannot be read (a variable `.env` does not set)."""
    if data.get("name") is not None:
        named = interpolate(str(data["name"]), env)
        return None if named is None else compose_project_name(named)
    return compose_project_name(env.get("COMPOSE_PROJECT_NAME") or folder)


def _compose_args(args: dict | list, env: dict[str, str]) -> dict[str, str]:
    """Build args whose values can be read (`- KEY` takes KEY from the environment:
    unknown unless `.env` sets it)."""
    if isinstance(args, list):
        args = dict(a.split("=", 1) if "=" in a else (a, None) for a in args if isinstance(a, str))
    if not isinstance(args, dict):
        return {}
    out = {}
    for k, v in args.items():
        value = env.get(str(k)) if v is None else interpolate(str(v), env)
        if value is not None:
            out[str(k)] = value
    return out


def _compose_paths(base: str, build: dict, env: dict[str, str]) -> tuple[str, str] | None:
    """(context, Dockerfile), relative to the compose file's folder; None when unreadable."""
    ctx_raw = interpolate(str(build.get("context", ".")), env)
    df_raw = interpolate(str(build.get("dockerfile", "Dockerfile")), env)
    if ctx_raw is None or df_raw is None or "://" in ctx_raw or ctx_raw.startswith("git@"):
        return None
    context = _join(base, ctx_raw)
    dockerfile = _join(context, df_raw)
    if context.startswith("..") or dockerfile.startswith(".."):
        return None
    return context, dockerfile


def _compose_service(path: str, base: str, service: str, spec: dict, env: dict[str, str],
                     line: int | None, project: str | None) -> ImageMapping | None:
    build = spec["build"]
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict) or "dockerfile_inline" in build:
        return None
    paths = _compose_paths(base, build, env)
    if paths is None:
        return None  # neither the Dockerfile nor the context can be read
    context, dockerfile = paths
    known_args = _compose_args(build.get("args") or {}, env)
    if spec.get("image"):
        image = interpolate(str(spec["image"]), env)
    else:
        image = compose_image_name(project, service) if project is not None else None
    target = interpolate(str(build["target"]), env) if build.get("target") else None
    return ImageMapping(ref=normalise_ref(image) if image else "", dockerfile=dockerfile, context=context,
                        target=target, args=known_args, raw_ref=image or "",
                        source=Provenance("compose", path, line))


# -- 3. bake
def from_bake(tree: Tree) -> list[ImageMapping]:
    out = []
    for path in tree.paths():
        name = path.rsplit("/", 1)[-1]
        if name not in ("docker-bake.hcl", "docker-bake.json", "docker-bake.override.hcl"):
            continue
        try:
            text = tree.read(path).decode("utf-8")
        except UnicodeDecodeError:
            continue
        base = posixpath.dirname(path)
        from dockfix.graph.bake import bake_targets  # only here: most repositories have no bake file

        for t in bake_targets(text, name.endswith(".json")):
            out.extend(_bake_mappings(path, base, t))
    return out


def _bake_mappings(path: str, base: str, t: BakeTarget) -> list[ImageMapping]:
    context, dockerfile, target = (t.spec.get(k, d) for k, d in (("context", "."), ("dockerfile", "Dockerfile"),
                                                                 ("target", None)))
    if not isinstance(context, str) or not isinstance(dockerfile, str) or not isinstance(target, (str, type(None))):
        return []  # which Dockerfile, or which part of it, cannot be read: no mapping, not a guess
    context = _join(base, context)
    dockerfile = _join(context, dockerfile)
    tags = t.spec.get("tags")
    args = t.spec.get("args")
    # A matrix target whose name is computed and that has no tags: an unnamed build.
    return [ImageMapping(ref=normalise_ref(tag) if tag else "", dockerfile=dockerfile, context=context,
                         target=target,
                         args=dict(args) if isinstance(args, dict) else {},
                         raw_ref=tag, source=Provenance("bake", path, t.line))
            for tag in (tags if isinstance(tags, list) and tags else [t.name or ""])]


# -- 4. build command lines: see dockfix.graph.commands


# -- 5. the name heuristic
def infer_base(ref: str, dockerfiles: list[str], referrer: str) -> ImageMapping | None:
    """`academy-base:latest` with no mapping ↔ a `Dockerfile.base` (or `base.Dockerfile`,
    `base/Dockerfile`) nearest to the Dockerfile that uses it."""
    name = ref.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    if not re.search(r"(^|[-_.])base$", name):
        return None
    wanted = ("dockerfile.base", "base.dockerfile", "base/dockerfile")
    hits = [d for d in dockerfiles if any(d.lower().endswith(w) and (len(d) == len(w) or d[-len(w) - 1] == "/")
                                          for w in wanted)]
    if not hits:
        return None
    here = posixpath.dirname(referrer)

    def distance(d: str) -> tuple[int, str]:
        common = posixpath.commonpath([here, posixpath.dirname(d)]) if here else ""
        return (here.count("/") + d.count("/") - 2 * (common.count("/") + (1 if common else 0)), d)

    best = min(hits, key=distance)
    return ImageMapping(ref=ref, dockerfile=best, context="", raw_ref=ref,
                        source=Provenance("inferred", best, None, f"name heuristic: {name} ↔ {best.rsplit('/', 1)[-1]}"))
