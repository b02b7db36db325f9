"""``python -m ndengine.profiler TRACE.json --png OUT.png``: the timeline picture."""
from __future__ import annotations

import struct
import subprocess
import sys

import pytest

import ndengine as mx
from ndengine import np, npx
from ndengine.profiler import __main__ as cli
from ndengine.profiler.timeline import timeline_lanes

from .conftest import record

pytest.importorskip("matplotlib")     # the demo extra


def png_size(path) -> tuple[int, int]:
    data = open(path, "rb").read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def trace_file(prof, tmp_path):
    def work():
        x0 = np.random.uniform(size=(64, 64), device=mx.cpu(0))
        x1 = np.random.uniform(size=(64, 64), device=mx.cpu(1))
        y0 = [np.sin(x0).dot(x0) for _ in range(4)]
        y1 = [np.sin(x1).dot(x1) for _ in range(4)]
        back = [v.copyto(mx.cpu(0)) for v in y1]
        npx.waitall()
        return y0, back

    record(work)
    return prof.dump()


def test_cli_renders_a_png_of_the_requested_size(trace_file, tmp_path, capsys):
    out = tmp_path / "timeline.png"
    assert cli.main([trace_file, "--png", str(out), "--size", "640x360", "--flows",
                     "--title", "auto parallel"]) == 0
    assert png_size(out) == (640, 360)
    table = capsys.readouterr().out
    assert table.startswith("Profile Statistics:") and "dot" in table and "copyto" in table


def test_cli_svg_and_default_height(trace_file, tmp_path):
    svg = tmp_path / "t.svg"
    png = tmp_path / "t.png"
    assert cli.main([trace_file, "--svg", str(svg), "--png", str(png), "--quiet",
                     "--no-counters"]) == 0
    assert b"<svg" in svg.read_bytes()[:2000]
    w, h = png_size(png)
    assert w == 1200 and h > 100


def test_lanes_front_end_first_then_workers(trace_file):
    lanes = timeline_lanes(cli.load_trace(trace_file))
    labels = [lane["label"] for lane in lanes]
    fronts = [lane["front"] for lane in lanes]
    assert fronts == sorted(fronts, reverse=True)          # front-end lanes first
    assert any(lbl.startswith("cpu(0) worker") or lbl.startswith("front end") for lbl in labels)
    assert any("copy worker" in lbl for lbl in labels) or any(
        s[3] == "copyto" for lane in lanes if lane["front"] for s in lane["spans"])
    kinds = {s[2] for lane in lanes for s in lane["spans"]}
    assert {"compute", "copy", "random"} <= kinds


def test_cli_as_a_module_with_a_bad_file(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ndengine.profiler", str(tmp_path / "nope.json"),
                        "--png", str(tmp_path / "x.png")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_tiny_copies_are_drawn_wide_enough_to_see(trace_file, tmp_path, monkeypatch):
    """A copy of a 64x64 array lasts microseconds: drawn at its length it would vanish
    next to the products; it gets at least ~3.5 px of the axes (other ops ~1.5 px)."""
    from matplotlib.axes import Axes

    from ndengine.profiler.timeline import KIND_COLORS, render_timeline

    drawn: list[tuple[str, float]] = []
    orig = Axes.broken_barh

    def spy(self, xranges, yrange, **kw):
        drawn.extend((kw.get("facecolors"), w) for _, w in xranges)
        return orig(self, xranges, yrange, **kw)
    monkeypatch.setattr(Axes, "broken_barh", spy)
    trace = cli.load_trace(trace_file)
    width = 800
    render_timeline(trace, str(tmp_path / "t.png"), size=(width, None))
    lanes = timeline_lanes(trace)
    t0 = min([s[0] for lane in lanes for s in lane["spans"]] +
             [p for lane in lanes for p in lane["pushes"]])
    t1 = max([s[0] + s[1] for lane in lanes for s in lane["spans"]] +
             [p for lane in lanes for p in lane["pushes"]])
    px = (t1 - t0) / 1e3 / (width * 0.8)
    copy_color = KIND_COLORS["copy"]
    copies = [w for c, w in drawn if c == copy_color]
    assert copies and min(copies) >= 3.5 * px * 0.999
    assert min(w for c, w in drawn) >= 1.5 * px * 0.999
