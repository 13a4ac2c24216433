"""The image set's layer tree (`dockfix.layers_view`) and its picture.

The tree is checked against repositories whose sharing is known by construction (and the
golden repo's option 2, where share-layers makes ai-worker-cpu reuse ai-worker's apt layer).
The picture is checked the way a person sees it: rendered by rsvg-convert (librsvg2-bin,
installed by the session fixture when missing, never skipped) to a PNG, whose pixels are
decoded here and looked at where the SVG says the boxes are.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockfix.cli import app
from dockfix.config import load_config
from dockfix.layers_view import SHARED_FILL, OWN_FILL, layer_trees, sharings, step_totals, to_svg
from dockfix.scan import collect, shared_layers_markdown
from dockfix.tree import Tree
from tests.graph.test_graph import make

ROOT = Path(__file__).resolve().parents[1]
OPTION_2 = ROOT / "golden" / "academy" / "option-2"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="session")
def rsvg() -> str:
    """rsvg-convert, installed with apt-get when missing (as tools/stand-in-bases.sh does for buildah)."""
    if shutil.which("rsvg-convert") is None:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "librsvg2-bin"],
                       check=True, env=env, timeout=600, stdout=subprocess.DEVNULL)
    path = shutil.which("rsvg-convert")
    assert path is not None, "librsvg2-bin installed but rsvg-convert not on PATH"
    return path


def _report(root: Path):
    return collect(Tree(root), load_config(root))


COMPOSE = """services:
  one: {build: {context: ., dockerfile: one/Dockerfile}, image: shop-one}
  two: {build: {context: ., dockerfile: two/Dockerfile}, image: shop-two}
  three: {build: {context: ., dockerfile: three/Dockerfile}, image: shop-three}
  four: {build: {context: ., dockerfile: four/Dockerfile}, image: shop-four}
"""
SHARED = "FROM python:3.11-slim\nRUN apt-get update\nCOPY req.txt /r/\nRUN pip install -r /r/req.txt\n"


def _shop(tmp: Path) -> Path:
    return make(tmp, {
        "docker-compose.yml": COMPOSE,
        "req.txt": "a\n",
        "one/Dockerfile": SHARED + "CMD [\"one\"]\n",
        # a comment does not change a step's identity (a space inside the command would: the
        # builder's cache key is the command as written)
        "two/Dockerfile": SHARED.replace("RUN apt-get update", "# apt\nRUN apt-get update") + "ENV X=1\nCMD [\"two\"]\n",
        # an ENV above the RUN: nothing is shared
        "three/Dockerfile": "FROM python:3.11-slim\nENV X=1\nRUN apt-get update\n",
        # another base: nothing is shared either
        "four/Dockerfile": "FROM python:3.12-slim\nRUN apt-get update\n",
    })


def test_images_on_one_base_share_their_common_prefix(tmp_path):
    report = _report(_shop(tmp_path))
    rows = sharings(report.layer_trees)
    assert [(r.base, sorted(r.images), r.steps, r.fs_layers) for r in rows] == [
        ("python:3.11-slim", ["shop-one:latest", "shop-two:latest"], 3, 3)]
    assert rows[0].first == "L2 RUN apt-get update" and rows[0].last == "L4 RUN pip install -r /r/req.txt"
    # one 4 + two 5 + three 2 + four 1 = 12 steps; one and two's first three run once
    assert step_totals(report.layer_trees) == (12, 9)
    assert [t.base for t in report.layer_trees] == ["python:3.11-slim", "python:3.12-slim"]


def test_copy_from_another_context_is_another_layer(tmp_path):
    root = _shop(tmp_path)
    (root / "docker-compose.yml").write_text(COMPOSE.replace("{context: ., dockerfile: two/Dockerfile}",
                                                             "{context: two, dockerfile: Dockerfile}"))
    (root / "two" / "req.txt").write_text("a\n")
    rows = sharings(_report(root).layer_trees)
    assert [(sorted(r.images), r.steps) for r in rows] == [(["shop-one:latest", "shop-two:latest"], 1)]


def test_markdown_section_says_no_size_is_measured(tmp_path):
    md = "\n".join(shared_layers_markdown(_report(_shop(tmp_path))))
    assert "## Shared layers" in md and "Distinct steps: 9 of 12" in md and "no build measured" in md
    assert "| `python:3.11-slim` | `shop-one:latest`, `shop-two:latest` | 3 | 3 |" in md


def test_golden_option_2_shares_the_apt_layer_of_the_ai_workers():
    rows = sharings(_report(OPTION_2).layer_trees)
    assert [(r.base, sorted(r.images), r.steps, r.fs_layers) for r in rows] == [
        ("academy-base:latest", ["academy-ai-worker-cpu:latest", "academy-ai-worker:latest"], 3, 3)]
    assert rows[0].first.startswith("L8 RUN apt-get update")


# -- the picture -------------------------------------------------------------------------------
def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGBA bytes) of an 8-bit RGBA or RGB, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 4 if color == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = bytes(line)
        rows.append(prev if bpp == 4 else b"".join(prev[i:i + 3] + b"\xff" for i in range(0, stride, 3)))
    return width, height, rows


def _pixel(rows, x: int, y: int) -> tuple[int, int, int]:
    return tuple(rows[y][4 * x:4 * x + 3])


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _render(rsvg: str, svg: str, tmp: Path):
    (tmp / "layers.svg").write_text(svg)
    subprocess.run([rsvg, str(tmp / "layers.svg"), "-o", str(tmp / "layers.png")], check=True, timeout=60)
    return ET.fromstring(svg), read_png((tmp / "layers.png").read_bytes())


def _box_colour(rows, rect) -> tuple[int, int, int]:
    """The colour in a box's lower right corner, away from its text and border."""
    x, y = float(rect.get("x")), float(rect.get("y"))
    return _pixel(rows, int(x + float(rect.get("width")) - 6), int(y + float(rect.get("height")) - 4))


