"""Every benchmark in one run, side by side with NumPy and the peers, as ratios.

Finds the modules of this folder that follow ``_harness`` (a top-level
``run(quick=False)``), runs each in its own process (``python NAME.py [--quick] --json``),
and writes

* ``benchmarks/RESULTS.md`` — a table per benchmark: case, impl, seconds, ratio to
  NumPy, ratio to MXNet, and the issue's goal with met / not met where the module
  gives one (see the row keys in ``_harness``'s docstring);
* ``benchmarks/results.png`` — the same ratios as bars (matplotlib);
* ``benchmarks/out/NAME.log`` / ``NAME.json`` — each module's output and rows.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--results FILE] [--plot FILE]

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


def _extra(r: dict) -> str:
    skip = {"benchmark", "case", "impl", "seconds", "goal", "goal_met", "goal_ratio", "goal_vs",
            "samples"}   # time series (the soak's) stay in the JSON
    return ", ".join(f"{k}={_num(v, '.4g') if isinstance(v, float) else v}"
                     for k, v in r.items() if k not in skip)


def table(name: str, rows: list[dict]) -> list[str]:
    np_base, mx_base = baseline(rows, "numpy"), baseline(rows, "mxnet")
    has_goal = any(r.get("goal") for r in rows)
    head = "| case | impl | seconds | vs NumPy | vs MXNet |" + (" goal | met |" if has_goal else "") + " notes |"
    rule = "|---|---|---:|---:|---:|" + ("---|---|" if has_goal else "") + "---|"
    lines = [f"## {name}", "", head, rule]
    for r in rows:
        cells = [r["case"], r["impl"], _num(r.get("seconds"), ".4f"),
                 _num(ratio(r, np_base), ".2f") + ("x" if ratio(r, np_base) else ""),
                 _num(ratio(r, mx_base), ".2f") + ("x" if ratio(r, mx_base) else "")]
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
                         f" | {r['goal']} | {_num(got, '.2f')} | {_num(ratio(r, mx_base), '.2f')} | "
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
    heights = [1.0 + 0.22 * len(b) for b in benches.values()]
    fig, axes = plt.subplots(len(benches), 1, figsize=(10, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, (bench, brows) in zip(axes[:, 0], benches.items()):
        _bars(ax, bench, brows)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


COLORS = {"ndengine": "tab:orange", "numpy": "tab:blue", "mxnet": "tab:green",
          "torch": "tab:red", "python threads": "tab:purple"}


def _bars(ax, bench: str, rows: list[dict]) -> None:
    """One bar per row (seconds, log scale), grouped by case, coloured by impl and
    labelled with its ratio to NumPy (or else to MXNet) where there is one."""
    np_base, mx_base = baseline(rows, "numpy"), baseline(rows, "mxnet")
    ys, labels, y = [], [], 0.0
    for case in dict.fromkeys(r["case"] for r in rows):
        for r in (r for r in rows if r["case"] == case):
            tag = r["impl"] + (f" [{r['config']}]" if r.get("config") else "")
            ax.barh(y, r["seconds"], color=COLORS.get(r["impl"], "tab:gray"), height=0.8)
            rn, rm = ratio(r, np_base), ratio(r, mx_base)
            note = (f" {rn:.2f}x numpy" if rn and r["impl"] != "numpy" else "") + \
                   (f" {rm:.2f}x mxnet" if rm and r["impl"] != "mxnet" else "")
            if note:
                ax.text(r["seconds"], y, note, va="center", fontsize=6)
            ys.append(y)
            labels.append(f"{case}: {tag}")
            y += 1
        y += 0.5
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds (log scale; shorter is faster)", fontsize=8)
    ax.set_title(bench, fontsize=10)
    handles = [matplotlib_patch(c, i) for i, c in COLORS.items()
               if any(r["impl"] == i for r in rows)]
    ax.legend(handles=handles, fontsize=7, loc="lower right")


def matplotlib_patch(color: str, label: str):
    from matplotlib.patches import Patch

    return Patch(color=color, label=label)


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
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per module")
    args = ap.parse_args()
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
