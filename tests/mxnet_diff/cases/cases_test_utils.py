"""mx.test_utils against MXNet 1.9.1: which comparisons pass (MXNet's per-dtype default
tolerances), the tolerance tables, the random helpers' kinds, the default device,
assert_exception, environment."""
from _diff import case


def _passes(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        return True
    except AssertionError:
        return False


@case
def assert_almost_equal_default_tolerances_per_dtype(mx, np, npx):
    T = mx.test_utils
    out = []
    for dt in ("float16", "float32", "float64"):
        a = np.array([1.0, 2.0, 3.0], dtype=dt)
        for eps in (1e-6, 5e-5, 5e-4, 5e-3, 5e-2):
            out.append(_passes(T.assert_almost_equal, a, a + eps))
    return out


@case
def assert_almost_equal_mixed_kinds_and_dtypes(mx, np, npx):
    import numpy as onp

    T = mx.test_utils
    a32 = np.array([1.0, 2.0])
    a64 = onp.array([1.0, 2.0]) + 5e-5
    return (_passes(T.assert_almost_equal, a32, a64),          # float32's 1e-4 wins
            _passes(T.assert_almost_equal, onp.array([1.0, 2.0]), a64),
            _passes(T.assert_almost_equal, np.array([1, 2]), np.array([1, 2])),
            _passes(T.assert_almost_equal, np.array([1, 2], dtype="int32"),
                    onp.array([1, 3], dtype="int32")),
            _passes(T.assert_almost_equal, 1.0, 1.0 + 1e-6),
            _passes(T.assert_almost_equal, mx.nd.array([1.0, 2.0]), onp.array([1.0, 2.00001])))


@case
def assert_almost_equal_explicit_tolerances_nan_broadcast(mx, np, npx):
    import numpy as onp

    T = mx.test_utils
    a = onp.array([1.0, onp.nan, 3.0])
    return (_passes(T.assert_almost_equal, a, a),
            _passes(T.assert_almost_equal, a, a, equal_nan=True),
            _passes(T.assert_almost_equal, np.ones((2, 3)), np.ones((3,))),
            _passes(T.assert_almost_equal, np.ones((2, 3)), np.ones((3,)), use_broadcast=False),
            _passes(T.assert_almost_equal, np.array([1.0]), np.array([1.1]), rtol=0.2),
            _passes(T.assert_almost_equal, np.array([1.0]), np.array([1.1]), atol=0.05, rtol=0),
            _passes(T.assert_almost_equal, np.array([1.0]), np.array([1.05]),
                    rtol={onp.dtype("float32"): 0.1}),
            _passes(T.assert_allclose, onp.array([1.0]), onp.array([1.0 + 1e-8])),
            _passes(T.assert_allclose, onp.array([1.0]), onp.array([1.0 + 1e-6])),
            _passes(T.assert_almost_equal, onp.array([True, False]), onp.array([True, False])))


@case
def almost_equal_and_same(mx, np, npx):
    import numpy as onp

    T = mx.test_utils
    a = onp.array([1.0, 2.0])
    return (T.almost_equal(a, a + 1e-6), T.almost_equal(a, a + 1e-4),
            T.almost_equal(a, a + 1e-4, rtol=1e-3), T.same(a, a.copy()), T.same(a, a + 1),
            T.same(a, a[:1]))


@case
def assert_almost_equal_ignore_nan_and_with_err(mx, np, npx):
    import numpy as onp

    T = mx.test_utils
    a = onp.array([1.0, onp.nan, 3.0, 4.0])
    b = onp.array([1.0, 2.0, onp.nan, 4.0])
    c = onp.array([1.0, 2.0, 3.0, 9.0])
    d = onp.array([1.0, 2.0, 3.0, 4.0])
    return (_passes(T.assert_almost_equal_ignore_nan, a, b),
            _passes(T.assert_almost_equal_with_err, c, d, etol=0.3),
            _passes(T.assert_almost_equal_with_err, c, d, etol=0.2),
            _passes(T.assert_almost_equal_with_err, c, d))


@case
def tolerance_tables(mx, np, npx):
    import numpy as onp

    T = mx.test_utils
    f = [onp.dtype(t) for t in ("float16", "float32", "float64")]
    return ([T.default_rtols()[d] for d in f], [T.default_atols()[d] for d in f],
            [T.default_numeric_eps()[d] for d in f], T.get_rtol(), T.get_atol(), T.get_etol(),
            T.get_rtol(0.5), T.get_tols(np.ones(2, dtype="float16"), onp.ones(2), None, None),
            T.get_tolerance(onp.ones(2, "float32"), {onp.dtype("float32"): 0.3}, T.default_rtols()),
            T.default_dtype() is onp.float32)


@case(values=False)
def random_helpers_kinds_and_shapes(mx, np, npx):
    T = mx.test_utils
    a = T.rand_ndarray((2, 3))
    b = T.rand_ndarray((4,), dtype="float64")
    s2, s3, sn = T.rand_shape_2d(), T.rand_shape_3d(4, 5, 6), T.rand_shape_nd(4, dim=3)
    r = T.random_arrays((2, 3), (4,), ())
    u = T.random_uniform_arrays((2,), low=-1, high=1)
    return (a, b, type(a).__name__, len(s2), len(s3), len(sn),
            all(1 <= d <= 10 for d in s2), all(1 <= d <= 3 for d in sn), r, u,
            len(T.random_sample(list(range(10)), 4)))


@case
def default_context_and_set(mx, np, npx):
    T = mx.test_utils
    before = str(T.default_context())
    with mx.cpu(2):
        inside = str(T.default_context())
        T.set_default_context(mx.cpu(3))
        changed = str(T.default_context())
    after = str(T.default_context())
    T.set_default_context(mx.cpu(1))
    set_at_top = str(T.default_context())
    made = str(mx.nd.zeros((1,)).context)
    T.set_default_context(mx.cpu(0))
    return before, inside, changed, after, set_at_top, made


@case
def assert_exception_passes_and_fails(mx, np, npx):
    T = mx.test_utils

    def boom(x, y=0):
        raise ValueError(x + y)
    T.assert_exception(boom, ValueError, 1, y=2)
    try:
        T.assert_exception(lambda: None, ValueError)
        no_raise = "passed"
    except AssertionError:
        no_raise = "AssertionError"
    try:
        T.assert_exception(boom, KeyError, 1)
        other = "passed"
    except ValueError:
        other = "ValueError"
    return no_raise, other


@case
def environment_sets_and_restores(mx, np, npx):
    import os

    T = mx.test_utils
    os.environ["NDE_T_A"] = "1"
    os.environ.pop("NDE_T_B", None)
    with T.environment({"NDE_T_A": None, "NDE_T_B": "2"}):
        inside = (os.environ.get("NDE_T_A"), os.environ.get("NDE_T_B"))
    with T.environment("NDE_T_B", "3"):
        single = os.environ.get("NDE_T_B")
    after = (os.environ.get("NDE_T_A"), os.environ.get("NDE_T_B"))
    del os.environ["NDE_T_A"]
    return [str(v) for v in inside], single, [str(v) for v in after]


@case
def np_reduce_and_collapse_sum_like(mx, np, npx):
    import numpy as onp

    T = mx.test_utils
    x = onp.arange(24.0).reshape(2, 3, 4)
    return (T.np_reduce(x, (0, 2), True, onp.sum), T.np_reduce(x, 1, False, onp.max),
            T.np_reduce(x, None, False, onp.sum), T.collapse_sum_like(x, (3, 1)),
            T.collapse_sum_like(x, (1, 3, 4)))


@case
def same_array_sees_shared_memory(mx, np, npx):
    T = mx.test_utils
    a = mx.nd.ones((2, 2))
    return T.same_array(a, a), T.same_array(a, a.copy()), a
