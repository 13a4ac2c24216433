"""merge-pip-runs: RUN layers that only run pip become one RUN.

What it does: within a stage, RUNs whose every `&&`-command is pip (`pip …`, `pip3 …`,
`python -m pip …`, `python3.11 -m pip …`) and that follow each other with only comments
and blank lines between are joined into one RUN with ` && `: on one line when every one of
them was one line and the result is at most 100 characters, else on continuation lines in
the file's own style. A RUN that only upgrades the installer (`pip install --upgrade pip`,
setuptools, wheel) is also hoisted over the COPY/ADD lines between it and the next pip RUN
and merged into it, when those COPYs cannot touch anything the upgrade reads (seed 000's
Dockerfile.base change). Comments move above the merged RUN, in order.

When it must not fire: across anything but comments and blank lines (a heredoc or
exec-form RUN, USER, WORKDIR, ENV, ARG, SHELL, a stage boundary, …); between RUNs whose
flags differ or with a tmpfs mount; after a RUN that installs pip where PATH finds it
before the running one, for a RUN that runs that pip by name (one shell keeps the hashed
old path; a new RUN finds the new one); on a RUN with anything but pip in it (`cd`, `;`,
pipes, `||`, redirections, substitutions, comments); under a non-POSIX SHELL; a pip RUN that is
not only an installer upgrade never moves over a COPY (that COPY usually feeds it: an
intentional cache split, reported as a skip); a hoist needs a known, application-owned
WORKDIR, COPY destinations below it that do not share a name with what the upgrade
installs, and no variable that steers Python or pip; `# dockfix: ignore[merge-pip-runs]`.

Why it is equivalent: the commands are simple commands (no shell state passes between
them but the command hash, guarded above), run in the same order by the same shell, user, directory, environment and flags,
and stop at the first failure, in one layer instead of several: the final file system is
the same. A hoisted upgrade and the COPYs it crosses commute: the COPYs write only below
the application's working directory, which the `pip` script never reads (it is not on
sys.path, no config or site file lives there, and no file there has the name of a package
it installs), and the upgrade writes only Python's and the user's directories, never below
it. Only cache behaviour changes (the upgrade re-runs when the requirements change).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _text
from dockfix.transforms.base import Context, DockerfileTransform, Safety

_PIP = re.compile(r"^(?:/\S*/)?pip(?:3(?:\.\d+)?)?$")
_PYTHON = re.compile(r"^(?:/\S*/)?python(?:3(?:\.\d+)?)?$")

# What an installer upgrade may install, and the options it may use (none names a file).
TOOLS = frozenset({"pip", "setuptools", "wheel"})
_UPGRADE = frozenset({"-U", "--upgrade"})
_PLAIN_OPTIONS = frozenset({"-U", "--upgrade", "--no-cache-dir", "-q", "--quiet", "-qq", "-qqq",
                            "-v", "--verbose", "--disable-pip-version-check", "--no-input",
                            "--no-color", "--pre", "--no-warn-script-location", "--force-reinstall",
                            "--ignore-installed", "-I"})
_VALUED_OPTIONS = {"--root-user-action": {"ignore", "warn", "error"},
                   "--progress-bar": {"on", "off", "raw"},
                   "--upgrade-strategy": {"eager", "only-if-needed"}}
_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)((?:(?:===|~=|==|!=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+)"
                   r"(?:,(?:===|~=|==|!=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+)*)?$")

# Variables that steer what Python or pip read or write. Those holding paths are checked
# against the working directory; the others turn a hoist off whenever the stage sets them.
_PATH_VARS = frozenset({"PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONPYCACHEPREFIX",
                        "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "HOME", "VIRTUAL_ENV", "TMPDIR", "TEMP",
                        "TMP", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                        "NETRC", "LD_LIBRARY_PATH"})
_STEERING = re.compile(r"^(PIP_[A-Z0-9_]*|XDG_[A-Z_]+|LD_PRELOAD|PYTHONSAFEPATH|PYTHONNOUSERSITE)$")
_REF = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
# Where the system, Python and users live: a working directory here is not application-owned.
_SYSTEM_ROOTS = ("/usr", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/opt",
                 "/root", "/home", "/tmp", "/var", "/proc", "/sys", "/dev", "/run", "/boot", "/snap",
                 "/nix")


def pip_program(cmd: _text.Command) -> str | None:
    """"script" for `pip …`, "module" for `python -m pip …`, None for anything else."""
    argv = cmd.argv
    if cmd.assignments or not argv or not argv[0].literal:
        return None
    if _PIP.match(argv[0].value):
        return "script"
    if (_PYTHON.match(argv[0].value) and len(argv) >= 3 and argv[1].value == "-m"
            and argv[2].value == "pip" and argv[1].literal and argv[2].literal):
        return "module"
    return None


def pip_args(cmd: _text.Command) -> list[_text.Word]:
    """The words after `pip` / `python -m pip`."""
    argv = list(cmd.argv)
    return argv[1:] if pip_program(cmd) == "script" else argv[3:]


def pip_commands(ins: Instruction) -> list[_text.Command] | None:
    """The RUN's commands when every one of them runs pip; else None."""
    if ins.keyword != "RUN" or ins.json or ins.heredocs or not ins.value:
        return None
    cmds = _text.split_commands(ins.value[0])
    if not cmds or any(pip_program(c) is None for c in cmds):
        return None
    return cmds


