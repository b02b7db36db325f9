"""Every benchmark in one run, side by side with NumPy and the peers, as ratios.

Finds the modules of this folder that follow ``_harness`` (a top-level
``run(quick=False)``), runs each in its own process (``python NAME.py [--quick] --json``),
and writes

* ``benchmarks/RESULTS.md`` — a table per benchmark: case, impl, seconds, ratio to
  NumPy, ratio to MXNet, and the issue's goal with met / not met where the module
  gives one (see the row keys in ``_harness``'s docstring);
* ``benchmarks/results.png`` — the same ratios as bars (matplotlib), drawn for the
  README's width; ``--replot`` redraws it from the saved rows without running anything;
* ``benchmarks/results.json`` — every row of the run, full precision (what ``--replot``
  reads; an older run without it is read back from RESULTS.md's tables);
* ``benchmarks/out/NAME.log`` / ``NAME.json`` — each module's output and rows.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--results FILE] [--plot FILE]
    python benchmarks/run_all.py --replot

Peers (real MXNet 1.9.1, PyTorch CPU) are measured when ``benchmarks/setup_peers.sh``
has created them; see ``benchmarks/README.md``.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _harness  # noqa: E402

SKIP = {"run_all", "_harness"}


def discover() -> tuple[list[str], list[str]]:
    """(modules with a top-level ``run(quick...)``, other .py modules here)."""
    found, other = [], []
    for path in sorted(HERE.glob("*.py")):
        name = path.stem
        if name in SKIP or name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(), str(path))
        has_run = any(isinstance(n, ast.FunctionDef) and n.name == "run" and
                      [a.arg for a in n.args.args][:1] == ["quick"] for n in tree.body)
        (found if has_run else other).append(name)
    return found, other


def run_module(name: str, quick: bool, out: Path, timeout: float) -> tuple[list[dict], str | None]:
    """Run one benchmark module in its own process; (rows, error or None)."""
    js, log = out / f"{name}.json", out / f"{name}.log"
    js.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / f"{name}.py"), "--json", str(js)] + (["--quick"] if quick else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        log.write_text(f"timed out after {timeout:.0f} s\n{e.stdout or ''}{e.stderr or ''}")
        return [], f"timed out after {timeout:.0f} s"
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not js.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return [], f"exit {proc.returncode}: {tail[0]}"
    return json.loads(js.read_text()), None


# -- ratios and goals ----------------------------------------------------------------

def baseline(rows: list[dict], impl: str) -> dict[tuple, float]:
    return {(r["benchmark"], r["case"]): r["seconds"] for r in rows
            if r.get("impl") == impl and r.get("seconds")}


def ratio(r: dict, base: dict[tuple, float]) -> float | None:
    b = base.get((r["benchmark"], r["case"]))
    s = r.get("seconds")
    return s / b if s and b else None


def goal_met(r: dict, rows: list[dict]) -> bool | None:
    """The row's own ``goal_met``; else its ``ratio`` (or ``seconds / goal_vs's
    seconds`` for the same case) ``<= goal_ratio``; None when the row has no goal."""
    if isinstance(r.get("goal_met"), bool):
        return r["goal_met"]
    if r.get("goal_ratio") is None:
        return None
    got = r.get("ratio")
    if not isinstance(got, (int, float)):
        got = ratio(r, baseline(rows, r.get("goal_vs", "numpy")))
    return None if got is None else got <= float(r["goal_ratio"])


# -- RESULTS.md -----------------------------------------------------------------------

def _num(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _ratio_cell(x: float | None, unit: str = "x") -> str:
    """A ratio for the tables: 3 significant digits (0.00156, 0.23, 8.34, 183), never
    rounded to 0.00 as a fixed 2 decimals would."""
    return "–" if x is None else ratio_text(x)[:-1] + unit


def _extra(r: dict) -> str:
    skip = {"benchmark", "case", "impl", "seconds", "goal", "goal_met", "goal_ratio", "goal_vs",
            "samples",   # time series (the soak's) stay in the JSON
            "seconds_digits"}   # (rows read back from a table, for the plot)
    return ", ".join(f"{k}={_num(v, '.4g') if isinstance(v, float) else v}"
                     for k, v in r.items() if k not in skip)


def table(name: str, rows: list[dict]) -> list[str]:
    np_base, mx_base = baseline(rows, "numpy"), baseline(rows, "mxnet")
    has_goal = any(r.get("goal") for r in rows)
    head = "| case | impl | seconds | vs NumPy | vs MXNet |" + (" goal | met |" if has_goal else "") + " notes |"
    rule = "|---|---|---:|---:|---:|" + ("---|---|" if has_goal else "") + "---|"
    lines = [f"## {name}", "", head, rule]
    for r in rows:
        cells = [r["case"], r["impl"], _num(r.get("seconds"), ".4g"),
                 _ratio_cell(ratio(r, np_base)), _ratio_cell(ratio(r, mx_base))]
        if has_goal:
            met = goal_met(r, rows)
            cells += [r.get("goal") or "", "" if met is None else ("met" if met else "**not met**")]
        cells.append(_extra(r))
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines + [""]


def goals_summary(by_module: dict[str, list[dict]]) -> list[str]:
    """One line per row that states a goal: the summary the top-level README quotes."""
    lines = []
    for rows in by_module.values():
        mx_base = baseline(rows, "mxnet")
        for r in rows:
            if not r.get("goal"):
                continue
            met = goal_met(r, rows)
            got = r.get("ratio")
            if not isinstance(got, (int, float)):
                got = ratio(r, baseline(rows, r.get("goal_vs", "numpy")))
            lines.append(f"| {r['benchmark']} | {r['case']}" +
                         (f" [{r['config']}]" if r.get("config") else "") +
                         f" | {r['goal']} | {_ratio_cell(got, '')} | {_ratio_cell(ratio(r, mx_base), '')} | "
                         f"{'–' if met is None else ('met' if met else '**not met**')} |")
    if not lines:
        return []
    return ["## Goals at a glance", "",
            "| benchmark | case | goal | measured ratio | vs MXNet | |",
            "|---|---|---|---:|---:|---|", *lines, ""]


def machine() -> str:
    import numpy

    peers = []
    for peer in ("mxnet", "torch"):
        py = _harness.peer_python(peer)
        peers.append(f"{peer}: {'set up' if py else 'not set up'}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{platform.machine()}, {cores} cores, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}; peers: {', '.join(peers)}")


def results_markdown(by_module: dict[str, list[dict]], errors: dict[str, str],
                     other: list[str], quick: bool, plot: Path | None, seconds: float) -> str:
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    kind = ("**quick run** (`--quick`: small sizes, a smoke test — not the figures to quote)"
            if quick else "full run")
    lines = ["# Benchmark results", "",
             f"Generated by `benchmarks/run_all.py` on {when}: {kind}, {seconds:.0f} s.",
             f"Machine: {machine()}.", "",
             "Seconds are medians of several runs (see each module); *vs NumPy* and *vs MXNet* "
             "divide a row's seconds by NumPy's / real MXNet 1.9.1's for the same case "
             "(below 1 is faster). Goals are the issues' targets, judged on this run.", ""]
    lines += goals_summary(by_module)
    if plot:
        lines += [f"![seconds per benchmark, with ratios]({plot.name})", ""]
    for name, rows in by_module.items():
        benches = {}
        for r in rows:
            benches.setdefault(r["benchmark"], []).append(r)
        for bench, brows in benches.items():
            lines += table(f"{bench} (`benchmarks/{name}.py`)", brows)
    for name, err in errors.items():
        lines += [f"## `benchmarks/{name}.py`: failed", "", f"    {err}", "",
                  f"(output in `benchmarks/out/{name}.log`)", ""]
    if other:
        lines += ["Not in this table (no `run(quick)`, run them on their own): " +
                  ", ".join(f"`benchmarks/{n}.py`" for n in other), ""]
    return "\n".join(lines)


# -- results.png ------------------------------------------------------------------------
# Drawn for the width the README shows it at (830 px, 1:1), text 8-9 pt; one legend
# above the panels; a case's name heads its group of bars, each bar labelled by impl.
FIG_WIDTH_IN, DPI, SLOT_IN = 8.3, 100, 0.2

COLORS = {"ndengine": "tab:orange", "numpy": "tab:blue", "mxnet": "tab:green",
          "torch": "tab:red", "python threads": "tab:purple"}


def ratio_text(x: float, digits: int = 3) -> str:
    """A ratio as the plot writes it: *digits* significant digits (3; fewer when the
    seconds it comes from had fewer), never rounded to 0: 0.00156x, 0.23x, 8.34x, 183x."""
    return f"{x:.0f}x" if x >= 10 ** digits else f"{x:.{max(1, digits)}g}x"


def _digits(r: dict | None) -> int:
    """Significant digits of a row's seconds (3 unless read back from a rounded table)."""
    return 3 if r is None else min(3, int(r.get("seconds_digits", 3)))


