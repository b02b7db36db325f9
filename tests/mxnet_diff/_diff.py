"""Differential tests against real MXNet 1.9.1: the case format, its encoding, the comparison.

A *case* is a function ``case(mx, np, npx)`` in a ``cases/cases_*.py`` module that
returns what a user would look at (arrays, scalars, strings, tuples/lists/dicts of
them) or raises.  ``make_fixtures.py`` runs every case on real MXNet (in a side
virtualenv: ``pip install mxnet==1.9.1 numpy==1.23.5``) and writes what came out to
``fixtures/<module>.npz``; ``test_against_mxnet.py`` runs the same case on ndengine
(through ``alias_as_mxnet()``) and compares: the kind of each value (np array, legacy
NDArray, NumPy array, Python scalar...), dtypes, shapes, values, and, for a case that
raises, the kind of error.  A case whose source changed since its fixture was made
fails until the fixtures are made again, so a fixture never goes stale silently.

This module is imported by both sides: it imports neither mxnet nor ndengine, and runs
on Python 3.10+ with NumPy 1.23 or 2.

Options (``@case(...)``):
  values=False   compare kinds, dtypes and shapes only (random numbers: the generators
                 differ)
  rtol, atol     for float values (defaults 1e-5, 1e-6)
  mode="nd"      run with MXNet's np mode off (``npx.reset_np()``), for legacy
                 ``mx.nd`` code; default "np" (``npx.set_np()``)
  message=None   a regular expression both error messages must match (errors only)
  differs=None   ndengine differs from MXNet on purpose here: the reason, in a few
                 words.  The test then checks that the results do differ (so the note
                 cannot go stale) and that docs/mxnet-differences.md names the case.
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import numpy as onp

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
FIXTURES_DIR = HERE / "fixtures"

DEFAULTS = {"values": True, "rtol": 1e-5, "atol": 1e-6, "mode": "np", "message": None,
            "differs": None}


def case(fn: Callable | None = None, **options: Any) -> Any:
    """Mark *fn* as a differential case (``@case`` or ``@case(values=False, ...)``)."""
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"case: unknown options {sorted(unknown)}")

    def mark(f: Callable) -> Callable:
        f.__diff_case__ = {**DEFAULTS, **options}
        return f
    return mark(fn) if fn is not None else mark


def case_modules() -> list[Path]:
    return sorted(CASES_DIR.glob("cases_*.py"))


def load_cases(path: Path) -> dict[str, Callable]:
    """The cases of one module, by name, in source order."""
    name = f"_mxdiff_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    found = [(f.__code__.co_firstlineno, n, f) for n, f in vars(mod).items()
             if callable(f) and hasattr(f, "__diff_case__")]
    return {n: f for _, n, f in sorted(found)}


def source_hash(fn: Callable) -> str:
    """What the fixture was made from: the case's source and options."""
    src = textwrap.dedent(inspect.getsource(fn))
    text = src + json.dumps(fn.__diff_case__, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- encoding
def _kind_of_array(x: Any, mx: Any) -> str | None:
    """'np' (mx.np.ndarray), 'nd' (mx.nd.NDArray), 'numpy' or None."""
    if isinstance(x, mx.np.ndarray):
        return "np"
    if isinstance(x, mx.nd.NDArray):
        return "nd"
    if isinstance(x, onp.ndarray):
        return "numpy"
    return None


def encode(x: Any, mx: Any, arrays: dict[str, Any], prefix: str) -> Any:
    """A JSON description of *x*; array values go into *arrays* under fresh keys."""
    kind = _kind_of_array(x, mx)
    if kind is not None:
        key = f"{prefix}/{len(arrays)}"
        arrays[key] = x if kind == "numpy" else x.asnumpy()
        return {"t": "array", "kind": kind, "key": key, "dtype": str(arrays[key].dtype),
                "shape": list(arrays[key].shape)}
    if isinstance(x, onp.generic):
        return {"t": "npscalar", "dtype": str(x.dtype), "v": _scalar(x.item())}
    if isinstance(x, bool) or x is None:
        return {"t": "py", "type": type(x).__name__, "v": x}
    if isinstance(x, (int, float, complex)):
        return {"t": "py", "type": type(x).__name__, "v": _scalar(x)}
    if isinstance(x, str):
        return {"t": "str", "v": x}
    if isinstance(x, onp.dtype) or (isinstance(x, type) and issubclass(x, onp.generic)):
        return {"t": "dtype", "v": str(onp.dtype(x))}
    if isinstance(x, (list, tuple)):
        return {"t": type(x).__name__, "items": [encode(v, mx, arrays, prefix) for v in x]}
    if isinstance(x, dict):
        return {"t": "dict", "items": {str(k): encode(v, mx, arrays, prefix)
                                       for k, v in x.items()}}
    raise TypeError(f"a case returned a {type(x).__name__}, which the fixtures cannot hold: "
                    f"return arrays, scalars, strings, dtypes, or lists/tuples/dicts of them")


def _scalar(v: Any) -> Any:
    if isinstance(v, complex):
        return [v.real, v.imag]
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return repr(v)
    return v


def encode_error(e: BaseException) -> dict:
    return {"t": "error", "type": type(e).__name__,
            "mro": [c.__name__ for c in type(e).__mro__], "msg": str(e)[:2000]}


def run_case(fn: Callable, mx: Any, np: Any, npx: Any) -> tuple[dict, dict]:
    """(description, arrays) of what *fn* gives on the ``mx`` it is handed."""
    arrays: dict[str, Any] = {}
    try:
        out = fn(mx, np, npx)
        desc = encode(out, mx, arrays, fn.__name__)
    except Exception as e:          # noqa: BLE001  (the error is the result)
        arrays.clear()
        desc = encode_error(e)
    return desc, arrays


# ----------------------------------------------------------------------------- fixtures
def fixture_path(module: Path) -> Path:
    return FIXTURES_DIR / (module.stem + ".npz")


def save_fixture(module: Path, results: dict[str, tuple[dict, dict, str]], versions: dict) -> None:
    arrays: dict[str, Any] = {}
    meta = {"versions": versions, "cases": {}}
    for name, (desc, arrs, h) in results.items():
        meta["cases"][name] = {"hash": h, "result": desc}
        arrays.update(arrs)
    arrays["__meta__"] = onp.array(json.dumps(meta))    # dict results keep their key order
    FIXTURES_DIR.mkdir(exist_ok=True)
    onp.savez_compressed(fixture_path(module), **arrays)


def load_fixture(module: Path) -> tuple[dict, Any]:
    data = onp.load(fixture_path(module), allow_pickle=False)
    return json.loads(str(data["__meta__"])), data


# ----------------------------------------------------------------------------- compare
def compare(want: dict, want_arrays: Any, got: dict, got_arrays: dict, opts: dict,
            where: str = "result") -> None:
    """Raise AssertionError naming the first difference between MXNet's result *want*
    and ndengine's *got*."""
    if want["t"] == "error" or got["t"] == "error":
        _compare_errors(want, got, opts, where)
        return
    assert got["t"] == want["t"], f"{where}: MXNet gave a {want['t']}, ndengine a {got['t']}" \
        + (f" ({got.get('v', got.get('kind', ''))})" if got["t"] != "array" else "")
    t = want["t"]
    if t == "array":
        assert got["kind"] == want["kind"], \
            f"{where}: MXNet gave a {want['kind']} array, ndengine a {got['kind']} array"
        assert got["dtype"] == want["dtype"], \
            f"{where}: dtype {got['dtype']} where MXNet gives {want['dtype']}"
        assert got["shape"] == want["shape"], \
            f"{where}: shape {tuple(got['shape'])} where MXNet gives {tuple(want['shape'])}"
        if opts["values"]:
            _close(want_arrays[want["key"]], got_arrays[got["key"]], opts, where)
    elif t in ("npscalar", "py"):
        key = "dtype" if t == "npscalar" else "type"
        assert got[key] == want[key], f"{where}: {got[key]} scalar where MXNet gives {want[key]}"
        if opts["values"]:
            _close(onp.array(_unscalar(want["v"])), onp.array(_unscalar(got["v"])), opts, where)
    elif t in ("str", "dtype"):
        assert got["v"] == want["v"], f"{where}: {got['v']!r} where MXNet gives {want['v']!r}"
    elif t in ("list", "tuple"):
        assert len(got["items"]) == len(want["items"]), \
            f"{where}: {len(got['items'])} items where MXNet gives {len(want['items'])}"
        for i, (w, g) in enumerate(zip(want["items"], got["items"])):
            compare(w, want_arrays, g, got_arrays, opts, f"{where}[{i}]")
    elif t == "dict":
        assert list(got["items"]) == list(want["items"]), \
            f"{where}: keys {list(got['items'])} where MXNet gives {list(want['items'])}"
        for k in want["items"]:
            compare(want["items"][k], want_arrays, got["items"][k], got_arrays, opts,
                    f"{where}[{k!r}]")
    else:
        raise AssertionError(f"{where}: unknown fixture entry {t!r}")


def _unscalar(v: Any) -> Any:
    if isinstance(v, str):
        return float(v)
    if isinstance(v, list):
        return complex(*v)
    return v


def _close(want: Any, got: Any, opts: dict, where: str) -> None:
    if want.dtype.kind in "fc":
        ok = onp.allclose(got, want, rtol=opts["rtol"], atol=opts["atol"], equal_nan=True)
    else:
        ok = onp.array_equal(got, want)
    assert ok, f"{where}: values differ from MXNet's\n  MXNet:    {want!r}\n  ndengine: {got!r}"


def _compare_errors(want: dict, got: dict, opts: dict, where: str) -> None:
    if want["t"] != "error":
        raise AssertionError(f"{where}: ndengine raised {got['type']}: {got['msg']} where "
                             f"MXNet gives a {want['t']}")
    if got["t"] != "error":
        raise AssertionError(f"{where}: MXNet raises {want['type']}: {want['msg'][:300]} where "
                             f"ndengine gives a {got['t']}")
    # ndengine's errors are MXNetError and the builtin kind at once (ShapeError is an
    # MXNetError and a ValueError): the error must be of MXNet's class, by name
    assert want["type"] in got["mro"], \
        f"{where}: ndengine raised {got['type']} ({got['msg']}) where MXNet raises " \
        f"{want['type']} ({want['msg'][:300]})"
    if opts["message"]:
        for side, d in (("MXNet", want), ("ndengine", got)):
            assert re.search(opts["message"], d["msg"]), \
                f"{where}: {side}'s message {d['msg'][:300]!r} does not match {opts['message']!r}"
