"""Where image names come from. Each reader returns ImageMappings with provenance;
the graph takes the first mapping of each image in this order: config, compose, bake,
build command lines (Makefiles, shell scripts, CI workflows), then the name heuristic."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from dockfix.config import Config
from dockfix.memo import Memo
from dockfix.syntax import shellwords
from dockfix.tree import Tree


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
    for path in tree.paths():
        if COMPOSE_NAMES.search(path):
            data = tree.read(path)
            out += _memo("compose", path, data, lambda: _compose_file(path, data))
    return out


def _compose_file(path: str, raw: bytes) -> list[ImageMapping]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
    out: list[ImageMapping] = []
    try:
        text = raw.decode("utf-8")
        data = yaml.load(text, Loader=loader)
    except (UnicodeDecodeError, yaml.YAMLError):
        return out
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return out
    base = posixpath.dirname(path)
    for service, spec in data["services"].items():
        if not isinstance(spec, dict) or "build" not in spec:
            continue
        build = spec["build"]
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            continue
        context = _join(base, str(build.get("context", ".")))
        dockerfile = _join(context, str(build.get("dockerfile", "Dockerfile")))
        args = build.get("args") or {}
        if isinstance(args, list):
            args = dict(a.split("=", 1) if "=" in a else (a, "") for a in args if isinstance(a, str))
        image = spec.get("image") or f"{posixpath.basename(base) or 'root'}-{service}"
        line = _line_of(text, f"{service}:")
        out.append(ImageMapping(ref=normalise_ref(str(image)), dockerfile=dockerfile, context=context,
                                target=build.get("target"),
                                args={str(k): "" if v is None else str(v) for k, v in dict(args).items()},
                                raw_ref=str(image), source=Provenance("compose", path, line)))
    return out


# -- 3. bake
_HCL_TARGET = re.compile(r'^\s*target\s+"([^"]+)"\s*\{', re.M)


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
        targets = _bake_json(text) if name.endswith(".json") else _bake_hcl(text)
        base = posixpath.dirname(path)
        for tname, spec, line in targets:
            context = _join(base, spec.get("context", "."))
            dockerfile = _join(context, spec.get("dockerfile", "Dockerfile"))
            for tag in spec.get("tags") or [tname]:
                out.append(ImageMapping(ref=normalise_ref(tag), dockerfile=dockerfile, context=context,
                                        target=spec.get("target"), args=dict(spec.get("args") or {}),
                                        raw_ref=tag, source=Provenance("bake", path, line)))
    return out


def _bake_json(text: str) -> list[tuple[str, dict, int | None]]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    targets = data.get("target") if isinstance(data, dict) else None
    if not isinstance(targets, dict):
        return []
    return [(k, v, _line_of(text, f'"{k}"')) for k, v in targets.items() if isinstance(v, dict)]


def _bake_hcl(text: str) -> list[tuple[str, dict, int | None]]:
    """A reader for the HCL that bake files use for targets: string attributes, lists of
    strings and `args = { K = "v" }` maps. Variables, functions and `inherits` are not
    evaluated (an attribute using them is left out)."""
    out = []
    for m in _HCL_TARGET.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[m.end(): i - 1]
        spec: dict = {}
        for km in re.finditer(r'^\s*(\w+)\s*=\s*"([^"$]*)"\s*$', body, re.M):
            spec[km.group(1)] = km.group(2)
        for km in re.finditer(r"^\s*(\w+)\s*=\s*\[([^\]]*)\]", body, re.M):
            items = re.findall(r'"([^"$]*)"', km.group(2))
            spec[km.group(1)] = items
        am = re.search(r"^\s*args\s*=\s*\{([^}]*)\}", body, re.M)
        if am:
            spec["args"] = {k: v for k, v in re.findall(r'"?(\w+)"?\s*=\s*"([^"$]*)"', am.group(1))}
        out.append((m.group(1), spec, text.count("\n", 0, m.start()) + 1))
    return out


# -- 4. build command lines
_BUILD_CMD = re.compile(r"\b(docker\s+(?:buildx\s+)?build|podman\s+build|buildah\s+(?:bud|build))\b")


def _is_script(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (name in ("Makefile", "makefile", "GNUmakefile", ".gitlab-ci.yml") or name.endswith((".mk", ".sh", ".bash"))
            or (path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml"))))


def from_commands(tree: Tree) -> list[ImageMapping]:
    out = []
    for path in tree.paths():
        if _is_script(path):
            data = tree.read(path)
            found = _memo("commands", path, data, lambda: _command_lines(path, data))
            # Which candidate folder is right depends on the tree: the first whose -f exists.
            seen: set[tuple] = set()
            for m in found:
                key = (m.source.line, m.ref)
                if key not in seen and tree.exists(m.dockerfile):
                    seen.add(key)
                    out.append(m)
    return out


def _command_lines(path: str, raw: bytes) -> list[ImageMapping]:
    out: list[ImageMapping] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return out
    if not _BUILD_CMD.search(text):
        return out
    # Join `\` continuations, remembering each logical line's first physical line.
    logical: list[tuple[int, str]] = []
    buf, start = "", 1
    for n, line in enumerate(text.split("\n"), 1):
        if not buf:
            start = n
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        logical.append((start, buf + line))
        buf = ""
    for lineno, line in logical:
        for m in _BUILD_CMD.finditer(line):
            segment = re.split(r"\s(?:&&|\|\||;|\|)\s", line[m.end():])[0]
            out.extend(_parse_build_args(segment, path, lineno))
    return out


def _parse_build_args(segment: str, script: str, line: int) -> list[ImageMapping]:
    """Mappings for one build command; for relative paths, one candidate per folder the
    script may run from (the repository root first, then its own folder)."""
    try:
        words = shellwords.split(segment, comments=True)
    except ValueError:
        return []
    tags: list[str] = []
    dockerfile = None
    target = None
    args: dict[str, str] = {}
    positional: list[str] = []
    takes_value = {"-f", "--file", "-t", "--tag", "--build-arg", "--target", "--platform", "--progress",
                   "--cache-from", "--cache-to", "--output", "-o", "--label", "--network", "--secret",
                   "--ssh", "--iidfile", "--metadata-file", "--builder", "--isolation", "--format"}
    i = 0
    while i < len(words):
        w = words[i]
        key, eq, val = w.partition("=")
        if w.startswith("-") and not eq and w in takes_value and i + 1 < len(words):
            key, val = w, words[i + 1]
            i += 1
        if key in ("-f", "--file"):
            dockerfile = val
        elif key in ("-t", "--tag"):
            tags.append(val)
        elif key == "--target":
            target = val
        elif key == "--build-arg":
            k, _, v = val.partition("=")
            args[k] = v
        elif not w.startswith("-"):
            positional.append(w)
        i += 1
    context_raw = positional[0] if positional else "."
    here = posixpath.dirname(script)
    out = []
    for base in ([""] if not here else ["", here]):
        context = _join(base, context_raw)
        df = _join(base, dockerfile) if dockerfile else _join(context, "Dockerfile")
        out += [ImageMapping(ref=normalise_ref(t), dockerfile=df, context=context, target=target, args=args,
                             raw_ref=t, source=Provenance("command", script, line))
                for t in tags if "$" not in t]
    return out


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
