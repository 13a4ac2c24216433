"""Which paths a command writes, by its arguments: the table root-swap and non-root read to
tell whether a command may run as the runtime user (`_root_needs`). Imports no transform."""

from __future__ import annotations

from collections.abc import Sequence

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


def written_paths(cmd: str, args: list[str]) -> list[str]:
    """The paths the command writes, as its arguments spell them (relative ones too)."""
    plain = _plain_args(cmd, args)
    if cmd in _WRITES_ALL:
        return plain
    if cmd == "chmod":
        return plain[1:]
    if cmd in _WRITES_LAST:
        return _last_written(cmd, args, plain)
    if cmd == "sed" and any(a == "-i" or a.startswith("-i") or a.startswith("--in-place") for a in args):
        has_script_opt = any(a in ("-e", "-f", "--expression", "--file") for a in args)
        return plain if has_script_opt else plain[1:]
    return _output_option(cmd, args)


def _last_written(cmd: str, args: list[str], plain: list[str]) -> list[str]:
    tdir = _opt_value(args, ("-t", "--target-directory"))
    if tdir is not None:
        return [tdir]
    if cmd == "install" and ("-d" in args or "--directory" in args):
        return plain
    if len(plain) >= 2 or (cmd == "ln" and plain):
        return plain[-1:]
    return []


_OUTPUT_OPTIONS = {"curl": ("-o", "--output"), "tar": ("-C", "--directory"), "bsdtar": ("-C", "--directory"),
                   "unzip": ("-d",)}


def _output_option(cmd: str, args: list[str]) -> list[str]:
    if cmd in _OUTPUT_OPTIONS:
        out = _opt_value(args, _OUTPUT_OPTIONS[cmd])
        return [out] if out is not None else []
    if cmd == "wget":
        out = _opt_value(args, ("-O", "--output-document"))
        pre = _opt_value(args, ("-P", "--directory-prefix"))
        return [p for p in (out, pre) if p is not None and p != "-"]
    if cmd == "git" and args[:1] == ["clone"]:
        rest = [a for a in args[1:] if not a.startswith("-")]
        return rest[1:2]
    return []


def _plain_args(cmd: str, args: Sequence[str]) -> list[str]:
    takes = _OPT_ARG.get(cmd, set())
    out = []
    skip = ended = False
    for a in args:
        if skip:
            skip = False
        elif not ended and a == "--":
            ended = True
        elif not ended and a.startswith("-") and a != "-":
            skip = a in takes
        else:
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
