"""``python -m ndengine.profiler TRACE.json [--png OUT.png] [--svg OUT.svg]``

Draws the timeline of a trace written by ``ndengine.profiler.dump()`` (one lane per
worker and front-end thread, ops coloured by kind) and prints its aggregate table.
"""
from __future__ import annotations

import argparse
import sys

from ..base import MissingDependencyError, optional_import
from .stats import SORT_KEYS, format_stats, stats_from_trace
from .timeline import load_trace, render_timeline


def _size(text: str) -> tuple[int, int | None]:
    try:
        if "x" in text:
            w, h = text.lower().split("x", 1)
            return int(w), int(h)
        return int(text), None
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT or WIDTH in pixels, "
                                         f"got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ndengine.profiler", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", help="a Chrome trace JSON written by ndengine.profiler.dump()")
    ap.add_argument("--png", metavar="OUT", help="write the timeline as PNG")
    ap.add_argument("--svg", metavar="OUT", help="write the timeline as SVG")
    ap.add_argument("--size", type=_size, default=(1200, None),
                    help="picture size in pixels, WIDTHxHEIGHT (height: from the lanes)")
    ap.add_argument("--title", help="title above the timeline")
    ap.add_argument("--start", type=float, help="start of the window (ms)")
    ap.add_argument("--end", type=float, help="end of the window (ms)")
    ap.add_argument("--flows", action="store_true", help="draw dependencies across lanes")
    ap.add_argument("--no-counters", action="store_true", help="omit the ops-in-flight panel")
    ap.add_argument("--sort-by", default="total", choices=SORT_KEYS,
                    help="order of the aggregate table")
    ap.add_argument("--quiet", action="store_true", help="do not print the aggregate table")
    args = ap.parse_args(argv)
    if args.png or args.svg:             # before reading a large trace
        try:
            optional_import("matplotlib.figure", "python -m ndengine.profiler --png/--svg")
        except MissingDependencyError as e:
            print(f"ndengine.profiler: {e}", file=sys.stderr)
            return 2
    try:
        trace = load_trace(args.trace)
    except (OSError, ValueError) as e:
        print(f"ndengine.profiler: cannot read {args.trace}: {e}", file=sys.stderr)
        return 2
    for path, fmt in ((args.png, "png"), (args.svg, "svg")):
        if path:
            render_timeline(trace, path, format=fmt, size=args.size, title=args.title,
                            start_ms=args.start, end_ms=args.end, flows=args.flows,
                            counters=not args.no_counters)
            print(f"wrote {path}", file=sys.stderr)
    if not args.quiet:
        print(format_stats(stats_from_trace(trace), sort_by=args.sort_by), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
