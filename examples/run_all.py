"""The main job: run every example of the seed chapters end to end."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = ["engine_demo.py", "async_computation.py", "auto_parallelism.py"]


def main() -> int:
    for name in EXAMPLES:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n===== {name} =====", flush=True)
        sys.argv = [str(path)]
        runpy.run_path(str(path), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