def test_picture_of_option_2_shows_the_images_and_the_shared_box(rsvg, tmp_path):
    report = _report(OPTION_2)
    root, (width, height, rows) = _render(rsvg, to_svg(report.layer_trees, "option-2"), tmp_path)
    assert (width, height) == (int(root.get("width")), int(root.get("height")))
    assert width >= 760 and height >= 300
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    names = {r for f in report.dockerfiles for r, _ in f.images}
    assert len(names) == 7 and names <= set(texts)
    assert "3 steps, 3 layers · 2 images" in texts
    shared = [r for r in root.iter(SVG + "rect") if r.get("class") == "shared"]
    own = [r for r in root.iter(SVG + "rect") if r.get("class") == "own"]
    assert len(shared) == 1 and len(own) == 7
    assert _box_colour(rows, shared[0]) == _rgb(SHARED_FILL)
    assert all(_box_colour(rows, r) == _rgb(OWN_FILL) for r in own)
    # text is drawn: the image names' column holds dark pixels
    dark = sum(1 for row in rows for x in range(width) if max(row[4 * x:4 * x + 3]) < 80)
    assert dark > 2000


def test_picture_without_sharing_has_no_shared_box(rsvg, tmp_path):
    root, (width, height, rows) = _render(rsvg, to_svg(_report(_shop(tmp_path)).layer_trees, "shop"), tmp_path)
    rects = [r.get("class") for r in root.iter(SVG + "rect")]
    assert rects.count("shared") == 1 and rects.count("base") == 2
    tmp2 = tmp_path / "no-share"
    tmp2.mkdir()
    make(tmp2, {"docker-compose.yml": "services:\n  a: {build: ., image: solo}\n",
                "Dockerfile": "FROM alpine\nRUN true\n"})
    root, (width, height, rows) = _render(rsvg, to_svg(_report(tmp2).layer_trees, "solo"), tmp2)
    assert [r.get("class") for r in root.iter(SVG + "rect")] == [None, "own", "base"]
    assert "solo:latest" in [t.text for t in root.iter(SVG + "text")]
    assert not any(_pixel(rows, x, y) == _rgb(SHARED_FILL) for y in range(0, height, 3) for x in range(0, width, 3))


def test_cli_writes_the_svg_and_the_json_section(tmp_path):
    root = _shop(tmp_path / "repo")
    out = tmp_path / "layers.svg"
    done = CliRunner().invoke(app, ["scan", str(root), "--format", "json", "--layers-svg", str(out)],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    shared = json.loads(done.stdout)["shared_layers"]
    assert (shared["steps_total"], shared["steps_distinct"], shared["sizes"]) == (12, 9, None)
    assert [s["images"] for s in shared["shared"]] == [["shop-one:latest", "shop-two:latest"]]
    assert "shop-four:latest" in [t.text for t in ET.parse(out).getroot().iter(SVG + "text")]
