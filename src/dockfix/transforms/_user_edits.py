"""Edits shared by non-root and root-swap: the file's own keyword case and RUN layout, USER
placed before the trailing metadata, `--chown` added to COPY/ADD, paths under /root/.local
moved in ENV; and the evidence that a process needs root at run time (a port below 1024),
read through the model. Imports no transform."""

from __future__ import annotations

import re

from dockfix.model.shell import read_script
from dockfix.syntax import Document, Instruction, Stage
from dockfix.syntax.edit import Editor
from dockfix.transforms._text import file_style, join_commands

# ----------------------------------------------------------------------------------
# Text: the file's own style
# ----------------------------------------------------------------------------------


def keyword(doc: Document, word: str) -> str:
    """`word` in the file's keyword case (all lower case files stay lower case)."""
    kws = [i.cmd for i in doc.instructions]
    if kws and all(k == k.lower() for k in kws):
        return word.lower()
    return word.upper()


def format_run(doc: Document, commands: list[str]) -> str:
    """One RUN of `commands` joined by `&&`, in the file's style (shared with the other
    transforms: one line up to 100 characters, else the file's continuation indent and
    `&&` placement)."""
    return join_commands(keyword(doc, "RUN") + " ", commands, file_style(doc))


def _blank(doc: Document, line: int) -> bool:
    return 1 <= line <= doc.line_count and doc.line_bytes(line).strip() == b""


def insert_paragraph(ed: Editor, doc: Document, ins: Instruction, text: str) -> None:
    """Insert `text` above `ins` and its comment block; when a blank line separates that
    block from what precedes it, the new text becomes a paragraph of its own."""
    line = doc.leading_comment_start(ins)
    ed.insert_at_line(line, text, like=ins)
    if _blank(doc, line - 1):
        ed.insert_at_line(line, "", like=ins)


# Instructions that only set metadata: a USER placed before them changes nothing they do.
TRAILING = frozenset({"CMD", "ENTRYPOINT", "HEALTHCHECK", "EXPOSE", "LABEL", "STOPSIGNAL",
                      "VOLUME", "ENV", "ARG", "SHELL", "MAINTAINER"})


def stage_end(doc: Document, stage: Stage) -> tuple[Instruction | None, Instruction]:
    """(first instruction of the trailing metadata block or None, last instruction before it)."""
    instrs = doc.stage_instructions(stage)
    k = len(instrs)
    while k > 1 and instrs[k - 1].keyword in TRAILING:
        k -= 1
    first_meta = instrs[k] if k < len(instrs) else None
    return first_meta, instrs[k - 1]


def insert_at_stage_end(ed: Editor, doc: Document, stage: Stage, text: str) -> None:
    first_meta, last = stage_end(doc, stage)
    if first_meta is not None:
        insert_paragraph(ed, doc, first_meta, text)
    else:
        ed.insert_after(last, text)


def add_flag(ed: Editor, doc: Document, ins: Instruction, flag: str) -> None:
    """Add `flag` after the instruction's existing flags (those on its first line)."""
    first = doc.line_bytes(ins.start_line).decode("utf-8", "surrogateescape")
    at = re.match(r"[ \t]*\S+", first).end()
    for _ in ins.flags:
        fm = re.match(r"[ \t]+--\S+", first[at:])
        if fm is None:
            break
        at += fm.end()
    offset = len(first[:at].encode("utf-8", "surrogateescape"))
    ed.replace_span(ins.start + offset, ins.start + offset, f" {flag}".encode())


def replace_last(ed: Editor, doc: Document, ins: Instruction, old: str, new: str) -> bool:
    """Replace the last occurrence of `old` in the instruction's own text (not heredocs)."""
    text = doc.text(ins)
    head_end = len(text)
    if ins.heredocs:
        first_line_end = doc.line_span(ins.start_line)[1] - ins.start
        head_end = first_line_end
    k = text.rfind(old.encode(), 0, head_end)
    if k < 0:
        return False
    ed.replace_span(ins.start + k, ins.start + k + len(old.encode()), new.encode())
    return True


_SITE_RE = r"{old}(?=[/:\"'\s]|$)"


def env_pairs(ins: Instruction) -> list[tuple[str, str]]:
    v = list(ins.value)
    return [(v[i], v[i + 1]) for i in range(0, len(v) - 1, 2)]


def relocate_env(ed: Editor, doc: Document, ins: Instruction, old: str, new: str) -> bool:
    """Rewrite `old` to `new` in the PATH / PYTHONUSERBASE values of an ENV instruction.
    Returns False (and changes nothing) when another key of the same ENV mentions `old`."""
    pairs = env_pairs(ins)
    pat = re.compile(_SITE_RE.format(old=re.escape(old)))
    hits = [k for k, v in pairs if pat.search(v)]
    if not hits:
        return True
    if any(k not in ("PATH", "PYTHONUSERBASE") for k in hits):
        return False
    text = doc.text(ins).decode("utf-8", "surrogateescape")
    for m in reversed(list(pat.finditer(text))):
        s = len(text[: m.start()].encode("utf-8", "surrogateescape"))
        ed.replace_span(ins.start + s, ins.start + s + len(old.encode()), new.encode())
    return True


# ----------------------------------------------------------------------------------
# Evidence that a process needs root at run time: ports below 1024
# ----------------------------------------------------------------------------------

_HOSTPORT = re.compile(r"(?:\[[0-9a-fA-F:.]*\]|[A-Za-z0-9_.-]*):(\d{1,5})")
_PORT_FLAGS = frozenset({"--port", "-p", "--listen", "--http-port", "--bind", "-b", "--host-port"})


def _words(ins: Instruction) -> list[str]:
    """The words of a CMD/ENTRYPOINT, read by the model (shell form: every command's words,
    as written where the value is not known)."""
    if ins.json:
        return list(ins.value)
    script = read_script(ins.value[-1] if ins.value else "", workdir=None)
    return [w.value if w.value is not None else w.text for c in script.commands for w in c.argv]


def _port_of(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    m = _HOSTPORT.fullmatch(word)
    return int(m.group(1)) if m else None


def low_port_evidence(doc: Document, instrs: list[Instruction]) -> list[tuple[Instruction, int, str]]:
    """(instruction, port, what) for every sign the process binds a port below 1024."""
    out = []
    for ins in instrs:
        if ins.keyword == "EXPOSE":
            for tok in ins.value:
                p = tok.split("/", 1)[0].split("-", 1)[0]
                if p.isdigit() and 0 < int(p) < 1024:
                    out.append((ins, int(p), f"EXPOSE {tok}"))
        elif ins.keyword in ("CMD", "ENTRYPOINT"):
            words = _words(ins)
            for i, w in enumerate(words):
                port = _port_in(words, i)
                if port is not None and 0 < port < 1024:
                    shown = w if (":" in w or "=" in w) else f"{w} {words[i + 1]}"
                    out.append((ins, port, f"{ins.keyword} {shown}"))
    return out


def _port_in(words: list[str], i: int) -> int | None:
    """The port word i names: `--port=80`, `--port 80` / `runserver 80`, `0.0.0.0:80`."""
    w = words[i]
    if "=" in w and w.startswith("-"):
        flag, val = w.split("=", 1)
        return _port_of(val) if flag in _PORT_FLAGS else None
    if w in _PORT_FLAGS or w in ("runserver", "http.server"):
        return _port_of(words[i + 1]) if i + 1 < len(words) else None
    host = w.split(":")[0]
    if _HOSTPORT.fullmatch(w) and ("." in host or w.startswith(":") or host in ("localhost", "")):
        return _port_of(w)
    return None
