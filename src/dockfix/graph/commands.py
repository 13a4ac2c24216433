"""Image mappings from build commands: shell scripts, Makefile recipes, GitHub Actions
workflows (`run:` steps and `docker/build-push-action`), GitLab CI jobs, and
`devcontainer.json` builds.

Where a command runs decides what its relative paths mean: a Makefile recipe runs in the
Makefile's folder, a CI step in the repository root or its `working-directory`, a script
where it is started from, which is known only when it changes to a known directory (or
sits in the repository root). A build whose directory or context cannot be read keeps its
image name and, when exactly one reading names an existing Dockerfile, that Dockerfile;
its context is an explicit `UnknownContext`.
"""

from __future__ import annotations

import json
import posixpath
import re

from dockfix.graph.scripts import ROOT, UNKNOWN_VAR, BuildSite, Call, resolve, shell_builds, shell_calls
from dockfix.graph.sources import ImageMapping, Provenance, _memo, normalise_ref
from dockfix.model.contexts import Engine, UnknownContext
from dockfix.tree import Tree

_WORDS = re.compile(rb"docker|podman|buildah")
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
_JUSTFILES = frozenset({"justfile", ".justfile"})  # in any case: just finds them so


def _kind(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if name in _MAKEFILES or name.endswith(".mk"):
        return "make"
    if name.lower() in _JUSTFILES:
        return "just"
    if name.endswith((".sh", ".bash")):
        return "script"
    if path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
        return "actions"
    if name == ".gitlab-ci.yml":
        return "gitlab"
    if name in (".devcontainer.json", "devcontainer.json") and (
            name == ".devcontainer.json" or "/.devcontainer/" in "/" + path):
        return "devcontainer"
    return None


def from_commands(tree: Tree) -> list[ImageMapping]:
    """Mappings from every build command, named and unnamed (ref "" when no tag can be
    read: its Dockerfile's context is still known)."""
    files = [(p, k) for p in tree.paths() if (k := _kind(p)) is not None]
    found: dict[str, list] = {}
    floating: dict[str, bytes] = {}  # scripts in a folder: where they run is read from their callers
    for path, kind in files:
        data = tree.read(path)
        if kind != "devcontainer" and not _WORDS.search(data):
            continue
        if kind == "script" and posixpath.dirname(path):
            floating[path] = data
            continue
        found[path] = _memo("commands", path, data, lambda: _read(kind, path, data))
    starts = _started_in(tree, files, floating) if floating else {}
    for path, data in floating.items():
        start = starts.get(path)
        key = "commands" if start is None else f"commands@{start[0]}@{start[1]}"
        found[path] = _memo(key, path, data, lambda: _read("script", path, data, start))
    out: list[ImageMapping] = []
    for path, _ in files:
        for group in found.get(path, ()):  # the candidate readings of one build: keep the one whose Dockerfile exists
            out += _pick(tree, group)
    return out


def _started_in(tree: Tree, files: list[tuple[str, str]], floating: dict[str, bytes]) -> dict[str, tuple[str, str]]:
    """For scripts in a folder, the one directory every caller in the repository runs them
    in (`cd x; ../common/run.sh`, `run: ./scripts/build.sh`), with the first caller."""
    names = {p.rsplit("/", 1)[-1].encode() for p in floating}
    seen: dict[str, dict[str, str]] = {}
    for path, kind in files:
        if kind == "devcontainer":
            continue
        data = tree.read(path)
        if not any(n in data for n in names):
            continue
        for call in _memo("calls", path, data, lambda: _read_calls(kind, path, data)):
            if call.script in floating and call.script != path:
                seen.setdefault(call.script, {}).setdefault(call.cwd, f"{path}:{call.line}")
    return {script: next(iter(cwds.items())) for script, cwds in seen.items() if len(cwds) == 1}


def _read_calls(kind: str, path: str, data: bytes) -> list[Call]:
    calls: list[Call] = []

    def shell(text, script_dir, cwd, why="", env=None, line_of=lambda n: n):
        calls.extend(shell_calls(text, script_dir, cwd, line_of))
        return []

    try:
        _sites(kind, path, data.decode("utf-8"), shell)
    except UnicodeDecodeError:
        pass
    return calls


def _pick(tree: Tree, group: list[list[ImageMapping]]) -> list[ImageMapping]:
    hits = [ms for ms in group if ms and tree.exists(ms[0].dockerfile)]
    if len({ms[0].dockerfile for ms in hits}) != 1:
        return []  # none, or two readings naming different Dockerfiles: not guessed
    return hits[0]


def _read(kind: str, path: str, data: bytes,
          start: tuple[str, str] | None = None) -> list[list[list[ImageMapping]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return []
    if kind == "devcontainer":
        return _devcontainer(path, text)
    sites = _sites(kind, path, text, shell_builds, start)
    detail = f"run in {start[0] or '.'} by {start[1]}" if start else ""
    return [_site(path, s, detail) if isinstance(s, BuildSite) else [s] for s in sites if s]


def _sites(kind: str, path: str, text: str, shell, start: tuple[str, str] | None = None) -> list:
    if kind in ("make", "just"):  # imported only then: most repositories have neither
        from dockfix.graph.makefile import justfile_sites, makefile_sites

        return (makefile_sites if kind == "make" else justfile_sites)(path, text, shell)
    if kind == "script":
        here = posixpath.dirname(path)
        if start is not None or not here:
            return shell(text, here, start[0] if start else "", "")
        why = f"{path} does not change to a known directory, and no caller in the repository says where it runs"
        return shell(text, here, None, why)
    if kind == "actions":
        return _actions(path, text, shell)
    return _gitlab(text, shell)


def _site(path: str, site: BuildSite, detail: str = "") -> list[list[ImageMapping]]:
    """The candidate readings of one build command (one per directory it may run in)."""
    b = site.build
    src = Provenance("command", path, site.line, detail)
    where = f"{path}:{site.line}"
    bases, why = _bases(site)
    tags = [t for t in b.tags if "\x00" not in t and "$" not in t]
    out = []
    for base, name in [(base, name) for base in bases for name in _default_names(b)]:
        context, dockerfile = _command_paths(b, base, site.script_dir, name)
        if dockerfile is None:
            continue
        unknown = _unknown(why or b.context_unknown, context, b.context, where)
        out.append([ImageMapping(ref=normalise_ref(t) if t else "", dockerfile=dockerfile,
                                 context=posixpath.dirname(dockerfile) if unknown else context,
                                 target=b.target, args=dict(b.args), raw_ref=t, source=src,
                                 context_unknown=unknown)
                    for t in (tags or [""])])
    return out


def _unknown(why: str, context: str | None, raw: str | None, where: str) -> UnknownContext | None:
    if not why and context is None:
        why = f"the context {raw!r} cannot be resolved"
    return UnknownContext(why, (where,)) if why else None


def _default_names(b) -> tuple[str, ...]:
    """podman and buildah read Containerfile before Dockerfile: both are candidates, and
    `_pick` keeps a reading only when exactly one of them exists."""
    if b.engine is Engine.DOCKER or b.dockerfile is not None:
        return ("Dockerfile",)
    return ("Containerfile", "Dockerfile")


def _bases(site: BuildSite) -> tuple[list[str], str]:
    """The directories a build may run in, and why there is more than one reading."""
    if site.cwd is not None:
        return [site.cwd], ""
    why = f"the directory the command runs in is unknown: {site.cwd_why}"
    if site.script_dir is None:  # a CI step: no folder of its own to try
        return [], why
    # a script started from the repository root or from its own folder
    return list(dict.fromkeys(["", site.script_dir])), why


def _command_paths(b, base: str, script_dir: str | None, name: str) -> tuple[str | None, str | None]:
    """(context, Dockerfile) of a build command run in `base`; None where unreadable.
    `-f` is relative to the working directory, its default `{context}/Dockerfile`."""
    context = resolve(b.context, base, script_dir) if b.context is not None else None
    if b.dockerfile is not None:
        return context, resolve(b.dockerfile, base, script_dir)
    if b.dockerfile_unknown or context is None:
        return context, None
    return context, posixpath.join(context, name) if context else name


# -- CI
_EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)


def _yaml_root(text: str):
    import yaml

    cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=cls)
    except yaml.YAMLError:
        return None


def _get(node, key: str):
    if node is None or not hasattr(node, "value") or not isinstance(node.value, list):
        return None
    for item in node.value:
        if isinstance(item, tuple) and getattr(item[0], "value", None) == key:
            return item[1]
    return None


def _str(node) -> str | None:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value


def _items(node) -> list:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [v for _, v in node.value]
    return []


def _scalar_line(node, k: int) -> int:
    """The source line of line k (1-based) of a scalar's value: exact for `|` blocks."""
    first = node.start_mark.line + 1
    return first + k if node.style == "|" else first


def _workdir(*nodes) -> tuple[str | None, str]:
    """`defaults.run.working-directory` of the job, else of the workflow, else the root."""
    for node in nodes:
        wd = _str(_get(_get(_get(node, "defaults"), "run"), "working-directory"))
        if wd is not None:
            return _ci_path(wd)
    return "", ""


def _ci_path(raw: str) -> tuple[str | None, str]:
    if "${{" in raw:
        return None, f"working-directory {raw!r} is an expression"
    p = resolve(raw, "", None)
    return (p, "") if p is not None else (None, f"working-directory {raw!r} is outside the repository")


def _env(*nodes) -> dict[str, str | None]:
    import yaml

    env: dict[str, str | None] = {}
    for node in nodes:
        found = _get(node, "env")
        for k, v in found.value if isinstance(found, yaml.MappingNode) else []:
            value = _str(v)
            env[str(k.value)] = None if value is None or "${{" in value else value
    return env


def _actions(path: str, text: str, shell) -> list:
    root = _yaml_root(text)
    out: list = []
    for job in _items(_get(root, "jobs")):
        wf_cwd, wf_why = _workdir(job, root)
        for step in _items(_get(job, "steps")):
            uses = _str(_get(step, "uses")) or ""
            if uses.startswith("docker/build-push-action"):
                out.append(_build_push(path, step))
                continue
            run, step_shell = _get(step, "run"), _str(_get(step, "shell")) or "bash"
            if _str(run) is None or step_shell.split()[0] not in ("bash", "sh"):
                continue
            wd_node = _get(step, "working-directory")
            cwd, why = _ci_path(_str(wd_node) or "${{ }}") if wd_node is not None else (wf_cwd, wf_why)
            body = _EXPR.sub(UNKNOWN_VAR, _str(run))
            out += shell(body, None, cwd, why, _env(root, job, step),
                                lambda k, node=run: _scalar_line(node, k))
    return out


def _build_push(path: str, step) -> list[ImageMapping]:
    """`docker/build-push-action`: `context` (default: the Git context, the repository
    root), `file` (default `{context}/Dockerfile`, relative to the workspace), `tags`,
    `target`, `build-args`."""
    with_ = _get(step, "with")
    line = step.start_mark.line + 1
    ctx_node = _get(with_, "context")
    ctx_raw = _str(ctx_node) if ctx_node is None or _str(ctx_node) is not None else "{{ not a string }}"
    context, dockerfile = _action_paths(ctx_raw, _str(_get(with_, "file")))
    if dockerfile is None:
        return []
    unknown = None
    if context is None:
        unknown = UnknownContext(f"build-push-action context {_str(_get(with_, 'context'))!r} cannot be read",
                                 (f"{path}:{line}",))
    tags, args = _action_tags_args(with_)
    target = _str(_get(with_, "target"))
    return [ImageMapping(ref=normalise_ref(t) if t else "", dockerfile=dockerfile,
                         context=context if unknown is None else posixpath.dirname(dockerfile),
                         target=target or None, args=args, raw_ref=t,
                         source=Provenance("command", path, line, "docker/build-push-action"), context_unknown=unknown)
            for t in (tags or [""])]


def _action_tags_args(with_) -> tuple[list[str], dict[str, str]]:
    """The literal `tags` (newline or comma separated) and `build-args` (K=V lines)."""
    tags = [t.strip() for t in re.split(r"[\n,]", _str(_get(with_, "tags")) or "")
            if t.strip() and "${{" not in t and "$" not in t]
    args = {}
    for a in (_str(_get(with_, "build-args")) or "").split("\n"):
        k, eq, v = a.strip().partition("=")
        if eq and "${{" not in v:
            args[k] = v
    return tags, args


def _action_paths(ctx_raw: str | None, file_raw: str | None) -> tuple[str | None, str | None]:
    """(context, Dockerfile) of build-push-action inputs; None where unreadable."""
    context: str | None = ""
    if ctx_raw is not None and ctx_raw.strip():
        context = resolve(ctx_raw.strip(), "", None) if "{{" not in ctx_raw and "://" not in ctx_raw else None
    if file_raw is not None and file_raw.strip():
        return context, resolve(file_raw.strip(), "", None) if "{{" not in file_raw else None
    if context is None:
        return None, None
    return context, posixpath.join(context, "Dockerfile") if context else "Dockerfile"


def _gitlab(text: str, shell) -> list[BuildSite]:
    """GitLab CI: a job's `before_script` and `script` run in one shell in the repository
    root ($CI_PROJECT_DIR)."""
    root = _yaml_root(text)
    out: list[BuildSite] = []
    default_before = _get(_get(root, "default"), "before_script") or _get(root, "before_script")
    import yaml

    for _, job in root.value if isinstance(root, yaml.MappingNode) else []:
        script = _get(job, "script")
        if script is None:
            continue
        parts: list[str] = []
        lines: list[int] = []
        before = _get(job, "before_script") or default_before
        for node in (_items(before) or ([before] if before is not None else [])) + (_items(script) or [script]):
            value = _str(node)
            if value is None:
                continue
            for k, _ in enumerate(value.split("\n"), 1):
                lines.append(_scalar_line(node, k))
            parts.append(_EXPR.sub(UNKNOWN_VAR, value))
        body = "\n".join(parts)
        out += shell(body, None, "", "", _env(root, job),
                            lambda k, ls=lines: ls[k - 1] if 0 < k <= len(ls) else ls[-1])
    return out


# -- devcontainer.json
def _jsonc(text: str) -> str:
    """JSON with comments and trailing commas, as plain JSON of the same length (comments
    become blanks, so offsets and lines stay)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r" \1", "".join(out))


def _devcontainer(path: str, text: str) -> list[list[list[ImageMapping]]]:
    """`build.dockerfile` and `build.context` (default "."), both relative to the folder of
    devcontainer.json; the older top-level `dockerFile`/`context` too."""
    plain = _jsonc(text)
    try:
        data = json.loads(plain)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    build = data.get("build") if isinstance(data.get("build"), dict) else data
    df_raw = build.get("dockerfile") or build.get("dockerFile")
    ctx_raw = build.get("context", ".")
    if not isinstance(df_raw, str) or not isinstance(ctx_raw, str) or "${" in df_raw + ctx_raw:
        return []
    here = posixpath.dirname(path)
    dockerfile, context = resolve(df_raw, here, here), resolve(ctx_raw, here, here)
    if dockerfile is None or context is None:
        return []
    m = re.search(r'"docker[Ff]ile"\s*:', plain)
    line = plain.count("\n", 0, m.start()) + 1 if m else None
    raw_args = build.get("args") if isinstance(build.get("args"), dict) else {}
    args = {str(k): str(v) for k, v in raw_args.items() if "${" not in str(v)}
    target = build.get("target") if isinstance(build.get("target"), str) else None
    return [[[ImageMapping(ref="", dockerfile=dockerfile, context=context, target=target, args=args,
                           source=Provenance("devcontainer", path, line))]]]


__all__ = ["ROOT", "from_commands"]
