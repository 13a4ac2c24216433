"""prune-dockerignore: make every COPY/ADD source available in its build context.

What it does: when a context's `.dockerignore` excludes the whole of a COPY/ADD source (so
the build fails at that step), the pattern that excludes it is removed when it excludes
nothing that no COPY needs, and otherwise narrowed with a `!source` exception right after
it. Comments and every other line stay.

When it must not fire: sources that are partly included (the COPY works; the exclusions are
deliberate), `COPY --from`, heredoc and URL sources, and patterns that are not the ones
deciding the exclusion. It never re-includes more than the blocked sources: in the academy
repo `scripts/` goes, `docs/` and `tests/` stay.

Why it is equivalent: the only files it re-includes are ones a COPY names, and a COPY whose
source is excluded fails the build (measured: it does not copy "nothing"). So every image
that built before builds the same files after; the images that failed at that COPY now
build. The context sent to the builder grows by exactly those files.
"""

from __future__ import annotations

import posixpath

from dockfix.graph.dockerignore import DockerIgnore, Pattern
from dockfix.transforms.base import Context, Safety, Transform


class PruneDockerignore(Transform):
    name = "prune-dockerignore"
    summary = "Remove or narrow .dockerignore patterns that exclude a COPY/ADD source."
    safety = Safety.SAFE
    answers = "the build error \"failed to compute cache key: ... not found\" (COPY of an excluded path)"

    def apply(self, ctx: Context) -> None:
        graph = ctx.graph()
        needs: dict[str, set[str]] = {}  # .dockerignore path -> context-relative files some COPY needs
        blocked: dict[str, list[tuple[str, int, str, list[str]]]] = {}
        contexts: dict[str, str] = {}
        for path in ctx.dockerfiles():
            node = graph.dockerfiles[path]
            if node.dockerignore is None:
                continue
            doc = node.document
            ignore = graph.dockerignore_for(path)
            files = graph.context_files(node.context)
            contexts[node.dockerignore] = node.context
            for ins in doc.instructions:
                if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None or ins.heredocs:
                    continue
                if ctx.ignored(doc, ins):
                    continue
                for src in ins.value[:-1]:
                    if "://" in src or src.startswith("git@") or "$" in src:
                        continue
                    matched = _matches(files, src)
                    needs.setdefault(node.dockerignore, set()).update(matched)
                    if matched and all(ignore.excludes(f) for f in matched):
                        blocked.setdefault(node.dockerignore, []).append((path, ins.start_line, src, matched))
        for ign_path, items in sorted(blocked.items()):
            self._prune(ctx, ign_path, contexts[ign_path], items, needs[ign_path], graph)

    def _prune(self, ctx, ign_path: str, context: str, items, needed: set[str], graph) -> None:
        data = ctx.tree.read(ign_path)
        ignore = DockerIgnore.parse(data)
        files = graph.context_files(context)
        remove: set[int] = set()
        exceptions: dict[int, list[str]] = {}
        for path, line, src, matched in items:
            deciders: dict[int, Pattern] = {}
            for f in matched:
                p = ignore.deciding_pattern(f)
                if p is not None and not p.negated:
                    deciders[p.line] = p
            for p in deciders.values():
                excluded_by_p = {f for f in files if ignore.deciding_pattern(f) is p}
                if excluded_by_p <= needed:
                    remove.add(p.line)
                    ctx.note("info", ign_path, p.line,
                             f"removed `{p.text}`: it only excluded what {path}:{line} copies ({src})")
                else:
                    norm = posixpath.normpath(src.lstrip("/"))
                    exceptions.setdefault(p.line, []).append("!" + norm)
                    ctx.note("info", ign_path, p.line,
                             f"narrowed `{p.text}` with `!{norm}`: {path}:{line} copies it")
        lines = data.split(b"\n")
        eol = b"\r\n" if data.count(b"\r\n") * 2 > data.count(b"\n") else b"\n"
        out: list[bytes] = []
        for n, raw in enumerate(lines, 1):
            if n in remove:
                continue
            out.append(raw)
            for exc in dict.fromkeys(exceptions.get(n, [])):
                out.append(exc.encode() + (b"\r" if eol == b"\r\n" else b""))
        new = b"\n".join(out)
        # Check the result: every blocked source is now available.
        check = DockerIgnore.parse(new)
        for path, line, src, matched in items:
            if all(check.excludes(f) for f in matched):
                ctx.skip(ign_path, None, f"could not make {src} available for {path}:{line}")
                return
        ctx.write(ign_path, new)


def _matches(files: list[str], src: str) -> list[str]:
    s = posixpath.normpath(src.lstrip("/"))
    if s in ("", "."):
        return list(files)
    if any(c in s for c in "*?["):
        import fnmatch

        depth = s.count("/")
        return [f for f in files if fnmatch.fnmatchcase("/".join(f.split("/")[: depth + 1]), s)]
    return [f for f in files if f == s or f.startswith(s + "/")]