def upgrade_names(cmds: list[_text.Command]) -> set[str] | None:
    """The names an installer-upgrade RUN passes to pip (`pip install -U pip setuptools`),
    when the RUN is only that: `install`, an upgrade flag, options that name no file, and
    pip/setuptools/wheel requirement specifiers, all literal. Else None."""
    names: set[str] = set()
    for c in cmds:
        args = pip_args(c)
        if not args or args[0].value != "install" or any(not w.literal for w in args):
            return None
        rest = [w.value for w in args[1:]]
        if not _UPGRADE & set(rest):
            return None
        i = 0
        pkgs = 0
        while i < len(rest):
            a = rest[i]
            if a in _PLAIN_OPTIONS:
                i += 1
                continue
            opt, eq, val = a.partition("=")
            if opt in _VALUED_OPTIONS:
                if not eq:
                    if i + 1 >= len(rest):
                        return None
                    val = rest[i + 1]
                    i += 1
                if val not in _VALUED_OPTIONS[opt]:
                    return None
                i += 1
                continue
            m = _SPEC.match(a)
            if not m or re.sub(r"[-_.]+", "-", m.group(1).lower()) not in TOOLS:
                return None
            names.add(a)
            names.add(m.group(1))
            pkgs += 1
            i += 1
        if not pkgs:
            return None
    return names


_RELOCATING = ("--user", "--prefix", "--root", "--target", "-t")
_OFFICIAL_PYTHON = re.compile(r"^(?:(?:docker\.io|index\.docker\.io)/)?(?:library/)?python(?::|@|$)")


def installs_pip(cmd: _text.Command) -> str | None:
    """"here" when the command installs the pip distribution where the running pip lives
    (its own prefix), "elsewhere" when it installs it under `--user`, `--prefix`, `--root`
    or `--target`; None when it does not install pip (by name: a requirements file that
    lists pip is not read here)."""
    if pip_program(cmd) is None:
        return None
    args = [w.value for w in pip_args(cmd)]
    if not args or args[0] != "install":
        return None
    named = False
    for a in args[1:]:
        m = _SPEC.match(a)
        if m and not a.startswith("-") and re.sub(r"[-_.]+", "-", m.group(1).lower()) == "pip":
            named = True
    if not named:
        return None
    relocating = any(a in _RELOCATING or a.startswith(tuple(o + "=" for o in _RELOCATING if o.startswith("--")))
                     for a in args[1:])
    return "elsewhere" if relocating else "here"


