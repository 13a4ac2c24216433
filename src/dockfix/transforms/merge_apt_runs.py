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
from dataclasses import dataclass, field

from dockfix.model.packages import PackageAction, PackageManager, cleans_apt_lists, read_system_packages
from dockfix.model.shell import Command
from dockfix.syntax import Document, Instruction
from dockfix.transforms import _run, _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_LISTS = "/var/lib/apt/lists/*"  # what the merged RUN removes: a RUN must remove exactly that
# A word whose only unknown is a glob (`/var/lib/apt/lists/*`): its text is the pattern.
_PLAIN_PATTERN = re.compile(r"[A-Za-z0-9_./*?-]+")


@dataclass
class _Sequence:
    options: list[str] = field(default_factory=list)  # `DEBIAN_FRONTEND=…` then install options, as written
    packages: list[str] = field(default_factory=list)  # as written
    installs: int = 0
    updated: bool = False
    cleaned: bool = False


def apt_sequence(doc: Document, ins: Instruction) -> tuple[tuple[str, ...], list[str]] | None:
    """(install options, packages) when the RUN is a pure, cleaning apt sequence: a plain
    `a && b` list of `apt-get update`, `apt-get install`, `apt-get clean` and
    `rm -rf /var/lib/apt/lists/*`, as the model reads it."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    script = _run.run_script(doc, ins)
    if script is None or script.and_list is None or script.opaque or script.comment_at_end:
        return None
    seq = _Sequence()
    for c in script.commands:
        if c.redirections or not _step(c, seq):
            return None
    if not (seq.installs and seq.cleaned and seq.updated):
        return None
    return tuple(seq.options), seq.packages


def _step(c: Command, seq: _Sequence) -> bool:
    """Read one command into `seq`; False when it is not one of the sequence's steps."""
    if not c.assignments and _removes_lists_only(c):
        seq.cleaned = True
        return True
    read = read_system_packages(c.args)
    if read is None or read.manager is not PackageManager.APT_GET or not read.exact or read.unknown_options:
        return False
    if read.action is PackageAction.INSTALL:
        return _install(c, len(read.arguments), seq)
    if c.assignments or read.options or read.arguments:
        return False
    if read.action is PackageAction.UPDATE:
        seq.updated = True
    elif read.cleans_cache:
        seq.cleaned = True
    else:
        return False
    return True


def _install(c: Command, n: int, seq: _Sequence) -> bool:
    """`[DEBIAN_FRONTEND=x] apt-get install [options] packages`: options before the packages,
    the same in every install of the sequence (the frontend is part of the install's options)."""
    if any(a.name != "DEBIAN_FRONTEND" for a in c.assignments) or c.argv[1].value != "install" or n == 0:
        return False
    words = c.argv[2:]
    options = [f"{a.name}={a.value.text}" for a in c.assignments]
    options += [w.text for w in words[: len(words) - n]]
    if any(w.value is None or not w.value.startswith("-") for w in words[: len(words) - n]):
        return False  # an option's value word (`-o X`): keep such installs apart
    if seq.installs and options != seq.options:
        return False
    seq.options, seq.installs = options, seq.installs + 1
    seq.packages += [w.text for w in words[len(words) - n:]]
    return True


def _removes_lists_only(c: Command) -> bool:
    words = [w.value if w.value is not None else (w.text if _PLAIN_PATTERN.fullmatch(w.text) else None)
             for w in c.argv]
    if not cleans_apt_lists(words):
        return False
    return all(w == _LISTS for w in words[1:] if not w.startswith("-"))


class MergeAptRuns(DockerfileTransform):
    name = "merge-apt-runs"
    summary = "Merge consecutive apt-get RUN layers into one update/install/clean RUN."
    safety = Safety.SAFE
    answers = "hadolint DL3059 (multiple consecutive RUN instructions)"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        from dockfix.syntax.edit import Editor

        ed = Editor(doc)
        style = None  # read when a group is merged: most files have none
        changed = False
        for stage in doc.stages:
            group: list[tuple[Instruction, tuple, list[str]]] = []
            for ins in doc.stage_instructions(stage)[1:] + [None]:
                seq = apt_sequence(doc, ins) if ins is not None and not ctx.ignored(doc, ins) else None
                seq_start_new = seq is not None and bool(group) and (
                    seq[0] != group[0][1] or ins.flags != group[0][0].flags)
                if seq is None or seq_start_new:
                    if len(group) > 1:
                        style = style or _text.file_style(doc)
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
