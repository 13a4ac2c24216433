"""merge-apt-runs: consecutive apt-get RUNs become one
`apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`.

What it does: within a stage, RUNs that follow each other with only comments and blank
lines between, each a pure apt sequence — `apt-get update`, then `apt-get install
[options] packages…` (one or more), then clean-ups (`rm -rf /var/lib/apt/lists/*`,
`apt-get clean`), nothing else — become one RUN that updates once, installs the union of
the packages in first-seen order (each once) with the same options, and ends with the last
RUN's clean-up. It is written in the layout the file already uses for apt package lists
(one package per line, indents, `&&` placement, taken from an apt RUN of the file);
comments move above it.

When it must not fire: a RUN with anything else (`add-apt-repository`, curl, `;`, pipes,
`apt-get upgrade`, a package removal `pkg-`) breaks the sequence; RUNs whose install
options (`DEBIAN_FRONTEND=` prefix included), `apt-get update` or flags differ are not
merged, nor a later RUN that does not repeat an earlier one's `apt-get clean`, nor a RUN
after one that installs a package reconfiguring apt (a keyring, `apt-*`, `dpkg*`): each
reported as a skip; neither are RUNs with a tmpfs mount, heredoc or exec-form RUNs,
anything across an instruction (ENV, ARG, USER, WORKDIR, COPY, SHELL, a stage boundary),
under a non-POSIX SHELL, or a RUN marked `# dockfix: ignore[merge-apt-runs]`.

Why it is equivalent: the merged RUNs ran as the same user with the same environment and
sources, each refreshing the index first; the merged RUN installs the same packages from
one refresh, which apt resolves to the same candidates, and ends with the last RUN's
clean-up, which (by the rule above) cleans at least what every earlier one did: the
installed package set and the final file system are the same, in one layer. Caveat (see
the README): apt resolves the union at once, so packages that conflict with each other
make the merged RUN fail instead of silently differing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

# apt-get options that take a value as the next word.
_VALUED = frozenset({"-o", "--option", "-t", "--target-release", "--default-release", "-c", "--config-file"})
# What a clean-up may remove: apt's own lists and download cache.
_APT_PATHS = frozenset({"/var/lib/apt/lists/*", "/var/lib/apt/lists", "/var/lib/apt/lists/",
                        "/var/cache/apt/*", "/var/cache/apt/archives/*", "/var/cache/apt/archives/*.deb",
                        "/var/cache/apt/*.bin"})
_RM_FLAGS = re.compile(r"^-(?:[rRf]+)$|^--(?:recursive|force)$")
# Packages that change what a later `apt-get update`/`install` does (sources, keys, apt and
# dpkg configuration or hooks): a RUN installing one ends a merge group.
_RECONFIGURES = re.compile(r"keyring|^apt$|^apt-|^dpkg|^debconf|^debsig|^localepurge$|^usrmerge$")


def package_name(value: str) -> str:
    """`libpq5=15.6`, `curl/bookworm-backports`, `gcc:arm64` -> the bare name."""
    return re.split(r"[=/:]", value, maxsplit=1)[0].lower()


@dataclass(frozen=True)
class AptRun:
    """A pure apt RUN, read."""

    update: str  # the `apt-get update` command as written
    install_head: str  # the install command as written, packages left out
    options: tuple[str, ...]  # install options (and the install's variable prefix), sorted
    packages: tuple[_text.Word, ...]
    cleanup: tuple[str, ...]  # clean-up commands as written

    @property
    def update_key(self) -> str:
        return " ".join(self.update.split())

    @property
    def cleanup_key(self) -> tuple[str, ...]:
        return tuple(" ".join(c.split()) for c in self.cleanup)

    @property
    def cache_cleanup(self) -> frozenset[str]:
        """The clean-ups that empty apt's download cache (/var/cache/apt)."""
        return frozenset(c for c in self.cleanup_key if c == "apt-get clean" or "/var/cache/apt" in c)


def _apt_get(cmd: _text.Command) -> tuple[str | None, list[_text.Word], list[_text.Word]]:
    """(subcommand, options, operands) of an `apt-get` command; (None, …) for others."""
    if any(not re.match(r"^DEBIAN_FRONTEND=", a.raw) for a in cmd.assignments):
        return None, [], []
    argv = list(cmd.argv)
    if not argv or argv[0].value not in ("apt-get", "/usr/bin/apt-get") or not argv[0].literal:
        return None, [], []
    sub = None
    opts: list[_text.Word] = []
    operands: list[_text.Word] = []
    i = 1
    while i < len(argv):
        w = argv[i]
        if w.value.startswith("-"):
            opts.append(w)
            if w.value in _VALUED and i + 1 < len(argv):
                opts.append(argv[i + 1])
                i += 1
        elif sub is None:
            sub = w.value
        else:
            operands.append(w)
        i += 1
    return sub, opts, operands


