"""``alias_as_mxnet()``: every ``mxnet.X.Y`` is the one ndengine module for it.

Each check runs in a fresh interpreter: the alias changes ``sys.meta_path`` and
``sys.modules`` for the whole process.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ndengine.compat import ndengine_name


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("mx_name, nd_name", [
    ("mxnet", "ndengine"),
    ("mxnet.np", "ndengine.numpy"),
    ("mxnet.numpy.random", "ndengine.numpy.random"),
    ("mxnet.np.linalg", "ndengine.numpy.linalg"),
    ("mxnet.numpy_extension", "ndengine.npx"),
    ("mxnet.gluon.data.vision", "ndengine.gluon.data.vision"),
    ("mxnet.initializer", "ndengine.init"),
    ("mxnet.nd", "ndengine.ndarray"),
    ("mxnet.ndarray", "ndengine.ndarray"),
    ("mxnet.nd.random", "ndengine.legacy.random"),
    ("mxnet.ndarray.ndarray", "ndengine.ndarray.ndarray"),
])
def test_names_map_to_one_ndengine_module(mx_name, nd_name):
    assert ndengine_name(mx_name) == nd_name


def test_one_module_object_per_name_never_a_second_copy():
    out = _run("""
        import sys, ndengine
        ndengine.alias_as_mxnet()
        from mxnet.numpy.random import multinomial      # once imported a second copy
        import mxnet.numpy.random, mxnet.np.random, mxnet.gluon.data, mxnet.initializer
        import ndengine.numpy.random as r
        assert mxnet.numpy.random is r and sys.modules["mxnet.np.random"] is r
        assert multinomial is r.multinomial
        assert sys.modules["mxnet.gluon.data"] is ndengine.gluon.data
        assert sys.modules["mxnet.initializer"] is ndengine.init
        # the modules keep their own names and specs (relative imports stay quiet)
        assert r.__name__ == r.__spec__.name == "ndengine.numpy.random"
        copies = [k for k, m in sys.modules.items() if k.startswith("mxnet")
                  and not getattr(m, "__name__", "").startswith("ndengine")]
        assert not copies, copies
        print("ok")
    """)
    assert out.strip() == "ok"


def test_a_module_ndengine_lacks_says_so():
    out = _run("""
        import ndengine
        ndengine.alias_as_mxnet()
        try:
            import mxnet.no_such_module
        except ModuleNotFoundError as e:
            print(e.name, "|", e)
    """)
    name, msg = out.strip().split(" | ")
    assert name == "mxnet.no_such_module"
    assert "ndengine has no ndengine.no_such_module module" in msg


def test_alias_is_idempotent_and_importing_mxnet_first_still_works():
    out = _run("""
        import ndengine, sys
        a = ndengine.alias_as_mxnet()
        b = ndengine.alias_as_mxnet()
        assert a == b and sys.meta_path.count(sys.meta_path[0]) == 1
        import mxnet as mx
        from mxnet import gluon, autograd, np, npx
        assert mx is ndengine and mx.gluon is gluon and np is ndengine.np
        print(len(a) > 20, "mxnet.gluon.nn" in a)
    """)
    assert out.split() == ["True", "True"]


def test_a_foreign_mxnet_already_imported_is_refused():
    out = _run("""
        import sys, types, ndengine
        sys.modules["mxnet"] = types.ModuleType("mxnet")     # stands in for real MXNet
        try:
            ndengine.alias_as_mxnet()
        except ImportError as e:
            print("refused:", "before anything imports mxnet" in str(e))
    """)
    assert out.strip() == "refused: True"


def test_unalias_removes_the_finder_and_the_names():
    out = _run("""
        import sys, ndengine
        from ndengine.compat import unalias_mxnet
        ndengine.alias_as_mxnet()
        import mxnet.gluon
        unalias_mxnet()
        try:
            import mxnet
        except ModuleNotFoundError:
            print("gone", [k for k in sys.modules if k.startswith("mxnet")])
    """)
    assert out.strip() == "gone []"


def test_the_alias_imports_nothing_more():
    out = _run("""
        import sys, ndengine
        before = set(sys.modules)
        ndengine.alias_as_mxnet()
        new = sorted(m for m in set(sys.modules) - before if m.startswith("ndengine"))
        print(new)
    """)
    assert out.strip() == "[]"
