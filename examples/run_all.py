"""The demo: the seed chapters end to end (``./run.sh demo``).

Runs each example in its own process (a fresh engine each), then writes to ``out/``:
``results.md`` (every benchmark label of the chapters with its time, and the checks
against NumPy), ``results.json``, and — with ndengine's profiler — a timeline of the
"Automatic Parallelism" workload (``timeline_auto_parallel.png``, drawn by
``make_timeline.py`` from the Chrome trace ``auto_parallel.trace.json``).

    python examples/run_all.py [--scale small|default|full] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ["engine_demo", "async_computation", "auto_parallelism"]
TIMELINE = HERE / "make_timeline.py"


def run_example(name: str, out: Path, scale: str | None) -> dict | None:
    print(f"\n===== {name}.py =====", flush=True)
    js = out / f"{name}.json"
    cmd = [sys.executable, str(HERE / f"{name}.py"), "--json", str(js)]
    if scale:
        cmd += ["--scale", scale]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env())
    if proc.returncode != 0:
        print(f"!! {name}.py failed (exit {proc.returncode})", flush=True)
        return None
    return json.loads(js.read_text())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def make_timeline(out: Path, scale: str | None) -> Path | None:
    """The profiler's picture of the auto-parallelism workload, when both exist."""
    try:
        import ndengine.profiler  # noqa: F401
    except ImportError:
        print("(no timeline: ndengine.profiler is not in this build)")
        return None
    if not TIMELINE.exists():
        print("(no timeline: examples/make_timeline.py is not in this build)")
        return None
    png = out / "timeline_auto_parallel.png"
    print("\n===== make_timeline.py =====", flush=True)
    cmd = [sys.executable, str(TIMELINE), "--out", str(png),
           "--trace", str(out / "auto_parallel.trace.json")]
    if scale:
        cmd += ["--scale", scale]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env())
    if proc.returncode != 0 or not png.exists():
        print(f"!! make_timeline.py failed (exit {proc.returncode})")
        return None
    return png


def results_markdown(reports: list[dict], timeline: Path | None, seconds: float) -> str:
    lines = ["# ndengine demo: the seed chapters", "",
             f"Ran in {seconds:.1f} s (scale: {reports[0]['scale'] if reports else '?'}). "
             "Times are single runs on this machine, as the chapters take them.", ""]
    for rep in reports:
        lines += [f"## {rep['chapter']}", "", "| section | benchmark | seconds |",
                  "|---|---|---:|"]
        lines += [f"| {r['section']} | {r['label']} | {r['seconds']:.4f} |" for r in rep["rows"]]
        checks = {k: v for k, v in rep["facts"].items() if isinstance(v, bool)}
        numbers = {k: v for k, v in rep["facts"].items()
                   if not isinstance(v, bool) and k not in checks}
        if checks:
            lines += ["", "Checks: " + ", ".join(f"{k} = {v}" for k, v in checks.items())]
        if numbers:
            lines += ["", "Facts: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in numbers.items())]
        lines.append("")
    if timeline:
        lines += ["## Timeline of the auto-parallelism workload", "",
                  f"![timeline]({timeline.name})", "",
                  "The Chrome trace behind it: `auto_parallel.trace.json` (open it in "
                  "https://ui.perfetto.dev or chrome://tracing).", ""]
    return "\n".join(lines)


def _fmt(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["small", "default", "full"])
    ap.add_argument("--out", default=str(ROOT / "out"), help="output folder (default: out/)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    reports, failed = [], []
    for name in EXAMPLES:
        rep = run_example(name, out, args.scale)
        (reports if rep else failed).append(rep or name)
    timeline = make_timeline(out, args.scale)
    md = results_markdown(reports, timeline, time.perf_counter() - t0)
    (out / "results.md").write_text(md)
    (out / "results.json").write_text(json.dumps(reports, indent=1))
    print(f"\nwrote {out / 'results.md'}" + (f" and {timeline}" if timeline else ""))
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
