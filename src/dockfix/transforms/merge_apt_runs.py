"""merge-apt-runs: consecutive apt-get RUNs become one
`apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`.

What it does: within a stage, adjacent RUNs (comments and blank lines between are fine)
that are each a pure apt sequence (`apt-get update`, `apt-get install [opts] pkgs…`,
`rm -rf /var/lib/apt/lists/*`, `apt-get clean`) are merged into one RUN that installs the
union of their packages, in order, once each, with the same install options, written one
package per line in the file's continuation style. Comments move above the merged RUN.

When it must not fire: a RUN with anything else (`add-apt-repository`, curl, `;`, pipes…)
breaks the sequence; RUNs with different install options or RUN flags, heredoc or
exec-form RUNs, and any instruction between them (ENV, USER, COPY, …) keep them apart;
a RUN that does not clean the apt lists is not merged (the merged RUN would clean them).

Why it is equivalent: apt installs the same package set from the same index (every merged
RUN started with its own `apt-get update`, the merged one updates once, before installing
all of them), in one layer instead of several; the lists are removed at the end as each
RUN removed them. Package order inside one `apt-get install` does not change what is
installed.
"""

from __future__ import annotations

import re

from dockfix.syntax import Document, Instruction
from dockfix.transforms import _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_FRONTEND = re.compile(r"^DEBIAN_FRONTEND=\S+\s+")
_CLEAN = re.compile(r"^rm\s+-r?f?r?\s+/var/lib/apt/lists/\*?$|^apt-get\s+clean$")


def apt_sequence(ins: Instruction) -> tuple[tuple[str, ...], list[str]] | None:
    """(install options, packages) when the RUN is a pure, cleaning apt sequence."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    cmds = _text.split_and_chain(ins.value[0])
    if not cmds:
        return None
    opts: tuple[str, ...] | None = None
    pkgs: list[str] = []
    cleaned = updated = False
    opts_prefix: list[str] = []
    for c in cmds:
        if c.strip().startswith("DEBIAN_FRONTEND=") and "install" in c:
            # the install's environment is part of the install: keep it in the options
            frontend = c.strip().split()[0]
            opts_prefix.append(frontend)
        c = _FRONTEND.sub("", c.strip())
        words = _text.words(c)
        if not words:
            return None
        if words[:2] == ["apt-get", "update"] and len(words) == 2:
            updated = True
        elif words[:2] == ["apt-get", "install"]:
            o = tuple(w for w in words[2:] if w.startswith("-"))
            if opts is not None and o != opts:
                return None
            opts = o
            pkgs += [w for w in words[2:] if not w.startswith("-")]
        elif _CLEAN.match(" ".join(words)):
            cleaned = True
        else:
            return None
    if opts is None or not (cleaned and updated):
        return None
    return tuple(opts_prefix) + opts, pkgs


class MergeAptRuns(DockerfileTransform):
    name = "merge-apt-runs"
    summary = "Merge consecutive apt-get RUN layers into one update/install/clean RUN."
    safety = Safety.SAFE
    answers = "hadolint DL3059 (multiple consecutive RUN instructions)"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        from dockfix.syntax.edit import Editor

        ed = Editor(doc)
        style = _text.file_style(doc)
        changed = False
        for stage in doc.stages:
            group: list[tuple[Instruction, tuple, list[str]]] = []
            for ins in doc.stage_instructions(stage)[1:] + [None]:
                seq = apt_sequence(ins) if ins is not None and not ctx.ignored(doc, ins) else None
                if seq is not None and group and (seq[0] != group[0][1] or ins.flags != group[0][0].flags):
                    seq_start_new = True
                else:
                    seq_start_new = False
                if seq is None or seq_start_new:
                    if len(group) > 1:
                        self._merge(ed, doc, group, style)
                        changed = True
                    group = [(ins, *seq)] if seq is not None else []
                    continue
                group.append((ins, *seq))
        return ed.apply() if changed else None

    def _merge(self, ed, doc: Document, group, style: _text.Style) -> None:
        first, opts, _ = group[0]
        last = group[-1][0]
        pkgs = list(dict.fromkeys(p for _, _, ps in group for p in ps))
        esc, ind = style.escape, style.indent
        flags = "".join(f + " " for f in first.flags)
        env = " ".join(o for o in opts if o.startswith("DEBIAN_FRONTEND="))
        options = " ".join(o for o in opts if not o.startswith("DEBIAN_FRONTEND="))
        install = f"{env} apt-get install {options}".strip()
        lines = [f"RUN {flags}apt-get update && {install} {esc}".replace("  ", " ")]
        lines += [f"{ind}{p} {esc}" for p in pkgs]
        lines.append(f"{ind}&& rm -rf /var/lib/apt/lists/*")
        members = {n for ins, _, _ in group for n in range(ins.start_line, ins.end_line + 1)}
        comments = "".join(doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n") + "\n"
                           for n in range(first.end_line + 1, last.end_line)
                           if n not in members and doc.line_bytes(n).strip())
        text = ed.encode(comments + "\n".join(lines), ed.eol_for(last)) + doc.eol_of_line(last.end_line)
        ed.replace_span(first.start, last.end, text)
