"""Compare what a case returned on ndengine with what it returned on MXNet 1.9.1 (the
fixture's JSON: arrays as {"array", "dtype"}, everything else as JSON values)."""
import numpy as onp
import pytest


def check(got, want, where):
    if isinstance(want, dict) and "array" in want:
        got = onp.asarray(got)
        assert str(got.dtype) == want["dtype"], where
        onp.testing.assert_allclose(got, onp.array(want["array"], dtype=want["dtype"]),
                                    rtol=1e-5, atol=1e-6, err_msg=where)
    elif isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for k in want:
            check(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            check(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-5), where
    else:
        assert got == want, where