def _tag(r: dict) -> str:
    """The bar's label: impl, and its config shortened to what tells rows apart."""
    cfg = str(r.get("config") or "").split(":")[0].strip()
    return r["impl"] + (f" [{cfg}]" if cfg else "")


def plot(rows: list[dict], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: matplotlib is not installed; pip install -e '.[demo]')")
        return None
    benches: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("seconds"):
            benches.setdefault(r["benchmark"], []).append(r)
    if not benches:
        return None
    slots = [len(b) + len({r["case"] for r in b}) for b in benches.values()]
    heights = [SLOT_IN * n + 0.75 for n in slots]          # + title and x axis
    fig, axes = plt.subplots(len(benches), 1, squeeze=False, layout="constrained",
                             figsize=(FIG_WIDTH_IN, sum(heights) + 0.5),
                             gridspec_kw={"height_ratios": heights})
    for ax, (bench, brows) in zip(axes[:, 0], benches.items()):
        _bars(ax, bench, brows)
    impls = [i for i in COLORS if any(r["impl"] == i for r in rows)]
    fig.legend(handles=[matplotlib_patch(COLORS[i], i) for i in impls], ncol=len(impls),
               loc="outside upper center", fontsize=9, frameon=False,
               title="seconds, log scale (shorter is faster); labels: ratio to NumPy / "
                     "real MXNet 1.9.1 for the same case", title_fontsize=9)
    _save_small_png(fig, path)
    plt.close(fig)
    return path


