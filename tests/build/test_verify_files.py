"""`verify --build` compares whole file systems, for real (small images, about a minute):
the non-root rewrite of a one-file app, whose every file-system difference is one the static
verdict predicted (accounts, the new home, ownership); and a `chmod` the static verdict
cannot read, which the real comparison finds, and which is a prover bug when the static
verdict is made to claim the image proved."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.build.expect import static_expectations
from dockfix.build.trees import build_tree
from dockfix.build.verify import compare_builds, verify_build
from dockfix.config import load_config

BEFORE = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py ./\nCMD ["python", "app.py"]\n'
NON_ROOT = ("FROM python:3.11-slim\nWORKDIR /app\nRUN groupadd --gid 1000 appuser \\\n"
            "    && useradd --uid 1000 --gid appuser --create-home appuser \\\n    && chown appuser:appuser /app\n"
            'COPY --chown=appuser:appuser app.py ./\nUSER appuser\nCMD ["python", "app.py"]\n')
CHMOD = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py ./\nRUN chmod 600 app.py\nCMD ["python", "app.py"]\n'
KEY = "<Dockerfile>"


def tree(root: Path, dockerfile: str) -> Path:
    root.mkdir(parents=True)
    (root / "Dockerfile").write_text(dockerfile)
    (root / "app.py").write_text('print("hi")\n')
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("files")
    return {name: tree(tmp / name, text) for name, text in
            (("before", BEFORE), ("non-root", NON_ROOT), ("chmod", CHMOD))}


def test_the_non_root_rewrite_differs_only_where_the_static_verdict_said(engine, roots):
    verdict = verify_build(roots["before"], roots["non-root"], load_config(roots["non-root"]), engine)
    assert verdict.holds, verdict.report()
    fs = verdict.pair(KEY).files
    assert fs.unexplained == ()
    explained = {rule.value: paths for rule, paths in fs.explained.items()}
    assert set(explained["accounts"]) >= {"etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"}
    assert explained["new home"] == ("home/appuser", "home/appuser/.bash_logout", "home/appuser/.bashrc",
                                     "home/appuser/.profile")
    assert explained["ownership"] == ("app", "app/app.py")
    assert fs.paths > 5_000 and fs.volatile > 0  # the whole system, not WORKDIR
    report = verdict.report()
    assert f"    {KEY}  {fs.paths:,} paths" in report and report.count("; 0 unexplained") == 1
    # Cold and warm builds of each tree, the warm one after an edit of the file the image COPYs.
    for side in verdict.trees:
        assert side.warm is not None and side.warm.edited == "app.py" and side.warm.failed == ()
        assert side.build_s > 0 and side.warm.duration_s > 0
    assert "    warm, after an edit of app.py (an application file the images COPY): " in report


def test_a_difference_the_static_verdict_did_not_read_is_found(session, roots):
    config = load_config(roots["before"])
    before = build_tree(session, roots["before"], config, "before")
    chmod = build_tree(session, roots["chmod"], config, "chmod")
    # The static verdict says unproven (a RUN it does not read): the difference is broken.
    honest = compare_builds(before, chmod, static_expectations(roots["before"], roots["chmod"], config))
    (finding,) = [f for f in honest.findings if f.check == "files"]
    assert finding.severity == "broken"
    assert finding.message == ("1 paths differ that no rule explains: app/app.py: file 0644 0:0 12 B sha256:"
                               f"{finding.message.split('sha256:')[1][:12]} → file 0600 0:0 12 B sha256:"
                               f"{finding.message.split('sha256:')[1][:12]}")
    # A static verdict that proved the image (BEFORE against itself) and these builds: a prover bug.
    claimed = compare_builds(before, chmod, static_expectations(roots["before"], roots["before"], config))
    assert [(f.check, f.severity) for f in claimed.findings] == [("files", "prover-bug")]
    assert not claimed.holds and "PROVER BUG" in claimed.report()
