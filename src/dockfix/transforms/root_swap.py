"""root-swap: images built on a non-root in-repo base switch to root only where they must.

What it does. For every stage whose base is an in-repo image that ends as a non-root
user (found through the graph on the current tree: after `non-root` the base's
Dockerfile ends with `USER appuser`), it
  - wraps the RUNs that need root in `USER root` … `USER <user>`: package managers
    (apt-get, apk, yum, dnf, microdnf, …), system-wide `pip install` (no `--user`, no
    venv), writes to absolute paths outside the user's home and owned directories
    (mkdir, touch, cp, ln, tee, `>` redirects, …). Consecutive root RUNs share one wrap;
  - makes `pip install --user` run as the user, so packages land in the home CMD uses
    (closing a wrap, or the file's own `USER root`, before it);
  - adds `--chown=<user>:<group>` to COPY/ADD of new files into the user's directories
    (its home and the WORKDIR the base gave it, e.g. `/app`);
  - moves a pip `--user` site copied from a builder stage (`COPY --from=b /root/.local
    /root/.local`) to the user's home, and rewrites `ENV PATH` entries under
    `/root/.local` to follow it;
  - ends every such stage as the base's user again (never as root).

When it must not fire. The base ends as root (or its user is unknown); the stage is
ignored with `# dockfix: ignore[root-swap]` above its FROM (above a RUN or COPY: that
instruction is left alone); the Dockerfile manages USER in a way it cannot follow (a
USER other than root and the base's user, a USER with variables); a RUN needs root and
must also run as the user (`apt-get … && pip install --user …`); the stage evidently
needs root at run time (binds a port below 1024). Each skip is reported.

Why the result is equivalent. Before `non-root`, every step ran as root. The wrap gives
root back exactly to the steps that need it, so each RUN runs as a user that can do
what it did; `pip --user` now installs into the home the runtime user's Python reads,
so the packages stay importable and their scripts stay on PATH; `--chown` keeps new
files in the app directory writable by the process, as they were when it ran as root.
CMD, ENTRYPOINT, ENV (other than the relocated PATH entry), WORKDIR and the files' bytes
do not change.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from dockfix.syntax import Document, Instruction, Stage, shellwords
from dockfix.syntax.edit import Editor
from dockfix.transforms import non_root as nr  # shared helpers (non_root imports this module lazily)
from dockfix.transforms.base import Context, Safety, Transform

# ----------------------------------------------------------------------------------
# Which RUNs need root: a small shell reader (words, separators, redirects)
# ----------------------------------------------------------------------------------

# Commands that need root whatever their arguments.
ROOT_COMMANDS = frozenset({
    "apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper", "tdnf",
    "add-apt-repository", "apt-key", "update-ca-certificates", "ldconfig",
    "useradd", "groupadd", "userdel", "groupdel", "usermod", "groupmod",
    "adduser", "addgroup", "deluser", "delgroup", "passwd", "chpasswd",
    "dpkg-reconfigure", "debconf-set-selections", "locale-gen", "update-locale",
    "update-alternatives", "setcap", "chown", "chgrp",
})
# dpkg / rpm: only their installing and removing modes write.
_DPKG_WRITE = re.compile(r"^-(?:[a-zA-Z]*[irPV]|-install|-remove|-purge|-unpack|-configure|-set-selections)")
_RPM_WRITE = re.compile(r"^-(?:[a-zA-Z]*[iUFe]|-install|-upgrade|-freshen|-erase|-import|-rebuilddb)")
# Commands whose every path argument is written.
_WRITES_ALL = frozenset({"mkdir", "touch", "rm", "rmdir", "tee", "truncate", "mkfifo"})
# Commands whose last path argument (or -t DIR) is written.
_WRITES_LAST = frozenset({"cp", "mv", "ln", "install", "rsync"})
# Options that take a separate argument, per command (so it is not taken for a path).
_OPT_ARG = {
    "mkdir": {"-m", "--mode"}, "install": {"-m", "--mode", "-o", "--owner", "-g", "--group", "-S"},
    "cp": {"-S", "--suffix"}, "mv": {"-S", "--suffix"}, "ln": {"-S", "--suffix"},
    "tee": set(), "touch": {"-d", "-r", "-t", "--date", "--reference"}, "truncate": {"-s", "--size", "-r"},
    "chmod": {"--reference"}, "sed": {"-e", "-f", "--expression", "--file", "-l"},
}
# Wrappers that run the rest of the words as a command.
_WRAPPERS = frozenset({"sudo", "exec", "nice", "nohup", "time", "command", "builtin", "env", "xargs",
                       "timeout", "stdbuf", "ionice", "chroot", "su-exec", "gosu", "tini", "!"})
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "{", "(", "!"})
_ENDERS = frozenset({"fi", "done", "esac", "}", ")"})
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&", "(", ")", "\n"})
_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", ">&", "<>"})
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev", "/proc", "/run/secrets")
_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)*)?$")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class Needs:
    """Why a RUN needs root, and why it must run as the user (both empty: either will do)."""

    root: list[str] = field(default_factory=list)
    user: list[str] = field(default_factory=list)


@dataclass
class Where:
    """The places a RUN may write without root, and how to resolve its paths."""

    cwd: str | None  # the WORKDIR the RUN starts in (None: unknown)
    owned: tuple[str, ...] = ()  # directories the runtime user owns (its home, the app dir)
    home: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def run_scripts(ins: Instruction) -> list[str]:
    """The shell text a RUN executes: its command line, and heredoc bodies fed to a shell."""
    if ins.json:
        return [shlex.join(ins.value)]
    line = ins.value[0] if ins.value else ""
    out = [line]
    words = line.split()
    shell_fed = not words or words[0].startswith("<<") or (
        posixpath.basename(words[0]) in ("sh", "bash", "dash", "ash", "zsh")
        and all(w.startswith("-") or w.startswith("<<") for w in words[1:]))
    for h in ins.heredocs:
        if shell_fed:
            out.append(h.content)
    return out


def analyse_run(ins: Instruction, where: Where) -> Needs:
    needs = Needs()
    for script in run_scripts(ins):
        _analyse_script(script, where, needs, depth=0)
    return needs


def _tokens(script: str) -> list[str]:
    """Shell words and operators; comments dropped; newlines kept as separators."""
    out: list[str] = []
    text = script.replace("\\\r\n", " ").replace("\\\n", " ")
    for line in text.splitlines():
        try:
            words = shellwords.split_operators(line)
        except ValueError:  # unbalanced quotes: fall back to whitespace words
            words = line.split()
        for w in words:
            if w.startswith("#"):
                break
            out.append(w)
        out.append("\n")
    return out


def _commands(tokens: list[str]) -> list[tuple[list[str], list[str]]]:
    """Split into simple commands: (words, redirect targets)."""
    cmds: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    targets: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in _SEPARATORS:
            if words or targets:
                cmds.append((words, targets))
            words, targets = [], []
        elif t in _REDIRECTS or (t[:-1].isdigit() and t[-1:] == ">"):
            if i + 1 < len(tokens) and tokens[i + 1] not in _SEPARATORS:
                nxt = tokens[i + 1]
                if t not in (">&",) and not nxt.isdigit() and nxt != "-":
                    targets.append(nxt)
                i += 1
            if words and words[-1].isdigit():  # `2>` was read as the word 2 and `>`
                words.pop()
        elif t in ("<", "<<", "<<<"):
            i += 1
        else:
            words.append(t)
        i += 1
    if words or targets:
        cmds.append((words, targets))
    return cmds


def _analyse_script(script: str, where: Where, needs: Needs, depth: int) -> None:
    if depth > 3:
        return
    cwd = where.cwd
    env = dict(where.env)
    for words, targets in _commands(_tokens(script)):
        for t in targets:
            _write(t, cwd, where, env, needs, f"writes {t}")
        # leading keywords, assignments and wrappers
        local: dict[str, str] = {}
        while words:
            w = words[0]
            if w in _KEYWORDS or w in _ENDERS:
                words = words[1:]
            elif _ASSIGN.match(w):
                k, v = w.split("=", 1)
                local[k] = v
                words = words[1:]
            elif posixpath.basename(w) in _WRAPPERS:
                words = words[1:]
                while words and (words[0].startswith("-") or _ASSIGN.match(words[0])
                                 or (w == "timeout" and words[0][:1].isdigit())):
                    if _ASSIGN.match(words[0]):
                        k, v = words[0].split("=", 1)
                        local[k] = v
                    words = words[1:]
            else:
                break
        if not words:
            env.update(local)  # `FOO=bar` alone sets a shell variable
            continue
        if words[0] in ("for", "case", "function") or words[0].endswith("()"):
            continue
        cmd = posixpath.basename(words[0])
        args = words[1:]
        scope = {**env, **local}
        if cmd == "export":
            for a in args:
                if "=" in a:
                    k, v = a.split("=", 1)
                    env[k] = v
            continue
        if cmd == "cd":
            target = next((a for a in args if not a.startswith("-")), where.home or "")
            cwd = _resolve(target, cwd, where, scope)
            continue
        if cmd in (".", "source") and args:
            act = args[0]
            if act.endswith("/bin/activate"):
                env["VIRTUAL_ENV"] = act[: -len("/bin/activate")]
            continue
        if cmd in ("sh", "bash", "dash", "ash", "zsh") and "-c" in args:
            i = args.index("-c")
            if i + 1 < len(args):
                sub = Where(cwd, where.owned, where.home, scope)
                _analyse_script(args[i + 1], sub, needs, depth + 1)
            continue
        _command(cmd, words[0], args, cwd, where, scope, needs)


def _command(cmd: str, word0: str, args: list[str], cwd: str | None, where: Where,
             env: dict[str, str], needs: Needs) -> None:
    if cmd in ROOT_COMMANDS:
        needs.root.append(cmd)
        return
    if cmd == "dpkg" and any(_DPKG_WRITE.match(a) for a in args):
        needs.root.append("dpkg")
        return
    if cmd == "rpm" and any(_RPM_WRITE.match(a) for a in args):
        needs.root.append("rpm")
        return
    if _PIP.match(cmd):
        _pip(word0, args, cwd, where, env, needs)
        return
    if _PYTHON.match(cmd) and len(args) >= 2 and args[0] == "-m" and args[1] == "pip":
        _pip(word0, args[2:], cwd, where, env, needs)
        return
    if _PYTHON.match(cmd) and args[:1] == ["-m"] and args[1:2] == ["ensurepip"]:
        if "--user" in args:
            needs.user.append("ensurepip --user")
        else:
            needs.root.append("ensurepip")
        return
    if cmd == "uv" and args[:2] == ["pip", "install"] and "--system" in args:
        needs.root.append("uv pip install --system")
        return
    if cmd in ("npm", "pnpm") and args[:1] in (["install"], ["i"], ["add"]) and (
            "-g" in args or "--global" in args):
        needs.root.append(f"{cmd} install -g")
        return
    if cmd == "yarn" and args[:2] == ["global", "add"]:
        needs.root.append("yarn global add")
        return
    if cmd == "gem" and args[:1] == ["install"] and "--user-install" not in args:
        needs.root.append("gem install")
        return
    paths: list[str] = []
    plain = _plain_args(cmd, args)
    if cmd in _WRITES_ALL:
        paths = plain
    elif cmd == "chmod":
        paths = plain[1:]
    elif cmd in _WRITES_LAST:
        tdir = _opt_value(args, ("-t", "--target-directory"))
        if tdir is not None:
            paths = [tdir]
        elif cmd == "install" and ("-d" in args or "--directory" in args):
            paths = plain
        elif len(plain) >= 2 or (cmd == "ln" and plain):
            paths = plain[-1:]
    elif cmd == "sed" and any(a == "-i" or a.startswith("-i") or a.startswith("--in-place") for a in args):
        has_script_opt = any(a in ("-e", "-f", "--expression", "--file") for a in args)
        paths = plain if has_script_opt else plain[1:]
    elif cmd == "curl":
        out = _opt_value(args, ("-o", "--output"))
        paths = [out] if out is not None else []
    elif cmd == "wget":
        out = _opt_value(args, ("-O", "--output-document"))
        pre = _opt_value(args, ("-P", "--directory-prefix"))
        paths = [p for p in (out, pre) if p is not None and p != "-"]
    elif cmd in ("tar", "bsdtar"):
        out = _opt_value(args, ("-C", "--directory"))
        paths = [out] if out is not None else []
    elif cmd == "unzip":
        out = _opt_value(args, ("-d",))
        paths = [out] if out is not None else []
    elif cmd == "git" and args[:1] == ["clone"]:
        rest = [a for a in args[1:] if not a.startswith("-")]
        paths = rest[1:2]
    for p in paths:
        _write(p, cwd, where, env, needs, f"{cmd} {p}")


def _pip(word0: str, args: list[str], cwd: str | None, where: Where, env: dict[str, str],
         needs: Needs) -> None:
    sub = next((a for a in args if not a.startswith("-")), None)
    if sub not in ("install", "uninstall"):
        return
    if "--user" in args or env.get("PIP_USER", "").lower() in ("1", "true", "yes", "on"):
        if sub == "install":
            needs.user.append("pip install --user")
        return
    for opt in ("--target", "-t", "--prefix", "--root"):
        val = _opt_value(args, (opt,))
        if val is not None:
            _write(val, cwd, where, env, needs, f"pip {sub} {opt} {val}")
            return
    for key in ("PIP_TARGET", "PIP_PREFIX"):
        if env.get(key):
            _write(env[key], cwd, where, env, needs, f"pip {sub} ({key}={env[key]})")
            return
    venv = None
    if word0.startswith("/") and posixpath.basename(posixpath.dirname(word0)) == "bin":
        prefix = posixpath.dirname(posixpath.dirname(word0))
        if prefix not in ("/usr", "/usr/local", "/"):
            venv = prefix
    elif env.get("VIRTUAL_ENV"):
        venv = env["VIRTUAL_ENV"]
    if venv is not None:
        _write(venv, cwd, where, env, needs, f"pip {sub} into the venv {venv}")
        return
    needs.root.append(f"system-wide pip {sub}")


def _plain_args(cmd: str, args: list[str]) -> list[str]:
    takes = _OPT_ARG.get(cmd, set())
    out = []
    skip = False
    ended = False
    for a in args:
        if skip:
            skip = False
            continue
        if not ended and a == "--":
            ended = True
            continue
        if not ended and a.startswith("-") and a != "-":
            if a in takes:
                skip = True
            continue
        out.append(a)
    return out


def _opt_value(args: list[str], names: tuple[str, ...]) -> str | None:
    found = None
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                found = args[i + 1]
            elif n.startswith("--") and a.startswith(n + "="):
                found = a[len(n) + 1:]
            elif not n.startswith("--") and a.startswith(n) and len(a) > len(n) and n not in ("-t",):
                found = a[len(n):]
    return found


def _resolve(path: str, cwd: str | None, where: Where, env: dict[str, str]) -> str | None:
    """An absolute, normalised path, or None when it cannot be known."""
    if path.startswith("~"):
        if where.home is None:
            return None
        path = where.home + path[1:]
    scope = dict(env)
    if where.home is not None:
        scope.setdefault("HOME", where.home)

    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name not in scope:
            raise KeyError(name)
        return scope[name]

    try:
        path = _VAR.sub(sub, path)
    except KeyError:
        return None
    if "$" in path or "`" in path:
        return None
    if not path.startswith("/"):
        if cwd is None:
            return None
        path = posixpath.join(cwd, path)
    return posixpath.normpath(path)


def under(path: str, directory: str) -> bool:
    d = directory.rstrip("/") or "/"
    return d == "/" or path == d or path.startswith(d + "/")


def _write(path: str, cwd: str | None, where: Where, env: dict[str, str], needs: Needs,
           reason: str) -> None:
    if path in ("-", "/dev/null"):
        return
    full = _resolve(path, cwd, where, env)
    if full is None:
        needs.root.append(f"{reason} (a path it cannot resolve)")
        return
    if any(under(full, d) for d in TEMP_DIRS):
        return
    if any(under(full, d) for d in where.owned):
        return
    needs.root.append(reason)


# ----------------------------------------------------------------------------------
# The transform
# ----------------------------------------------------------------------------------

class RootSwap(Transform):
    name = "root-swap"
    summary = ("In images built on a non-root in-repo base, wrap the RUNs that need root in "
               "USER root … USER <user>, run pip --user as the user, COPY --chown into its dirs.")
    safety = Safety.SAFE
    answers = "hadolint DL3002 (last USER should not be root); build failures of apt/pip as a non-root user"

    def apply(self, ctx: Context) -> None:
        bases = nr.in_repo_bases(ctx)
        for path in ctx.dockerfiles():
            doc = ctx.document(path)
            if ctx.file_ignored(doc):
                continue
            ed = Editor(doc)
            done: set[int] = set()  # stages of this file that now end as the base's user
            for stage in doc.stages:
                origin = nr.in_repo_origin(ctx, path, stage.index, bases)
                base = nr.runtime_user(ctx, origin) if origin is not None else None
                if base is None:
                    continue
                parent = nr.parent_stage(doc, stage)
                start = "user" if parent is not None and parent.index in done else None
                if self._stage(ctx, ed, path, doc, stage, base, start):
                    done.add(stage.index)
            if ed:
                ctx.write(path, ed.apply())

    def _stage(self, ctx: Context, ed: Editor, path: str, doc: Document, stage: Stage,
               base: nr.RuntimeUser, start: str | None) -> bool:
        """Plan the stage's edits; False when it is skipped or ignored."""
        instrs = doc.stage_instructions(stage)
        head = instrs[0]
        if ctx.ignored(doc, head):
            return False
        if "$" in base.user:
            ctx.skip(path, head.start_line, f"the base's USER {base.user} has variables; root-swap cannot follow it")
            return False
        body = instrs[1:]
        # what the stage starts as: the user, unless a parent stage (as written) ends as root
        start_user = start or nr.start_user_of(ctx, path, stage.index)
        # 1. what the file does with USER
        for ins in body:
            if ins.keyword == "USER":
                v = ins.value[0] if ins.value else ""
                if not (nr.is_root(v) or base.same_user(v)):
                    ctx.skip(path, ins.start_line,
                             f"USER {v} is neither root nor the base's user {base.user}: "
                             "this Dockerfile manages USER itself")
                    return False
        # 2. run-time needs root evidently
        ports = nr.low_port_evidence(doc, body)
        if ports:
            ins, port, what = ports[0]
            ctx.skip(path, ins.start_line,
                     f"{what}: port {port} (< 1024) needs root at run time; the stage is left as it is")
            return False
        # 3. classify every RUN and plan the USER switches
        walk = nr.walk_stage(ctx, path, doc, stage)
        desired: dict[int, str] = {}  # instruction index -> "root" | "user"
        written = start_user
        for ins, state in walk:
            if ins.keyword == "USER":
                v = ins.value[0] if ins.value else ""
                written = "root" if nr.is_root(v) else "user"
            elif ins.keyword == "RUN":
                if ctx.ignored(doc, ins):
                    desired[ins.index] = written
                    continue
                needs = analyse_run(ins, Where(state.workdir, base.owned, base.home, state.env))
                if needs.root and needs.user:
                    ctx.skip(path, ins.start_line,
                             f"this RUN needs root ({needs.root[0]}) and must run as {base.name} "
                             f"({needs.user[0]}); split it in two")
                    return False
                desired[ins.index] = "root" if needs.root else "user" if needs.user else written
        # 4. COPY --chown into the user's directories, ENV PATH off /root/.local
        for ins, state in walk:
            if ins.keyword in ("COPY", "ADD") and not ctx.ignored(doc, ins):
                dest = nr.copy_dest(ins, state)
                if ins.flag("from") is not None and dest == nr.PIP_SITE and base.home:
                    # a pip --user site built in a stage of this file: to the user's home
                    raw = ins.value[-1]
                    if ins.flag("chown") is None:
                        nr.add_flag(ed, doc, ins, f"--chown={base.chown}")
                    nr.replace_last(ed, doc, ins, raw, base.home + "/.local" + ("/" if raw.endswith("/") else ""))
                    continue
                if ins.flag("chown") is not None:
                    continue
                if dest is not None and any(under(dest, d) for d in base.owned):
                    nr.add_flag(ed, doc, ins, f"--chown={base.chown}")
            elif ins.keyword == "ENV" and base.home and not ctx.ignored(doc, ins):
                nr.relocate_env(ed, doc, ins, "/root/.local", base.home + "/.local")
        # 5. realise the users
        user_kw = nr.keyword(doc, "USER")
        eff = start_user
        last_root_run: Instruction | None = None  # the last RUN that runs as root, in the current root span
        root_user_ins: Instruction | None = None  # the file's own USER root that opened that span
        for ins in body:
            if ins.keyword == "USER":
                v = ins.value[0] if ins.value else ""
                eff = "root" if nr.is_root(v) else "user"
                last_root_run = None
                root_user_ins = ins if eff == "root" else None
                continue
            if ins.keyword != "RUN":
                continue
            want = desired[ins.index]
            if want == eff:
                if eff == "root":
                    last_root_run = ins
                continue
            if want == "root":
                ed.insert_before(ins, f"{user_kw} root")
                eff, last_root_run = "root", ins
            else:
                if last_root_run is not None:
                    ed.insert_after(last_root_run, f"{user_kw} {base.user}")
                else:
                    ed.insert_before(ins, f"{user_kw} {base.user}")
                eff, last_root_run, root_user_ins = "user", None, None
        if eff == "root":
            if last_root_run is not None:
                ed.insert_after(last_root_run, f"{user_kw} {base.user}")
            elif root_user_ins is not None:
                # the file's own USER root with no RUN after it: it only sets the runtime user
                ed.replace(root_user_ins, f"{root_user_ins.cmd} {base.user}")
            else:
                nr.insert_at_stage_end(ed, doc, stage, f"{user_kw} {base.user}")
        return True