def hash_hazard(before: list[list[_text.Command]], after: list[_text.Command], official: bool) -> str | None:
    """Would running `after` in the same shell as the RUNs `before` find another program?

    A shell remembers where it found a command (dash and bash hash it). When an earlier
    command installs pip into another directory of PATH (Debian's `/usr/bin/pip3` upgrades
    into `/usr/local/bin`; `--user` into `~/.local/bin`), a new RUN finds the new `pip`,
    while the same shell keeps running the one it found first. Returns the program name
    when `after` would run a program by name that `before` looked up before a pip install
    that may land elsewhere; in an official `python` image a plain install lands where
    the running pip is, so only a relocating one counts there."""
    seen: dict[str, bool] = {}  # program looked up -> a pip install happened since
    for cmds in before:
        for c in cmds:
            where = installs_pip(c)
            prog = c.argv[0].value if c.argv else ""
            if "/" not in prog and prog not in seen:
                seen[prog] = False
            if where == "elsewhere" or (where == "here" and not official):
                for k in seen:
                    seen[k] = True
    for c in after:
        prog = c.argv[0].value if c.argv else ""
        if "/" not in prog and seen.get(prog):
            return prog
    return None


def application_dir(wd: str) -> bool:
    """A directory only the application uses: not `/`, not below a system, Python or home
    root (`/usr/src/…` is the one exception: sources, never on sys.path)."""
    if wd.startswith("/usr/src/"):
        return True
    return wd != "/" and not any(wd == r or wd.startswith(r + "/") for r in _SYSTEM_ROOTS)


def _steering(lin: _text.Lineage, wd: str) -> str | None:
    """Why a variable of the chain makes the working directory matter to pip, or None."""
    own_args = {ins.index for _, ins in lin.steps[len(lin.steps) - lin.own:] if ins.keyword == "ARG"}
    for _, ins in lin.steps:
        if ins.keyword == "ENV":
            pairs = list(zip(ins.value[0::2], ins.value[1::2]))
        elif ins.keyword == "ARG" and ins.index in own_args:
            pairs = [(w.split("=", 1)[0], None) for w in ins.value]
        else:
            continue
        for name, value in pairs:
            if _STEERING.match(name):
                return f"the stage sets {name}, which steers pip or Python"
            if name not in _PATH_VARS:
                continue
            if value is None:
                return f"the build argument {name} steers pip or Python"
            for entry in _REF.sub("", value.strip("\"'")).split(":"):
                if not entry:
                    continue
                e = posixpath.normpath(entry)
                if not e.startswith("/") or e == wd or e.startswith(wd + "/") or wd.startswith(e.rstrip("/") + "/"):
                    return f"{name} holds {entry}, which is the working directory or near it"
    return None


@dataclass
class _Block:
    """Pip RUNs with only comments and blank lines between them, merged in place."""

    members: list[Instruction]

    @property
    def first(self) -> Instruction:
        return self.members[0]

    @property
    def last(self) -> Instruction:
        return self.members[-1]


