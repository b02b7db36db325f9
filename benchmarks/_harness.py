"""Shared plumbing of the benchmarks: timing, peers in their own virtualenvs, results.

Every benchmark module in this folder:

* runs as a script (``python benchmarks/NAME.py [--quick] [--json OUT]``) and prints a
  table;
* has ``run(quick: bool = False) -> list[dict]`` returning result rows, which
  ``run_all.py`` collects.  A row is ``{"benchmark", "case", "impl", "seconds", ...}``
  (``impl``: ``ndengine``, ``numpy``, ``mxnet``, ``torch``...; extra keys such as
  ``peak_rss_mb`` or ``us_per_op`` are welcome), times being medians of several runs;
  ``config`` names the variant when one impl has several rows for a case;
* states the issue's goal, where it has one, on the row it applies to: ``goal`` (a
  short text for the table, e.g. ``"<= 1.2x numpy"``) and either ``goal_met`` (a bool
  the module judged) or ``goal_ratio``: ``run_all.py`` then judges the row's own
  ``ratio`` if it has one, else ``seconds / seconds of impl goal_vs (default numpy) for
  the same case``, against ``<= goal_ratio``, and writes met / not met in RESULTS.md;
* measures peers (real MXNet 1.9.1, PyTorch CPU) by running a snippet with the peer's
  own Python (:func:`run_peer`), skipping them with a note when they are not set up.

Peers live in their own virtualenvs, never in ndengine's (see ``benchmarks/README.md``):
``$NDENGINE_PEER_MXNET`` / ``$NDENGINE_PEER_TORCH`` name their Python; by default
``benchmarks/.peers/mxnet/bin/python`` and ``benchmarks/.peers/torch/bin/python``
(``benchmarks/setup_peers.sh`` creates them).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
PEERS_DIR = Path(os.environ.get("NDENGINE_PEERS_DIR", HERE / ".peers"))
PEER_ENV = {"mxnet": "NDENGINE_PEER_MXNET", "torch": "NDENGINE_PEER_TORCH"}


def peer_python(name: str) -> str | None:
    """The Python of peer *name* (``mxnet`` or ``torch``), or None when not set up."""
    env = os.environ.get(PEER_ENV.get(name, ""), "")
    if env:
        return env if Path(env).exists() else None
    p = PEERS_DIR / name / "bin" / "python"
    return str(p) if p.exists() else None


def run_peer(name: str, code: str, timeout: float = 1800) -> dict[str, Any] | None:
    """Run *code* with peer *name*'s Python; it must print one JSON object as its last
    line of output.  Returns that object, or None when the peer is not set up.  A peer
    that fails raises RuntimeError with its output."""
    py = peer_python(name)
    if py is None:
        return None
    proc = subprocess.run([py, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=_peer_env())
    if proc.returncode != 0:
        raise RuntimeError(f"peer {name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    return json.loads(lines[-1])


def run_python(code: str, timeout: float = 1800, python: str | None = None,
               env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run *code* in a fresh process of this Python (or *python*), with *env* added to
    the environment; parse its last line as JSON.  For measurements that need a clean
    process (peak RSS, thread pools, environment settings)."""
    proc = subprocess.run([python or sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **env) if env else None)
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    return json.loads(lines[-1])


def _peer_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)      # never let a peer import ndengine's tree
    return env


def median_time(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over *repeat* runs after *warmup* runs (seconds)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# The same timing loop for peer snippets (pasted into their code; no ndengine import).
PEER_TIMER = '''
import json, statistics, time
def median_time(fn, repeat=5, warmup=1):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)
'''


# Resident memory from /proc for snippets run in a fresh process (ndengine's or a
# peer's): the RSS now, resetting the peak (VmHWM) through clear_refs, and the peak.
RSS_SNIPPET = r'''
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
'''


def row(benchmark: str, case: str, impl: str, seconds: float | None, **extra: Any) -> dict:
    return {"benchmark": benchmark, "case": case, "impl": impl, "seconds": seconds, **extra}


def print_rows(rows: list[dict]) -> None:
    """A plain table, with each case's time as a ratio to NumPy's where there is one."""
    base = {(r["benchmark"], r["case"]): r["seconds"] for r in rows
            if r["impl"] == "numpy" and r.get("seconds")}
    for r in rows:
        s = r.get("seconds")
        b = base.get((r["benchmark"], r["case"]))
        ratio = f"{s / b:6.2f}x numpy" if s and b else ""
        extra = " ".join(f"{k}={v}" for k, v in r.items()
                         if k not in ("benchmark", "case", "impl", "seconds"))
        t = f"{s:10.4f} s" if s is not None else "         -  "
        print(f"{r['benchmark']:18s} {r['case']:28s} {r['impl']:9s} {t} {ratio} {extra}")


def main(run: Callable[[bool], list[dict]], description: str | None = None) -> None:
    """The command line every benchmark module shares."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    args = ap.parse_args()
    rows = run(args.quick)
    print_rows(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
