"""What the seed-chapter examples share: sizes, section headings, recorded results.

Sizes come from ``NDENGINE_EXAMPLE_SCALE``: ``small`` (seconds; the tests use it),
``default`` (the demo: under a minute on a laptop) or ``full`` (the chapters' own
sizes: long on a CPU).  Every example module has ``run(scale=None) -> Report`` and
runs as a script: ``python examples/NAME.py [--scale S] [--json OUT]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:        # run from a clone without installing
    sys.path.insert(0, str(ROOT))

from ndengine import d2l  # noqa: E402

SCALES = ("small", "default", "full")


def scale_from_env(scale: str | None = None) -> str:
    """*scale*, else ``$NDENGINE_EXAMPLE_SCALE``, else ``default``; checked."""
    value = scale or os.environ.get("NDENGINE_EXAMPLE_SCALE") or "default"
    if value not in SCALES:
        raise ValueError(f"NDENGINE_EXAMPLE_SCALE must be one of {SCALES}, got {value!r}")
    return value


@dataclass
class Report:
    """An example's results: one row per benchmark label, plus named facts (checks
    and derived numbers) that the tests and the demo's table read."""

    chapter: str
    scale: str
    rows: list[dict] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    section: str = ""

    def heading(self, title: str) -> None:
        """Start a section of the chapter: prints its title."""
        self.section = title
        print(f"\n--- {title} ---", flush=True)

    def benchmark(self, label: str = "Done") -> "RecordedBenchmark":
        """``d2l.Benchmark(label)`` whose time is also recorded as a row."""
        return RecordedBenchmark(self, label)

    def seconds(self, label: str) -> float:
        """The time recorded last under *label* in this report."""
        for r in reversed(self.rows):
            if r["label"] == label:
                return r["seconds"]
        raise KeyError(label)

    def explain(self, text: str) -> None:
        """Print what a measurement shows (indented under the benchmark lines)."""
        print(f"  -> {text}", flush=True)

    def as_json(self) -> dict:
        return {"chapter": self.chapter, "scale": self.scale, "rows": self.rows,
                "facts": self.facts}


class RecordedBenchmark(d2l.Benchmark):
    """``d2l.Benchmark`` that appends ``{section, label, seconds}`` to a report."""

    def __init__(self, report: Report, label: str) -> None:
        super().__init__(label)
        self.report = report

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        if exc[0] is None:
            self.report.rows.append({"section": self.report.section, "label": self.description,
                                     "seconds": self.elapsed})


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def cli(run: Any, doc: str | None) -> None:
    """The command line of an example: ``[--scale S] [--json OUT]``."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=SCALES, help="sizes (default: $NDENGINE_EXAMPLE_SCALE "
                    "or 'default')")
    ap.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = ap.parse_args()
    report = run(args.scale)
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_json(), indent=1, default=str))
