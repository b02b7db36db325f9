"""A soak (issue 18): two front-end threads push random work to two devices for a minute;
resident memory and the thread count are sampled every second and must stay flat.

Each front-end thread loops over small random programs — products, elementwise chains,
reductions, slices and writes through views, copies between ``cpu(0)`` and ``cpu(1)``,
an autograd step, an op that fails on purpose (its error read at the next sync point) —
and syncs every few programs; the arrays of a program are dropped when it ends, so a
flat RSS means the engine, the pools and the tape free what they should.  A third thread
samples ``VmRSS`` and ``threading.active_count()`` (and the process's OS threads from
``/proc/self/status``) every second.

Reported: the samples (``--json``), and per run the RSS growth between the second and
the last quarter of the run (MB; the first quarter is the warm-up: imports, pools, the
caches of the shapes seen), the slope of RSS over the second half (MB per minute), the
thread counts seen, the programs run and the errors raised as expected.  Goal: RSS
growth under 5% of the second quarter's and the thread count constant after the first
quarter.

    python benchmarks/soak.py [--quick] [--seconds S] [--json OUT]

``--quick`` soaks 20 s.  No peer runs this (it is about ndengine's own bookkeeping).
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _harness  # noqa: E402

BENCH = "soak"

SOAK = _harness.RSS_SNIPPET + r'''
import json, random, threading, time
import numpy as onp
import ndengine as mx
from ndengine import autograd, np, npx
from ndengine.base import MXNetError
npx.set_np()
SECONDS = {seconds}
stop = threading.Event()
counts = {{"programs": 0, "expected_errors": 0, "unexpected": []}}
lock = threading.Lock()

def os_threads():
    for line in open("/proc/self/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1

def program(rng, dev, other):
    with mx.Context(dev):
        a = np.random.normal(size=(rng.randint(8, 96), 64))
        b = np.random.normal(size=(64, rng.randint(8, 96)))
        c = np.dot(a, b)
        d = np.tanh(c) * 2 + 1
        e = d.sum(axis=0)
        v = d[1:3]                      # a view: writes reach d
        v[:] = 0.5
        f = e.copyto(other) * 3         # a copy to the other device and work there
        w = np.random.uniform(size=(64, 8))
        w.attach_grad()
        with autograd.record():
            loss = (np.dot(a, w) ** 2).mean()
        loss.backward()
        g = w.grad
        if rng.random() < 0.1:          # only the data can tell: raised at the sync
            bad = a[np.array([10 ** 6])]
            try:
                bad.wait_to_read()
                with lock:
                    counts["unexpected"].append("an out-of-range index read no error")
            except (MXNetError, IndexError):
                with lock:
                    counts["expected_errors"] += 1
        return f, g, d

def front(seed, dev, other):
    rng = random.Random(seed)
    keep = []
    n = 0
    while not stop.is_set():
        try:
            keep.append(program(rng, dev, other))
            n += 1
            if len(keep) >= rng.randint(2, 6):
                for f, g, d in keep:
                    f.wait_to_read(); g.wait_to_read(); d.wait_to_read()
                keep = []
        except Exception as exc:        # anything else is a finding
            with lock:
                counts["unexpected"].append(repr(exc)[:200])
            keep = []
    npx.waitall()
    with lock:
        counts["programs"] += n

samples = []
def sampler(t0):
    while not stop.is_set():
        samples.append((round(time.perf_counter() - t0, 2), round(rss_mb(), 1),
                        threading.active_count(), os_threads()))
        stop.wait(1.0)

t0 = time.perf_counter()
ths = [threading.Thread(target=front, args=(1, mx.cpu(0), mx.cpu(1))),
       threading.Thread(target=front, args=(2, mx.cpu(1), mx.cpu(0)))]
st = threading.Thread(target=sampler, args=(t0,))
st.start()
for t in ths:
    t.start()
time.sleep(SECONDS)
stop.set()
for t in ths:
    t.join()
st.join()
q = max(1, len(samples) // 4)
# the first quarter is the warm-up (imports, pools, caches of the shapes seen): the
# baseline is the second quarter
first = sum(s[1] for s in samples[q:2 * q]) / q
last = sum(s[1] for s in samples[-q:]) / q
after = samples[q:]
half = samples[len(samples) // 2:]
if len(half) >= 2:
    tm = sum(s[0] for s in half) / len(half); rm = sum(s[1] for s in half) / len(half)
    den = sum((s[0] - tm) ** 2 for s in half) or 1.0
    slope = sum((s[0] - tm) * (s[1] - rm) for s in half) / den * 60
else:
    slope = 0.0
print(json.dumps({{"samples": samples, "rss_first_mb": round(first, 1),
                  "rss_last_mb": round(last, 1), "growth_mb": round(last - first, 1),
                  "slope_mb_per_min": round(slope, 2),
                  "py_threads": sorted({{s[2] for s in after}}),
                  "os_threads": sorted({{s[3] for s in after}}), **counts}}))
'''


def soak(seconds: float) -> dict:
    return _harness.run_python(textwrap.dedent(SOAK.format(seconds=seconds)),
                               timeout=seconds * 4 + 120)


def run(quick: bool = False, seconds: float | None = None) -> list[dict]:
    seconds = seconds if seconds is not None else (20 if quick else 60)
    r = soak(seconds)
    flat_rss = r["growth_mb"] <= 0.05 * r["rss_first_mb"]
    flat_threads = len(r["os_threads"]) <= 1
    return [_harness.row(
        BENCH, f"{seconds:g} s, 2 front ends, 2 devices", "ndengine", None,
        rss_first_mb=r["rss_first_mb"], rss_last_mb=r["rss_last_mb"],
        growth_mb=r["growth_mb"], slope_mb_per_min=r["slope_mb_per_min"], os_threads=r["os_threads"], programs=r["programs"],
        expected_errors=r["expected_errors"], unexpected=len(r["unexpected"]),
        goal="RSS growth <= 5%, threads constant",
        goal_met=bool(flat_rss and flat_threads and not r["unexpected"]),
        samples=r["samples"])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args()
    rows = run(args.quick, args.seconds)
    for r in rows:
        print({k: v for k, v in r.items() if k != "samples"})
        for s in r["samples"]:
            print(f"  t={s[0]:6.1f} s  rss={s[1]:7.1f} MB  py threads={s[2]}  os threads={s[3]}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
