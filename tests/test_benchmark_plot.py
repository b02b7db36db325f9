"""benchmarks/run_all.py's picture: ratios never printed as 0.00x, the rows read back
from a RESULTS.md table, and ``--replot`` redrawing results.png (README width, small
file) from saved results without running a benchmark."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("_bench_run_all", ROOT / "benchmarks" / "run_all.py")
run_all = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_all)

TABLE = """# Benchmark results

## async_loop (`benchmarks/async_loop.py`)

| case | impl | seconds | vs NumPy | vs MXNet | goal | met | notes |
|---|---|---:|---:|---:|---|---|---|
| warm-up issue | ndengine | 0.0003 | 0.00x | 0.32x | issue < 2% | met | issue_fraction=0.0019 |
| warm-up issue | numpy | 0.1921 | 1.00x | 192.86x |  |  | issue_fraction=1 |
| warm-up issue | mxnet | 0.0010 | 0.01x | 1.00x |  |  |  |

## engine_dispatch (`benchmarks/engine_dispatch.py`)

| case | impl | seconds | vs NumPy | vs MXNet | notes |
|---|---|---:|---:|---:|---|
| empty op | ndengine | 0.0000 | – | – | us_per_op=2.79, config=threaded, n=100000 |
| both | python threads | 0.0310 | – | 0.14x | a=1.91, config=by hand: a thread + queue per device, 1 BLAS thread each, b=1.931 |
"""


def png_size(path: Path) -> tuple[int, int]:
    import struct

    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_ratio_text_never_rounds_to_zero():
    assert run_all.ratio_text(0.00156) == "0.00156x"
    assert run_all.ratio_text(0.00156, digits=1) == "0.002x"
    assert run_all.ratio_text(8.344) == "8.34x"
    assert run_all.ratio_text(183.4) == "183x"
    assert run_all.ratio_text(1.0) == "1x"
    for x in (1e-5, 3e-4, 0.004):
        assert not run_all.ratio_text(x).startswith("0.00x")
        assert float(run_all.ratio_text(x)[:-1]) > 0


def test_results_tables_never_print_a_ratio_as_zero():
    rows = [{"benchmark": "b", "case": "c", "impl": "numpy", "seconds": 0.1921},
            {"benchmark": "b", "case": "c", "impl": "ndengine", "seconds": 0.00031234,
             "goal": "<= 0.1x numpy", "goal_ratio": 0.1},
            {"benchmark": "b", "case": "c", "impl": "mxnet", "seconds": 0.0010}]
    text = "\n".join(run_all.table("b", rows) + run_all.goals_summary({"b": rows}))
    assert "| 0.0003123 | 0.00163x | 0.312x |" in text       # seconds: 4 digits kept
    assert "| 0.00163 | 0.312 | met |" in text                 # the goals' summary
    assert "0.00x" not in text and "| 0.00 |" not in text


def test_rows_read_back_from_a_results_table():
    rows = run_all.rows_from_results_md(TABLE)
    assert [(r["benchmark"], r["impl"]) for r in rows] == [
        ("async_loop", "ndengine"), ("async_loop", "numpy"), ("async_loop", "mxnet"),
        ("engine_dispatch", "ndengine"), ("engine_dispatch", "python threads")]
    issue = rows[0]
    assert issue["seconds"] == 0.0003 and issue["seconds_digits"] == 1
    assert issue["issue_fraction"] == 0.0019 and rows[1]["seconds_digits"] == 4
    empty = rows[3]                    # printed as 0.0000: seconds from its us_per_op
    assert empty["seconds"] == pytest.approx(2.79e-6) and empty["config"] == "threaded"
    threads = rows[4]
    assert threads["config"] == "by hand: a thread + queue per device, 1 BLAS thread each"
    assert threads["a"] == 1.91 and threads["b"] == 1.931


def test_plot_is_readme_width_small_and_labels_with_the_digits_kept(tmp_path, monkeypatch):
    texts: list[str] = []
    orig = run_all._bars

    def spy(ax, bench, rows):
        orig(ax, bench, rows)
        texts.extend(t.get_text() for t in ax.texts)
    monkeypatch.setattr(run_all, "_bars", spy)
    out = run_all.plot(run_all.rows_from_results_md(TABLE), tmp_path / "r.png")
    w, h = png_size(out)
    assert w == round(run_all.FIG_WIDTH_IN * run_all.DPI) and h > 200
    assert out.stat().st_size < 200_000
    assert "0.002x numpy  ·  0.3x mxnet" in texts        # 0.0003 s has one digit
    assert not any("0.00x" in t for t in texts)
    assert {"warm-up issue", "empty op", "both"} <= set(texts)   # the cases head groups


def test_replot_redraws_from_saved_rows_without_running_anything(tmp_path):
    rows = run_all.rows_from_results_md(TABLE)
    js = tmp_path / "results.json"
    js.write_text(json.dumps(rows))
    png = tmp_path / "results.png"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--replot", "--json",
           str(js), "--results", str(tmp_path / "none.md"), "--plot", str(png)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"from {len(rows)} rows of {js}" in r.stdout and png_size(png)[0] == 830
    md = tmp_path / "RESULTS.md"                       # no results.json: the table
    md.write_text(TABLE)
    r = subprocess.run(cmd[:4] + [str(tmp_path / "no.json"), "--results", str(md), "--plot",
                                  str(png)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and f"from 5 rows of {md}" in r.stdout


def test_the_committed_plot_is_small():
    assert (ROOT / "benchmarks" / "results.png").stat().st_size < 200_000
    assert (ROOT / "docs" / "img" / "timeline_auto_parallel.png").stat().st_size < 200_000
