"""Run one of the seed chapters' examples with a device as the default (``with dev:``).

The chapters' code puts its arrays on the default device unless it names one (the
"Asynchronous Computation" chapter does not; "Automatic Parallelism" asks
``d2l.try_gpu()``), so ``scripts/gpu_check.sh`` runs the former under ``gpu(0)`` this
way:

    python scripts/gpu_run_example.py 'gpu(0)' examples/async_computation.py [--scale S] [--json OUT]
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gpu_bench import parse_device  # noqa: E402


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    dev = parse_device(sys.argv[1])
    script = Path(sys.argv[2]).resolve()
    dev.check_available()
    sys.path.insert(0, str(script.parent))       # the example's own imports (_common)
    sys.argv = [str(script), *sys.argv[3:]]
    with dev:
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