def apt_run(ins: Instruction) -> AptRun | None:
    """The RUN read as `apt-get update && apt-get install … [&& clean-up]`, or None."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    cmds = _text.split_commands(ins.value[0])
    if not cmds or len(cmds) < 2:
        return None
    sub, opts, operands = _apt_get(cmds[0])
    if sub != "update" or operands:
        return None
    update = cmds[0].text
    i = 1
    head: str | None = None
    options: tuple[str, ...] | None = None
    packages: list[_text.Word] = []
    while i < len(cmds):
        sub, opts, operands = _apt_get(cmds[i])
        if sub != "install":
            break
        key = tuple(sorted([a.value for a in cmds[i].assignments] + [o.value for o in opts]))
        if options is not None and key != options:
            return None
        if not operands or any(p.value.endswith(("-", "+")) or not p.value for p in operands):
            return None  # `pkg-` removes a package: order would matter
        options = key
        if head is None:
            pkg_ids = {id(p) for p in operands}
            head = " ".join(w.raw for w in cmds[i].words if id(w) not in pkg_ids)
        packages += operands
        i += 1
    if head is None or options is None:
        return None
    cleanup = [c for c in cmds[i:]]
    if not all(_is_cleanup(c) for c in cleanup):
        return None
    return AptRun(update, head, options, tuple(packages), tuple(c.text for c in cleanup))


def _is_cleanup(cmd: _text.Command) -> bool:
    if cmd.assignments:
        return False
    v = cmd.values
    if v == ["apt-get", "clean"]:
        return True
    if not v or v[0] != "rm":
        return False
    flags = [a for a in v[1:] if a.startswith("-")]
    paths = [w.raw for w in cmd.argv[1:] if not w.value.startswith("-")]
    return bool(paths) and all(_RM_FLAGS.match(f) for f in flags) and all(p in _APT_PATHS for p in paths)


@dataclass(frozen=True)
class AptLayout:
    """How the file writes an apt RUN over several lines."""

    joined_head: bool  # `apt-get update && apt-get install … \` on the first line
    package_indent: str
    command_indent: str
    leading_and: bool


def apt_layout(doc: Document, preferred: list[Instruction], style: _text.Style) -> AptLayout:
    """The layout of the first apt RUN written one package per line: among `preferred`,
    then anywhere in the file; the file's continuation style when there is none."""
    seen = set()
    for ins in preferred + doc.instructions:
        if ins.index in seen:
            continue
        seen.add(ins.index)
        run = apt_run(ins)
        if run is None or ins.start_line == ins.end_line:
            continue
        layout = _layout_of(doc, ins, run)
        if layout is not None:
            return layout
    ind = style.command_indent
    return AptLayout(True, style.indent, ind, style.leading_and)


def _layout_of(doc: Document, ins: Instruction, run: AptRun) -> AptLayout | None:
    esc = doc.escape
    pkgs = {p.raw for p in run.packages}
    lines = []
    for n in range(ins.start_line, ins.end_line + 1):
        raw = doc.line_bytes(n).decode("utf-8", "surrogateescape").rstrip("\r\n").rstrip(" \t")
        if raw.endswith(esc):
            raw = raw[:-1].rstrip(" \t")
        body = raw.lstrip(" \t")
        if n > ins.start_line and (not body or body.startswith("#")):
            continue
        lines.append((raw[: len(raw) - len(body)], body))
    if len(lines) < 2:
        return None
    first = lines[0][1]
    joined = "install" in first
    package_indent = command_indent = None
    leading = trailing = False
    package_lines = 0
    for indent, body in lines[1:]:
        if body.startswith("&&"):
            leading = True
            command_indent = command_indent if command_indent is not None else indent
            continue
        words = body[:-2].split() if body.endswith("&&") else body.split()
        if body.endswith("&&"):
            trailing = True
        if words and all(w in pkgs for w in words):
            if len(words) > 1:
                return None  # several packages a line: not the one-per-line layout
            package_lines += 1
            package_indent = package_indent if package_indent is not None else indent
        else:
            command_indent = command_indent if command_indent is not None else indent
    if not package_lines or package_indent is None:
        return None
    if first.endswith("&&"):
        trailing = True
    return AptLayout(joined, package_indent, command_indent if command_indent is not None else package_indent,
                     leading or not trailing)


