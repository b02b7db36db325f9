"""Run every differential case on real MXNet 1.9.1 and write ``fixtures/<module>.npz``.

Run it with the Python of a side virtualenv that has real MXNet (never ndengine's):

    python3.11 -m venv /tmp/mx && /tmp/mx/bin/pip install mxnet==1.9.1 numpy==1.23.5
    /tmp/mx/bin/python tests/mxnet_diff/make_fixtures.py            # every module
    /tmp/mx/bin/python tests/mxnet_diff/make_fixtures.py semantics  # cases_semantics.py

(``benchmarks/setup_peers.sh`` makes that virtualenv too.)  Each case runs in this
one process, in source order, with MXNet's np mode set as the case asks; the random
seed is reset before each (values of random cases are not compared anyway).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import _diff  # noqa: E402


def main(argv: list[str]) -> int:
    import mxnet as mx
    import numpy as onp

    if mx.__name__ != "mxnet" or "ndengine" in (getattr(mx, "__file__", "") or ""):
        print("make_fixtures: this must run on real MXNet, not ndengine", file=sys.stderr)
        return 2
    from mxnet import np, npx

    versions = {"mxnet": mx.__version__, "numpy": onp.__version__,
                "python": sys.version.split()[0]}
    modules = _diff.case_modules()
    if argv:
        wanted = {a if a.startswith("cases_") else f"cases_{a}" for a in argv}
        modules = [m for m in modules if m.stem in wanted]
        missing = wanted - {m.stem for m in modules}
        if missing:
            print(f"make_fixtures: no such case module: {sorted(missing)}", file=sys.stderr)
            return 2
    cwd = os.getcwd()
    for module in modules:
        results = {}
        for name, fn in _diff.load_cases(module).items():
            opts = fn.__diff_case__
            (npx.set_np if opts["mode"] == "np" else npx.reset_np)()
            mx.random.seed(0)
            with tempfile.TemporaryDirectory() as tmp:   # cases that write files
                os.chdir(tmp)
                try:
                    desc, arrays = _diff.run_case(fn, mx, np, npx)
                finally:
                    os.chdir(cwd)
            mx.nd.waitall()
            results[name] = (desc, arrays, _diff.source_hash(fn))
        _diff.save_fixture(module, results, versions)
        errors = sum(d["t"] == "error" for d, _, _ in results.values())
        print(f"{module.stem}: {len(results)} cases ({errors} raise on MXNet) -> "
              f"{_diff.fixture_path(module).relative_to(Path(cwd)) if _diff.fixture_path(module).is_relative_to(Path(cwd)) else _diff.fixture_path(module)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