class MergePipRuns(DockerfileTransform):
    name = "merge-pip-runs"
    summary = "Merge RUN layers that only run pip into one RUN (and fold a pip upgrade into the install)."
    safety = Safety.SAFE
    answers = "hadolint DL3059 (multiple consecutive RUN instructions)"

    def transform_document(self, ctx: Context, path: str, doc: Document) -> bytes | None:
        ed = Editor(doc)
        style = _text.file_style(doc)
        changed = False
        for stage in doc.stages:
            for moved, members in self._groups(ctx, path, doc, doc.stage_instructions(stage)[1:]):
                self._merge(ed, doc, moved, members, style)
                changed = True
        return ed.apply() if changed else None

    # -- which RUNs go together
    def _member(self, ctx: Context, path: str, doc: Document, ins: Instruction) -> bool:
        return (pip_commands(ins) is not None and not ctx.ignored(doc, ins)
                and "tmpfs" not in _text.mount_types(ins)
                and _text.posix_shell(_text.shell_at(ctx, path, doc, ins)))

    def _blocks(self, ctx, path, doc, items: list[Instruction]) -> tuple[list[_Block], list[list[Instruction]]]:
        """The blocks, and for each block the instructions between it and the next one."""
        blocks: list[_Block] = []
        gaps: list[list[Instruction]] = []
        for ins in items:
            if self._member(ctx, path, doc, ins):
                if blocks and not gaps[-1] and _text.flags_key(blocks[-1].last) == _text.flags_key(ins) \
                        and not self._hazard(ctx, path, doc, blocks[-1].members, [ins]):
                    blocks[-1].members.append(ins)
                else:
                    blocks.append(_Block([ins]))
                    gaps.append([])
            elif blocks:
                gaps[-1].append(ins)
        return blocks, gaps

    def _groups(self, ctx: Context, path: str, doc: Document, items: list[Instruction]):
        """(moved, members) pairs: `members` merge in place, `moved` (installer upgrades
        from before a COPY) are merged into them."""
        blocks, gaps = self._blocks(ctx, path, doc, items)
        out: list[tuple[list[Instruction], list[Instruction]]] = []
        carry: list[Instruction] = []
        for i, block in enumerate(blocks):
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            gap = gaps[i]
            if nxt is not None and self._hoists(ctx, path, doc, carry + block.members, gap, nxt):
                carry = carry + block.members
                continue
            if len(carry) + len(block.members) > 1:
                out.append((carry, block.members))
            carry = []
        return out

    def _hoists(self, ctx: Context, path: str, doc: Document, upgrades: list[Instruction],
                gap: list[Instruction], nxt: _Block) -> bool:
        """Can `upgrades` move over `gap` into `nxt`? Reports why not when the gap is only
        COPY/ADD (the case where a reader might expect a merge)."""
        target = nxt.first
        if not gap:  # adjacent, yet apart: flags differ (or a hashed pip, reported already)
            if _text.flags_key(upgrades[-1]) != _text.flags_key(target):
                ctx.skip(path, target.start_line,
                         f"not merged with the pip RUN at line {upgrades[-1].start_line}: RUN flags differ")
            return False
        if any(g.keyword not in ("COPY", "ADD") for g in gap):
            return False  # a barrier: USER, WORKDIR, ENV, a non-pip RUN, …
        copy = gap[0]
        where = f"the {copy.keyword} at line {copy.start_line}"
        if _text.flags_key(upgrades[-1]) != _text.flags_key(target):
            ctx.skip(path, target.start_line,
                     f"not merged with the pip RUN at line {upgrades[-1].start_line}: RUN flags differ")
            return False
        names: set[str] = set()
        module = False
        for u in upgrades:
            cmds = pip_commands(u) or []
            module |= any(pip_program(c) == "module" for c in cmds)
            n = upgrade_names(cmds)
            if n is None:
                reads = self._reads(doc, ctx, path, target, gap)
                why = (f"the {reads.keyword} at line {reads.start_line} brings files this RUN reads "
                       f"(an intentional cache split)" if reads is not None else
                       f"{where} sits between, and only an installer upgrade moves over a COPY")
                ctx.skip(path, target.start_line,
                         f"kept apart from the pip RUN at line {upgrades[-1].start_line}: {why}")
                return False
            names |= n
        if self._hazard(ctx, path, doc, upgrades, nxt.members):
            return False
        reason = ("`python -m pip` puts the working directory first on sys.path, so a file the COPY "
                  "writes there could shadow a module pip imports") if module else None
        reason = reason or self._hoist_blocker(ctx, path, doc, upgrades[0], gap, names)
        if reason is not None:
            ctx.skip(path, upgrades[0].start_line,
                     f"pip upgrade not moved over {where} into the RUN at line {target.start_line}: {reason}")
            return False
        return True

    def _hazard(self, ctx: Context, path: str, doc: Document, before: list[Instruction],
                after: list[Instruction]) -> bool:
        """Does joining `after` (one by one) to `before` meet a hashed pip? Reported."""
        lin = _text.lineage(ctx, path, doc, before[0])
        official = bool(lin.external and _OFFICIAL_PYTHON.match(lin.external.lower()))
        runs = [pip_commands(i) or [] for i in before]
        for ins in after:
            prog = hash_hazard(runs, pip_commands(ins) or [], official)
            if prog is not None:
                ctx.skip(path, ins.start_line,
                         f"not merged with the pip RUN at line {before[-1].start_line}: pip is installed "
                         f"before it, and one shell would keep running the `{prog}` it found first "
                         f"(command hashing) where a new RUN finds the new one")
                return True
            runs.append(pip_commands(ins) or [])
        return False

    def _hoist_blocker(self, ctx: Context, path: str, doc: Document, first: Instruction,
                       gap: list[Instruction], names: set[str]) -> str | None:
        lin = _text.lineage(ctx, path, doc, first)
        wd = _text.stage_workdir(lin.steps)
        if wd is None:
            return "the working directory is not known (set an absolute WORKDIR in the file)"
        steering = _steering(lin, wd)
        if steering is not None:
            return steering
        if not application_dir(wd):
            return f"the working directory {wd} is not an application directory"
        for g in gap:
            if g.heredocs:
                return f"the {g.keyword} at line {g.start_line} writes a heredoc"
            if len(g.value) < 2 or any("$" in v for v in g.value):
                return f"the {g.keyword} at line {g.start_line} uses a variable"
            dest = g.value[-1]
            full = posixpath.normpath(posixpath.join(wd, dest))
            if not (full + "/").startswith(wd.rstrip("/") + "/"):
                return f"the {g.keyword} at line {g.start_line} writes {full}, outside {wd}"
            tops = self._top_names(ctx, path, g, wd, full, dest)
            if tops is None:
                return f"the {g.keyword} at line {g.start_line} writes into {wd} files not known here"
            clash = sorted(t for t in tops if t in names)
            if clash:
                return f"the {g.keyword} at line {g.start_line} writes {wd}/{clash[0]}, a name pip would read as a path"
        return None

    def _top_names(self, ctx: Context, path: str, ins: Instruction, wd: str, full: str, dest: str) -> set[str] | None:
        """Names the COPY creates directly in the working directory."""
        if full != wd:
            return {full[len(wd.rstrip("/")) + 1:].split("/")[0]}
        # Into the working directory itself: the sources' names (or their contents').
        if ins.flag("from") is not None:
            return None
        try:
            node = ctx.graph().dockerfiles[path]
        except Exception:
            return None
        context = node.context
        out: set[str] = set()
        for src in ins.value[:-1]:
            if any(c in src for c in "*?[") or "://" in src or src.startswith("git@"):
                return None
            rel = posixpath.normpath(src.lstrip("/"))
            full_src = posixpath.normpath(posixpath.join(context, rel)) if context else rel
            if rel in (".", ""):
                names = {p.split("/")[0] for p in ctx.tree.under(context)}
            elif ctx.tree.is_dir(full_src):
                names = {p.split("/")[0] for p in ctx.tree.under(full_src)}
            elif ctx.tree.exists(full_src):
                names = {posixpath.basename(rel)}
            else:
                return None
            out |= names
        return out

    @staticmethod
    def _reads(doc: Document, ctx: Context, path: str, target: Instruction,
               gap: list[Instruction]) -> Instruction | None:
        """The first COPY/ADD of the gap whose destination holds a file the RUN names."""
        wd = _text.stage_workdir(_text.lineage(ctx, path, doc, target).steps) or "/"
        operands: list[str] = []
        for c in pip_commands(target) or []:
            args = [w.value for w in pip_args(c)]
            for k, a in enumerate(args):
                for opt in ("-r", "--requirement", "-c", "--constraint", "-e", "--editable",
                            "-f", "--find-links"):
                    if a == opt and k + 1 < len(args):
                        operands.append(args[k + 1])
                    elif a.startswith(opt + "=") and opt.startswith("--"):
                        operands.append(a.split("=", 1)[1])
                    elif a.startswith(opt) and len(opt) == 2 and len(a) > 2 and not a.startswith("--"):
                        operands.append(a[2:])
                if not a.startswith("-") and ("/" in a or a.startswith(".") or a.endswith((".whl", ".tar.gz", ".zip"))):
                    operands.append(a)
        files = [posixpath.normpath(posixpath.join(wd, o)) for o in operands]
        for g in gap:
            if not g.value:
                continue
            dest = posixpath.normpath(posixpath.join(wd, g.value[-1]))
            for f in files:
                if f == dest or f.startswith(dest.rstrip("/") + "/") or dest.startswith(f.rstrip("/") + "/"):
                    return g
        return None

    # -- the edit
    def _merge(self, ed: Editor, doc: Document, moved: list[Instruction], members: list[Instruction],
               style: _text.Style) -> None:
        head, _ = _text.run_head(doc, members[0])
        bodies = [_text.shell_body(doc, i) for i in moved + members]
        _text.merge_runs(ed, moved, members, _text.join_commands(head, bodies, style))
