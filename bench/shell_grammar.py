"""Measures the candidate shell readers for dockfix.model.shell (README "Shell grammar").

    python -m venv /tmp/shbench && /tmp/shbench/bin/pip install bashlex==0.18 tree-sitter \
        tree-sitter-bash shfmt-py && /tmp/shbench/bin/pip install -e .
    /tmp/shbench/bin/python bench/shell_grammar.py

Correctness: the simple commands each reader finds (their words as written, continuations
removed), against what dash runs, on the constructs of issue 13 item 1. Speed: realistic RUN
lines per second, and the import cost in a fresh interpreter (median of 5).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time

# (script, the simple commands dash runs: each one's words as written)
CASES = [
    ("pip install a==1  # web && pip install b==2", [["pip", "install", "a==1"]]),
    ("echo a#b c", [["echo", "a#b", "c"]]),
    ("# only\necho x # y", [["echo", "x"]]),
    ("echo 'a b' \"c $X\" d\\ e", [["echo", "'a b'", '"c $X"', "d\\ e"]]),
    ("a && b || c; d | e & f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
    ("(cd x; y) && { z; w; }", [["cd", "x"], ["y"], ["z"], ["w"]]),
    ("if [ -s f ]; then pip install x; elif a; then b; else c; fi",
     [["[", "-s", "f", "]"], ["pip", "install", "x"], ["a"], ["b"], ["c"]]),
    ("for i in 1 2; do x $i; done; while a; do b; done", [["x", "$i"], ["a"], ["b"]]),
    ("case $v in a|b) x;; *) y;; esac", [["x"], ["y"]]),
    ("cd sub && export A=1 B; set -e; X=1 Y=2 cmd arg", [["cd", "sub"], ["export", "A=1", "B"],
                                                         ["set", "-e"], ["cmd", "arg"]]),
    ("cmd > out 2>&1 <in >>log", [["cmd"]]),
    ("echo $(id -u) `pwd` \"$(a \"$(b)\")\"",
     [["echo", "$(id -u)", "`pwd`", '"$(a "$(b)")"'], ["id", "-u"], ["pwd"], ["a", '"$(b)"'],
      ["b"]]),
    ("cat <<EOF > f && pip install x\nline $(y)\nEOF\necho done",
     [["cat"], ["pip", "install", "x"], ["y"], ["echo", "done"]]),
    ("cat <<'EOF'\n$(not run)\nEOF", [["cat"]]),
    ("apt-get update \\\n && apt-get install -y \\\n   curl", [["apt-get", "update"],
                                                           ["apt-get", "install", "-y", "curl"]]),
    ("echo a\\\nb", [["echo", "ab"]]),
    ("f() { x; }; f", [["x"], ["f"]]),
    ("! a || b", [["a"], ["b"]]),
]

RUN_LINES = [
    "apt-get update && apt-get install -y --no-install-recommends curl ca-certificates git "
    "&& rm -rf /var/lib/apt/lists/*",
    "pip install --no-cache-dir -r requirements.txt",
    "set -eux; cd /tmp; curl -fsSL https://example.invalid/x.tar.gz -o x.tgz; "
    "tar -xzf x.tgz -C /opt; rm x.tgz",
    "groupadd -r app && useradd -r -g app -d /home/app -s /sbin/nologin app "
    "&& mkdir -p /home/app && chown -R app:app /home/app",
    "if [ -f requirements-dev.txt ]; then pip install -r requirements-dev.txt; fi",
    "python -m pip install --upgrade pip setuptools wheel && "
    "pip install --no-cache-dir \"uvicorn[standard]==0.30.0\" 'fastapi>=0.110'",
    "for f in /etc/app/*.conf; do sed -i \"s/__HOST__/$HOST/\" \"$f\"; done",
    "cat <<EOF > /etc/app.conf\nport=$PORT\nEOF\nchmod 600 /etc/app.conf",
]


def _clean(text: str) -> str:
    return text.replace("\\\n", "")


# Candidates: each gives the simple commands (word texts) in source order --------------------

def ours(script: str) -> list[list[str]]:
    from dockfix.model.shell import _read_uncached  # read_script's memo would time dict look-ups
    script_model = _read_uncached(script, "/", {}, False)
    return [[_clean(w.text) for w in c.argv] for c in script_model.commands]


def bashlex_reader(script: str) -> list[list[str]]:
    import bashlex

    found: list[tuple[int, list[str]]] = []

    class Visitor(bashlex.ast.nodevisitor):
        def visitcommand(self, node, parts):
            words = [p for p in parts if p.kind == "word"]
            if words:
                found.append((node.pos[0], [_clean(script[w.pos[0]:w.pos[1]]) for w in words]))

    for tree in bashlex.parse(script):
        Visitor().visit(tree)
    return [w for _, w in sorted(found, key=lambda x: x[0])]


_TS_PARSER = None


def tree_sitter_reader(script: str) -> list[list[str]]:
    global _TS_PARSER
    if _TS_PARSER is None:
        import tree_sitter
        import tree_sitter_bash
        _TS_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    data = script.encode()
    tree = _TS_PARSER.parse(data)
    if tree.root_node.has_error:
        raise ValueError("parse error")
    out: list[tuple[int, list[str]]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("command", "declaration_command", "test_command"):
            skip = ("file_redirect", "herestring_redirect", "heredoc_redirect", "comment")
            if node.type == "command":  # `X=1 cmd`: the prefix assignment is no word
                skip += ("variable_assignment",)
            words = [c for c in node.children if c.type not in skip]
            texts = [_clean(data[c.start_byte:c.end_byte].decode()) for c in words]
            if node.type == "test_command":  # `[ -s f ]`: one expression node inside
                texts = " ".join(texts).split()
            texts = [t for t in texts if t]
            if texts:
                out.append((node.start_byte, texts))
        stack.extend(node.children)
    return [w for _, w in sorted(out, key=lambda x: x[0])]


def shfmt_reader(script: str) -> list[list[str]]:
    proc = subprocess.run([shutil.which("shfmt") or "shfmt", "--to-json", "-ln", "posix"],
                          input=script.encode(), capture_output=True, check=True)
    tree = json.loads(proc.stdout)
    data = script.encode()
    out: list[tuple[int, list[str]]] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("Type") == "CallExpr" and node.get("Args"):
                out.append((node["Pos"]["Offset"], [
                    _clean(data[a["Pos"]["Offset"]:a["End"]["Offset"]].decode())
                    for a in node["Args"]]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return [w for _, w in sorted(out, key=lambda x: x[0])]


CANDIDATES = {
    "hand-written POSIX (dockfix.model.shell)": (ours, "dockfix.model.shell"),
    "bashlex 0.18": (bashlex_reader, "bashlex"),
    "tree-sitter + tree-sitter-bash": (tree_sitter_reader, "tree_sitter, tree_sitter_bash"),
    "shfmt-py (shfmt --to-json, subprocess)": (shfmt_reader, "json, subprocess"),
}


def correctness(reader) -> tuple[int, list[str]]:
    ok, failures = 0, []
    for script, expected in CASES:
        try:
            got = reader(script)
        except Exception as e:  # a reader that raises has failed the case
            got = f"error: {type(e).__name__}"
        if got == expected:
            ok += 1
        else:
            failures.append(f"{script!r}: {got}")
    return ok, failures


# CPU time, not wall time: the numbers hold on a shared, loaded machine.
def speed(reader) -> float:
    reader(RUN_LINES[0])  # warm up (lazy imports, grammar load)
    best = 0.0
    for _ in range(3):
        n, start = 0, time.process_time()
        while time.process_time() - start < 0.5:
            for line in RUN_LINES:
                reader(line)
            n += len(RUN_LINES)
        best = max(best, n / (time.process_time() - start))
    if reader is shfmt_reader:  # its work is in the child processes
        n, start = 0, _children_cpu()
        for line in RUN_LINES * 5:
            reader(line)
        best = len(RUN_LINES) * 5 / (_children_cpu() - start)
    return best


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_ms(modules: str) -> float:
    """CPU time of a fresh interpreter that imports them, less one that imports nothing (min of 7)."""
    code = "".join(f"import {m.strip()};" for m in modules.split(","))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))

    def once(c: str) -> float:
        start = _children_cpu()
        subprocess.run([sys.executable, "-c", c], check=True, env=env)
        return _children_cpu() - start

    base = min(once("pass") for _ in range(7))
    return max(0.0, (min(once(code) for _ in range(7)) - base) * 1000)


def main() -> None:
    print(f"| reader | cases right (of {len(CASES)}) | RUN lines/s (CPU) | import (ms CPU) |")
    print("| --- | --- | --- | --- |")
    notes = []
    for name, (reader, modules) in CANDIDATES.items():
        ok, failures = correctness(reader)
        print(f"| {name} | {ok} | {speed(reader):,.0f} | {import_ms(modules):.0f} |")
        notes.extend(f"- {name}: {f}" for f in failures)
    print("\nWrong or refused:")
    print("\n".join(notes) or "none")


if __name__ == "__main__":
    main()