def _save_small_png(fig, path: Path) -> None:
    """PNG with a 32-colour palette (the plot has a handful of colours plus text
    antialiasing): a fraction of the size of the full-colour file."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    try:
        from PIL import Image
    except ImportError:
        Path(path).write_bytes(buf.getvalue())
        return
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    img.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def _bars(ax, bench: str, rows: list[dict]) -> None:
    """One bar per row (seconds, log scale), grouped under the case's name, coloured by
    impl and labelled with its ratios to NumPy and to MXNet where there are some."""
    import math

    np_base, mx_base = baseline(rows, "numpy"), baseline(rows, "mxnet")
    by_key = {(r["case"], r["impl"]): r for r in rows if r["impl"] in ("numpy", "mxnet")}
    ys, labels, y = [], [], 0
    secs = [r["seconds"] for r in rows]
    lo, hi = min(secs) / 1.6, max(secs)
    # room right of the longest bar for its label: bars end by 62% of the axis width
    right = 10 ** (math.log10(lo) + (math.log10(hi) - math.log10(lo)) / 0.62)
    head_x = ax.get_yaxis_transform()
    for case in dict.fromkeys(r["case"] for r in rows):
        ax.text(0.004, y, case, transform=head_x, va="center", ha="left", fontsize=8.5,
                fontweight="bold", color="#333333")
        y += 1
        for r in (r for r in rows if r["case"] == case):
            ax.barh(y, r["seconds"], color=COLORS.get(r["impl"], "tab:gray"), height=0.72)
            notes = []
            for impl in ("numpy", "mxnet"):
                x = ratio(r, np_base if impl == "numpy" else mx_base)
                if x and r["impl"] != impl:
                    d = min(_digits(r), _digits(by_key.get((case, impl))))
                    notes.append(f"{ratio_text(x, d)} {impl}")
            if notes:
                ax.text(r["seconds"] * 1.08, y, "  ·  ".join(notes), va="center", fontsize=8)
            ys.append(y)
            labels.append(_tag(r))
            y += 1
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8.5)
    ax.set_ylim(y - 0.4, -0.6)
    ax.set_xscale("log")
    ax.set_xlim(lo, right)
    _log_ticks(ax, lo, right)
    ax.tick_params(axis="x", labelsize=8)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(bench, fontsize=10, loc="left", fontweight="bold")


def _log_ticks(ax, lo: float, hi: float) -> None:
    """Labelled ticks at 1, 2, 5 x 10^k when the axis spans under two decades (else
    at the powers of ten), written plainly (0.05, 0.1, 2e-06); no minor labels."""
    import math

    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    subs = (1.0, 2.0, 5.0) if math.log10(hi / lo) < 2 else (1.0,)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def matplotlib_patch(color: str, label: str):
    from matplotlib.patches import Patch

    return Patch(color=color, label=label)


# -- redrawing from saved results -------------------------------------------------------------

def rows_from_results_md(text: str) -> list[dict]:
    """The rows of a RESULTS.md written by :func:`results_markdown` (for a run that saved
    no ``results.json``): benchmark, case, impl, seconds and the notes' key=value pairs.
    Seconds are the table's (4 decimals in older files: sub-millisecond rows lose
    digits; a row printed as 0.0000 takes its ``us_per_op`` note when it has one)."""
    import re

    rows: list[dict] = []
    bench, cols = None, None
    for line in text.splitlines():
        m = re.match(r"## (\S+) \(`benchmarks/", line)
        if m:
            bench, cols = m.group(1), None
            continue
        if line.startswith("## "):
            bench, cols = None, None
            continue
        if bench is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cols is None:
            cols = cells
            continue
        if set(line) <= set("|-: "):
            continue
        cell = dict(zip(cols, cells))
        r: dict = {"benchmark": bench, "case": cell["case"], "impl": cell["impl"]}
        for kv in re.split(r", (?=[A-Za-z_]\w*=)", cell.get("notes", "")):
            if "=" in kv:
                k, v = kv.split("=", 1)
                try:
                    r[k] = float(v)
                except ValueError:
                    r[k] = v
        text = cell.get("seconds", "")
        try:
            r["seconds"] = float(text)
            # digits as printed: 0.0003 has one, 0.1921 four, 2.79e-06 three
            mant = text.lower().split("e")[0].replace(".", "").replace("-", "").lstrip("0")
            r["seconds_digits"] = max(1, len(mant))
        except ValueError:
            r["seconds"] = None
        if not r["seconds"] and isinstance(r.get("us_per_op"), float):
            r["seconds"] = r["us_per_op"] * 1e-6
            r["seconds_digits"] = len(f"{r['us_per_op']:g}".replace(".", "").lstrip("0"))
        rows.append(r)
    return rows


def load_rows(results_json: Path, results_md: Path) -> tuple[list[dict], str]:
    """The saved rows of the last run: ``results.json``, else parsed from RESULTS.md."""
    if results_json.exists():
        return json.loads(results_json.read_text()), str(results_json)
    if results_md.exists():
        return rows_from_results_md(results_md.read_text()), str(results_md)
    raise SystemExit(f"--replot: neither {results_json} nor {results_md} exists; run the "
                     f"benchmarks first")


# -- main ---------------------------------------------------------------------------------

def progress(items: list[str]):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(items, unit="benchmark", dynamic_ncols=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these modules")
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--plot", default=str(HERE / "results.png"))
    ap.add_argument("--json", default=str(HERE / "results.json"),
                    help="every row of the run, for --replot")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per module")
    ap.add_argument("--replot", action="store_true", help="run nothing: redraw the plot "
                    "from the saved rows (--json, else the --results table)")
    args = ap.parse_args()
    if args.replot:
        rows, source = load_rows(Path(args.json), Path(args.results))
        png = plot(rows, Path(args.plot))
        print(f"wrote {png} from {len(rows)} rows of {source}")
        return 0 if png else 1
    found, other = discover()
    if args.only:
        unknown = set(args.only) - set(found)
        if unknown:
            raise SystemExit(f"no benchmark module with run(quick) named {sorted(unknown)}; "
                             f"have {found}")
        found = [n for n in found if n in args.only]
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    by_module: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    bar = progress(found)
    for name in bar if bar is not None else found:
        if bar is not None:
            bar.set_description(name)
        else:
            print(f"[{len(by_module) + len(errors) + 1}/{len(found)}] {name} ...", flush=True)
        t = time.perf_counter()
        rows, err = run_module(name, args.quick, out, args.timeout)
        msg = f"{name}: {len(rows)} rows in {time.perf_counter() - t:.0f} s" + (f" — FAILED {err}" if err else "")
        (bar.write if bar is not None else print)(msg)
        if err:
            errors[name] = err
        else:
            by_module[name] = rows
    if bar is not None:
        bar.close()
    all_rows = [r for rows in by_module.values() for r in rows]
    Path(args.json).write_text(json.dumps(all_rows, indent=0) + "\n")
    png = plot(all_rows, Path(args.plot))
    md = results_markdown(by_module, errors, other, args.quick, png, time.perf_counter() - t0)
    Path(args.results).write_text(md)
    print(f"wrote {args.results}" + (f" and {png}" if png else ""))
    for name, rows in by_module.items():
        print(f"\n== {name}")
        _harness.print_rows(rows)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