def render(head: str, run: AptRun, packages: list[str], layout: AptLayout, esc: str) -> str:
    """The merged RUN, one package per line."""
    lines: list[str] = []
    cmd, pkg = layout.command_indent, layout.package_indent
    cleanup = list(run.cleanup)
    if layout.leading_and:
        if layout.joined_head:
            lines.append(f"{head}{run.update} && {run.install_head} {esc}")
        else:
            lines.append(f"{head}{run.update} {esc}")
            lines.append(f"{cmd}&& {run.install_head} {esc}")
        for k, p in enumerate(packages):
            last = k == len(packages) - 1 and not cleanup
            lines.append(f"{pkg}{p}" + ("" if last else f" {esc}"))
        for k, c in enumerate(cleanup):
            lines.append(f"{cmd}&& {c}" + ("" if k == len(cleanup) - 1 else f" {esc}"))
    else:
        if layout.joined_head:
            lines.append(f"{head}{run.update} && {run.install_head} {esc}")
        else:
            lines.append(f"{head}{run.update} && {esc}")
            lines.append(f"{cmd}{run.install_head} {esc}")
        for k, p in enumerate(packages):
            if k < len(packages) - 1:
                lines.append(f"{pkg}{p} {esc}")
            else:
                lines.append(f"{pkg}{p}" + (f" && {esc}" if cleanup else ""))
        for k, c in enumerate(cleanup):
            lines.append(f"{cmd}{c}" + ("" if k == len(cleanup) - 1 else f" && {esc}"))
    return "\n".join(lines)


class MergeAptRuns(DockerfileTransform):
    name = "merge-apt-runs"
    summary = "Merge consecutive apt-get RUN layers into one update/install/clean-up RUN."
    safety = Safety.SAFE
    answers = "hadolint DL3059 (multiple consecutive RUN instructions); keeps DL3009 satisfied"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        ed = Editor(doc)
        style = _text.file_style(doc)
        changed = False
        for stage in doc.stages:
            for group in self._groups(ctx, path, doc, doc.stage_instructions(stage)[1:]):
                self._merge(ed, doc, group, style)
                changed = True
        return ed.apply() if changed else None

    def _groups(self, ctx: Context, path: str, doc: Document, items: list[Instruction]):
        groups: list[list[tuple[Instruction, AptRun]]] = []
        current: list[tuple[Instruction, AptRun]] = []
        for ins in items:
            run = self._member(ctx, path, doc, ins)
            if run is None:
                if len(current) > 1:
                    groups.append(current)
                current = []
                continue
            if current:
                why = _difference(current, (ins, run))
                if why is not None:
                    ctx.skip(path, ins.start_line,
                             f"not merged with the apt RUN at line {current[-1][0].start_line}: {why}")
                    if len(current) > 1:
                        groups.append(current)
                    current = []
            current.append((ins, run))
        if len(current) > 1:
            groups.append(current)
        return groups

    def _member(self, ctx: Context, path: str, doc: Document, ins: Instruction) -> AptRun | None:
        run = apt_run(ins)
        if run is None or ctx.ignored(doc, ins) or "tmpfs" in _text.mount_types(ins):
            return None
        if not _text.posix_shell(_text.shell_at(ctx, path, doc, ins)):
            return None
        return run

    def _merge(self, ed: Editor, doc: Document, group: list[tuple[Instruction, AptRun]],
               style: _text.Style) -> None:
        members = [ins for ins, _ in group]
        first, run = group[0]
        # One refresh and install, then the last member's clean-up.
        run = AptRun(run.update, run.install_head, run.options, (), group[-1][1].cleanup)
        head, _ = _text.run_head(doc, first)
        packages: list[str] = []
        seen: set[str] = set()
        for _, r in group:
            for p in r.packages:
                if p.value not in seen:
                    seen.add(p.value)
                    packages.append(p.raw)
        layout = apt_layout(doc, members, style)
        _text.merge_runs(ed, [], members, render(head, run, packages, layout, doc.escape))


def _difference(group: list[tuple[Instruction, AptRun]], b: tuple[Instruction, AptRun]) -> str | None:
    """Why `b` cannot join the group, or None. The merged RUN ends with the last member's
    clean-up; the lists are refreshed by every member, so only a download-cache clean-up of
    an earlier member must be repeated by the newcomer."""
    ia, ra = group[-1]
    ib, rb = b
    if _text.flags_key(ia) != _text.flags_key(ib):
        return "RUN flags differ"
    if ra.options != rb.options:
        return f"install options differ (`{ra.install_head}` vs `{rb.install_head}`)"
    if ra.update_key != rb.update_key:
        return f"the index refresh differs (`{ra.update}` vs `{rb.update}`)"
    for ins, r in group:
        for p in r.packages:
            if _RECONFIGURES.search(package_name(p.value)):
                return (f"the RUN at line {ins.start_line} installs {p.raw}, which may change what a later "
                        f"apt-get update or install does")
    missing = sorted(set().union(*(r.cache_cleanup for _, r in group)) - rb.cache_cleanup)
    if missing:
        return f"it does not repeat the earlier `{missing[0]}`, so the merged RUN would clean more"
    return None
