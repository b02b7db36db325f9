"""Names ndengine's np had before the np-routines work, against MXNet 1.9.1: reductions,
cumsum, unique/nonzero, rounding, NDArray methods."""
from _diff import case


@case
def reductions_dtypes(mx, np, npx):
    i = np.array([1, 2, 3], dtype='int32')
    x = np.array([[1., 2.], [3., 4.]])
    return (i.sum(), i.prod(), i.mean(), i.max(), np.cumsum(i), x.std(axis=0),
            x.var(ddof=1), np.average(x, axis=0, weights=np.array([1., 3.])),
            np.count_nonzero(x > 1, axis=0), np.argmax(x, axis=1), x.argmin())


@case
def unique_nonzero_where(mx, np, npx):
    x = np.array([3., 1., 3., 0.])
    return (np.unique(x), np.unique(x, return_counts=True), np.nonzero(x), x.nonzero(),
            np.where(x > 1, x, -1.), np.argwhere(x), np.flatnonzero(x))


@case
def rounding_and_clip(mx, np, npx):
    x = np.array([-1.55, 0.5, 1.5, 2.45])
    return (np.round(x, 1), x.round(), np.around(x), np.fix(x), np.trunc(x),
            np.clip(x, -1., 1.), x.clip(0., 2.), np.floor(x), np.ceil(x))


@case(differs="rint rounds halves to even, as NumPy (MXNet's rint(1.5) is 1)")
def rint_halves(mx, np, npx):
    return np.rint(np.array([-1.55, 0.5, 1.5, 2.45, 2.5]))


@case
def ndarray_methods(mx, np, npx):
    x = np.arange(6.).reshape(2, 3)
    return (x.take(np.array([1, 4], dtype='int64')), x.repeat(2, axis=0), x.item(4),
            x.tolist(), x.flatten(), x.cumsum(axis=1), x.T, x.swapaxes(0, 1), x.argsort(axis=0))


@case
def linalg_existing(mx, np, npx):
    a = np.array([[4., 1.], [1., 3.]])
    return (np.linalg.norm(a), np.linalg.inv(a), np.linalg.det(a), np.linalg.slogdet(a),
            np.linalg.solve(a, np.array([1., 2.])), np.linalg.eigvalsh(a), np.trace(a),
            np.outer(a[0], a[1]))
