"""COPY/ADD steps whose files the model cannot read (a build context the graph does not know,
a word it cannot expand) are compared as written: an ADD that became COPY there is unproven,
as BuildKit would extract an archive the model never saw; an ADD of the context's root, or a
destination spelled absolute, stays proved."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from dockfix.config import Config
from dockfix.prover import Outcome, prove
from dockfix.tree import Tree


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        info = tarfile.TarInfo("inside.txt")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    return out.getvalue()


def _tree(root: Path, files: dict[str, bytes | str]) -> Tree:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return Tree(root)


# The context of svc/Dockerfile is unknown (generated.bin is in no folder): the folder the graph
# falls back to (svc) holds a plain x.tar, the repository root a real tar, which ADD extracts.
UNKNOWN_CONTEXT = {"x.tar": _tar(), "svc/x.tar": "plain\n"}
SVC = "FROM alpine:3.20\nWORKDIR /srv\nCOPY generated.bin ./\n{step}\n"

CASES = {
    "ADD of a file in an unknown context became COPY": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="ADD x.tar /opt/"), SVC.format(step="COPY x.tar /opt/"),
        Outcome.UNPROVEN),
    "ADD to an unknown destination became COPY": (
        {"x.tar": _tar()}, "Dockerfile", 'FROM alpine:3.20\nADD x.tar "${CONF_PATH}"\n',
        'FROM alpine:3.20\nCOPY x.tar "${CONF_PATH}"\n', Outcome.UNPROVEN),
    "a wildcard in an unknown context narrowed": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="COPY *.tar /opt/"), SVC.format(step="COPY x.tar /opt/"),
        Outcome.UNPROVEN),
    "into a directory, then as a file": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="COPY x.tar /opt/"), SVC.format(step="COPY x.tar /opt"),
        Outcome.UNPROVEN),
    "ADD of a file an ARG names, to an unknown destination, became COPY": (
        {"x.tar": _tar(), "plain.txt": "plain\n"}, "Dockerfile",
        'FROM alpine:3.20\nARG SRC=plain.txt\nADD $SRC "${CONF_PATH}"\n',
        'FROM alpine:3.20\nARG SRC=plain.txt\nCOPY $SRC "${CONF_PATH}"\n', Outcome.UNPROVEN),
    "ADD of a plain file and a tar, to an unknown destination, became COPY": (
        {"x.tar": _tar(), "plain.txt": "plain\n"}, "Dockerfile", 'FROM alpine:3.20\nADD plain.txt x.tar ${DIR}/\n',
        'FROM alpine:3.20\nCOPY plain.txt x.tar ${DIR}/\n', Outcome.UNPROVEN),
    "ADD of a plain file in an unknown context, to an unknown destination, became COPY": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="ADD x.tar ${DIR}/"), SVC.format(step="COPY x.tar ${DIR}/"),
        Outcome.UNPROVEN),
    "ADD of a plain file to an unknown destination became COPY elsewhere": (
        {"plain.txt": "plain\n"}, "Dockerfile", 'FROM alpine:3.20\nADD plain.txt "${CONF_PATH}"\n',
        'FROM alpine:3.20\nCOPY plain.txt "${CONF_PATH}/"\n', Outcome.UNPROVEN),
        # controls: proved
    "ADD of plain files to an unknown destination became COPY": (
        {"plain.txt": "plain\n", "d/x.py": "x\n"}, "Dockerfile",
        'FROM alpine:3.20\nARG V\nADD --chown=${UID} plain.txt d /usr/lib/${V}/\n',
        'FROM alpine:3.20\nARG V\nCOPY --chown=${UID} plain.txt d /usr/lib/${V}/\n', Outcome.PROVED),
    "ADD of a plain file to an unknown destination became COPY, a pip install of a file it may land after it": (
        {"plain.txt": "plain\n"}, "Dockerfile",
        'FROM python:3.12-slim\nARG V\nADD plain.txt /usr/lib/${V}/\nRUN pip install -r /usr/lib/req.txt\n',
        'FROM python:3.12-slim\nARG V\nCOPY plain.txt /usr/lib/${V}/\nRUN pip install -r /usr/lib/req.txt\n', Outcome.PROVED),
    "ADD of the context's root became COPY": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="ADD . ./"), SVC.format(step="COPY . ./"), Outcome.PROVED),
    "a relative destination spelled absolute": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="COPY x.tar ./"), SVC.format(step="COPY x.tar /srv/"),
        Outcome.PROVED),
    "an unknown context's ADD kept, the RUNs after it merged": (
        UNKNOWN_CONTEXT, "svc/Dockerfile", SVC.format(step="ADD x.tar /opt/\nRUN mkdir /a\nRUN mkdir /b"),
        SVC.format(step="ADD x.tar /opt/\nRUN mkdir /a && mkdir /b"), Outcome.PROVED),
}


@pytest.mark.parametrize("name", list(CASES))
def test_unread_copies(name: str, tmp_path: Path) -> None:
    files, path, before, after, outcome = CASES[name]
    b = _tree(tmp_path / "b", {**files, path: before})
    a = _tree(tmp_path / "a", {**files, path: after})
    verdict = prove(b, a, Config())
    got = verdict.outcomes.get(f"<{path}>", Outcome.PROVED)
    if outcome is Outcome.PROVED:
        assert got is Outcome.PROVED, verdict.report()
    else:  # this rule names it (another rule may also find the step broken)
        assert got is not Outcome.PROVED and "COPY/ADD not read" in verdict.report(), verdict.report()
