"""Hypothesis strategies for Dockerfiles built from the features BuildKit's parser cares about:
BOM, parser directives (escape with `\\` or backtick), line endings (LF, CRLF, mixed, `\\r\\r\\n`),
blank lines, comments (also inside continuations), empty continuation lines, trailing
whitespace, `\\` and `\\\\` at line ends, heredocs (`<<EOF`, `<<-EOF`, quoted, several, fd,
COPY), JSON and shell forms, flags, ENV/LABEL/ARG forms, ONBUILD, unicode spaces, no final
newline. Words never start with `[` (see KNOWN_DIVERGENCES: trailing data after a JSON array)."""

from __future__ import annotations

import json

from hypothesis import strategies as st

WORD_CHARS = "abcxyz019_-./:=@$%{}'\"\\ \u00a0é"
words = st.text(alphabet=WORD_CHARS, min_size=1, max_size=8).filter(lambda w: not w.lstrip().startswith(("[", "#")))
simple = st.text(alphabet="abcdefgh0123456789-_./", min_size=1, max_size=10)
eols = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r\r\n"])
spaces = st.sampled_from(["", "", " ", "  ", "\t", " \t "])


@st.composite
def shell_line(draw, esc: str) -> list[str]:
    """A RUN/CMD shell body as physical lines (without line endings)."""
    parts = draw(st.lists(words, min_size=1, max_size=4))
    lines = [" ".join(parts)]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cont", "cont", "comment", "blank", "dbl"]))
        if kind == "cont":
            lines[-1] += " " + esc + draw(spaces)
            lines.append(draw(spaces) + " ".join(draw(st.lists(words, min_size=1, max_size=3))))
        elif kind == "comment" and lines[-1].rstrip(" \t").endswith(esc):
            lines.append(draw(spaces) + "# " + draw(simple))
        elif kind == "blank" and lines[-1].rstrip(" \t").endswith(esc):
            lines.append(draw(spaces))
        elif kind == "dbl":
            lines[-1] += " " + esc + esc  # an escaped escape: not a continuation
    return lines


