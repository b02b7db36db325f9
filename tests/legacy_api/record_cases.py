"""Run one ``*_cases.py`` module of this folder on real MXNet 1.9.1 and save what each
case returns as JSON (arrays as ``{"array", "dtype"}``, NumPy scalars as Python ones),
for its test to compare with (``compare.check``).  The ``make_*_fixtures.py`` scripts
in tests/fixtures call :func:`record`; run them with the peer's Python."""
import json

import numpy as np


def plain(v):
    if isinstance(v, np.ndarray):
        return {"array": v.tolist(), "dtype": str(v.dtype)}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def record(cases, path, name_manager=True, indent=None):
    """Run every case of *cases* (name -> function) and write their results to *path*.
    With *name_manager*, each runs in a fresh ``mx.name.NameManager()``, so auto-names
    are counted per case (the tests run them in any order)."""
    import contextlib

    import mxnet as mx

    out = {}
    for name, fn in cases.items():
        with (mx.name.NameManager() if name_manager else contextlib.nullcontext()):
            out[name] = plain(fn())
    with open(path, "w") as f:
        json.dump(out, f, indent=indent, sort_keys=True)
    print("wrote", path)