@st.composite
def heredoc_instruction(draw, esc: str) -> list[str]:
    n = draw(st.integers(1, 2))
    heads, bodies = [], []
    for i in range(n):
        name = draw(st.sampled_from(["EOF", "EOT", "X", "END_1"]))
        chomp = draw(st.booleans())
        quote = draw(st.sampled_from(["", "'", '"']))
        fd = draw(st.sampled_from(["", "", "3"]))
        heads.append(f"{fd}<<{'-' if chomp else ''}{quote}{name}{quote} cat")
        body = draw(st.lists(st.one_of(words, st.just("# hash"), st.just(esc), st.just(name + " "),
                                       st.just("\t" + name)), max_size=3))
        bodies += body + [("\t" if chomp and draw(st.booleans()) else "") + name]
    kw = draw(st.sampled_from(["RUN", "RUN", "COPY"]))
    if kw == "COPY":
        return [f"COPY {heads[0].split(' ')[0]} /dst"] + bodies[: len(bodies) // n if n == 1 else len(bodies)]
    return ["RUN " + " && ".join(heads)] + bodies


@st.composite
def instruction(draw, esc: str) -> list[str]:
    kind = draw(st.sampled_from(["FROM", "RUN", "RUNJ", "HEREDOC", "COPY", "ENV", "ENVOLD", "ARG", "LABEL",
                                 "CMD", "CMDJ", "HEALTH", "EXPOSE", "WORKDIR", "USER", "ONBUILD", "VOLUME"]))
    if kind == "FROM":
        flag = draw(st.sampled_from(["", "--platform=linux/amd64 "]))
        alias = draw(st.sampled_from(["", " AS build", " as B2"]))
        return [f"FROM {flag}{draw(simple)}{alias}"]
    if kind == "RUN":
        flags = draw(st.lists(st.sampled_from(["--mount=type=cache,target=/c", "--network=none",
                                                "--security=insecure", '--mount="type=secret,id=x"']), max_size=2))
        lines = draw(shell_line(esc))
        lines[0] = "RUN " + "".join(f + " " for f in flags) + lines[0]
        return lines
    if kind == "RUNJ":
        return ["RUN " + json.dumps(draw(st.lists(words, min_size=1, max_size=3)), ensure_ascii=False)]
    if kind == "HEREDOC":
        return draw(heredoc_instruction(esc))
    if kind == "COPY":
        flags = draw(st.lists(st.sampled_from(["--from=build", "--chown=1000:1000", "--chmod=755", "--link"]),
                              max_size=3))
        srcs = draw(st.lists(simple, min_size=1, max_size=3))
        return ["COPY " + "".join(f + " " for f in flags) + " ".join(srcs) + " /app/"]
    if kind == "ENV":
        pairs = draw(st.lists(st.tuples(simple, words), min_size=1, max_size=3))
        return ["ENV " + " ".join(f'{k.replace("=", "")}="{v}"' for k, v in pairs)]
    if kind == "ENVOLD":
        return [f"ENV {draw(simple).replace('=', '') or 'K'} {' '.join(draw(st.lists(simple, min_size=1, max_size=3)))}"]
    if kind == "ARG":
        return [f"ARG {draw(simple).replace('=', '') or 'A'}" + draw(st.sampled_from(["", "=1", "=x y", '="q r"']))]
    if kind == "LABEL":
        return [f'LABEL {draw(simple).replace("=", "") or "l"}="{draw(words)}"']
    if kind == "CMD":
        return ["CMD " + " ".join(draw(st.lists(words, min_size=1, max_size=3)))]
    if kind == "CMDJ":
        return [draw(st.sampled_from(["CMD", "ENTRYPOINT", "SHELL"])) + " "
                + json.dumps(draw(st.lists(words, min_size=1, max_size=3)), ensure_ascii=draw(st.booleans()))]
    if kind == "HEALTH":
        return [draw(st.sampled_from(["HEALTHCHECK NONE", "HEALTHCHECK --interval=5s CMD curl -f x",
                                      'HEALTHCHECK CMD ["a", "b"]']))]
    if kind == "EXPOSE":
        return ["EXPOSE " + " ".join(draw(st.lists(st.sampled_from(["80", "443/tcp", "53/udp"]), min_size=1,
                                                   max_size=3)))]
    if kind == "WORKDIR":
        return [f"WORKDIR /{draw(simple)}"]
    if kind == "USER":
        return [f"USER {draw(simple)}"]
    if kind == "VOLUME":
        return [draw(st.sampled_from(["VOLUME /data", 'VOLUME ["/a", "/b"]', "VOLUME /a /b"]))]
    return ["ONBUILD " + draw(st.sampled_from(["RUN echo hi", "COPY . /app", 'RUN ["make"]']))]


@st.composite
def dockerfiles(draw) -> bytes:
    out: list[str] = []
    bom = draw(st.booleans()) and draw(st.booleans())
    esc = "\\"
    directives = draw(st.lists(st.sampled_from(["syntax", "escape"]), unique=True, max_size=2))
    for d in directives:
        if d == "escape":
            esc = draw(st.sampled_from(["\\", "`"]))
            out.append(f"#{draw(spaces)}escape{draw(st.sampled_from(['=', ' = ']))}{esc}")
        else:
            out.append("# syntax=docker/dockerfile:1")
    if draw(st.booleans()):
        out.append("# check=skip=all")  # last: the v0.9.0 binding ends the block on it
    out += draw(instruction(esc)) if draw(st.booleans()) else [f"FROM {draw(simple)}"]
    for _ in range(draw(st.integers(0, 8))):
        what = draw(st.sampled_from(["ins", "ins", "ins", "blank", "comment"]))
        if what == "ins":
            out += draw(instruction(esc))
        elif what == "blank":
            out.append(draw(spaces))
        else:
            out.append(draw(spaces) + "# " + draw(simple))
    text = ""
    for i, line in enumerate(out):
        trailing = draw(st.sampled_from(["", "", "", " ", "\t"])) if not line.rstrip(" \t").endswith(esc) else ""
        text += line + trailing
        if i < len(out) - 1 or draw(st.booleans()):
            text += draw(eols)
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data
