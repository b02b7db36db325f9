"""MXNet 1.9.1's np routines (sorting, indexing routines, editing, statistics, math
extras, linalg additions): values, dtypes, shapes, errors."""
from _diff import case


@case
def sort_argsort(mx, np, npx):
    x = np.array([[3., 1., 2.], [0., 5., 4.]])
    return (np.sort(x), np.sort(x, axis=0), np.sort(x, axis=None), np.argsort(x),
            np.argsort(x, axis=0), x.argsort(), np.sort(np.array([3, 1, 2], dtype='int32')))


@case
def sort_gradient(mx, np, npx):
    x = np.array([[3., 1., 2.], [5., 4., 0.5]])
    x.attach_grad()
    with mx.autograd.record():
        y = (np.sort(x, axis=1) * np.array([1., 2., 3.])).sum()
    y.backward()
    return x.grad


@case
def searchsorted_partition(mx, np, npx):
    a = np.array([1., 2., 2., 3.])
    x = np.array([[3., 1., 2., 0.], [0., 5., 4., 1.]])
    p = np.partition(x, 1, axis=1)
    return (np.searchsorted(a, np.array([2., 0.1, 9.])),
            np.searchsorted(a, np.array([2.]), side='right'),
            p[:, 1], np.argpartition(x, 1, axis=1)[:, 1])


@case
def take_along_axis_values(mx, np, npx):
    x = np.arange(6.).reshape(2, 3)
    return (np.take_along_axis(x, np.array([[0, 2], [1, 0]], dtype='int64'), axis=1),
            np.take_along_axis(x, np.array([0, 5], dtype='int64'), axis=None))


@case
def diag_tril_diagonal(mx, np, npx):
    x = np.arange(12.).reshape(3, 4)
    v = np.array([1., 2., 3.])
    return (np.diag(x), np.diag(x, 1), np.diag(v, -1), np.diagflat(x[:2, :2], 1),
            np.diagonal(np.arange(24.).reshape(2, 3, 4), 1, 1, 2), np.tril(x, -1),
            np.tril(v), np.tril(x.astype('int32'), 1))


@case
def diag_tril_gradients(mx, np, npx):
    x = np.arange(9.).reshape(3, 3)
    x.attach_grad()
    with mx.autograd.record():
        y = (np.diag(x) * np.array([1., 2., 3.])).sum() + (np.tril(x) * x).sum()
    y.backward()
    return x.grad


@case
def index_grids(mx, np, npx):
    return (np.tril_indices_from(np.ones((3, 4)), k=1), np.triu_indices_from(np.ones((3, 3))),
            np.diag_indices_from(np.ones((3, 3))), np.indices((2, 3)),
            np.unravel_index(np.array([5, 7], dtype='int64'), (3, 4)))


@case
def append_insert_delete(mx, np, npx):
    x = np.arange(6.).reshape(2, 3)
    v = np.array([1., 2., 3.])
    return (np.append(x, np.ones((1, 3)), axis=0), np.append(v, v),
            np.insert(v, np.array([0, 2], dtype='int64'), np.array([7., 8.])),
            np.insert(x, 1, 5.), np.delete(v, slice(0, 2)),
            np.delete(v, np.array([1], dtype='int64')), np.delete(x, 1))


@case
def diff_ediff_resize_rollaxis(mx, np, npx):
    x = np.arange(6.).reshape(2, 3) ** 2
    return (np.diff(x), np.diff(x, n=2, axis=1), np.diff(np.array([1, 5, 2], dtype='int32')),
            np.ediff1d(x, to_begin=np.array([9.]), to_end=7.),
            np.resize(np.array([1., 2., 3.]), (2, 4)),
            np.rollaxis(np.ones((2, 3, 4)), 2).shape, np.dsplit(np.ones((2, 2, 4)), 2)[0].shape,
            np.row_stack([x[0], x[1]]))


@case
def pad_modes(mx, np, npx):
    x = np.arange(6.).reshape(2, 3)
    return (np.pad(x, ((1, 1), (2, 0))), np.pad(x, ((1, 1), (2, 0)), mode='edge'),
            np.pad(x, ((1, 1), (2, 1)), mode='reflect'),
            np.pad(x, ((1, 1), (2, 1)), mode='symmetric'),
            np.pad(x, ((1, 1), (2, 1)), mode='maximum'),
            np.pad(x.astype('int32'), ((1, 1), (2, 1))))


@case
def percentile_quantile(mx, np, npx):
    x = np.arange(6.).reshape(2, 3)
    return (np.percentile(x, 50), np.percentile(x, np.array([25., 75.]), axis=1),
            np.percentile(x, 25, axis=0, keepdims=True),
            np.percentile(np.array([1, 2, 3, 4], dtype='int32'), 30),
            np.quantile(x, 0.3, interpolation='lower'), np.quantile(x, 0.3, interpolation='higher'),
            np.quantile(x, 0.3, interpolation='midpoint'),
            np.quantile(x, 0.3, interpolation='nearest'))


@case
def nan_functions(mx, np, npx):
    y = np.array([[1., np.nan, 3.], [4., 5., 6.]])
    return (np.nanmax(y, axis=1), np.nanmin(y, axis=0), np.nanprod(y, axis=0),
            np.nancumsum(y), np.nancumprod(y), np.nanmedian(y, axis=1), np.ptp(y[1:], axis=1))


@case(differs="0-d ndengine arrays where MXNet's NumPy fallback gives NumPy scalars")
def fallback_reductions_to_scalar(mx, np, npx):
    a = np.array([[4., 1.], [1., 3.]])
    return (np.nanmax(np.array([1., np.nan, 3.])), np.alltrue(a > 0), np.linalg.cond(a),
            np.ptp(a), np.trapz(a[0]), np.count_nonzero(a > 1))


@case
def nanargmax_all_nan_error(mx, np, npx):
    return np.nanargmax(np.array([np.nan])).item()


@case
def histogram_bincount_digitize(mx, np, npx):
    v = np.array([1., 2., 2., 3.])
    return (np.histogram(v, bins=3, range=(0., 4.)),
            np.histogram(v, bins=np.array([0., 1.5, 4.])),
            np.bincount(np.array([0, 1, 1, 3], dtype='int64')),
            np.bincount(np.array([0, 1, 1], dtype='int32'), minlength=5),
            np.bincount(np.array([0, 1, 1], dtype='int64'), weights=np.array([1., 2., 3.])),
            np.digitize(v, np.array([1.5, 2.5])),
            np.digitize(v, np.array([1., 2.]), right=True))


@case
def cov_corrcoef_interp(mx, np, npx):
    x = np.array([[0., 1., 3.], [2., 2., 5.]])
    return (np.cov(x), np.cov(x, rowvar=False), np.corrcoef(x),
            np.interp(np.array([-1., 1.5, 5.]), np.array([0., 2.]), np.array([0., 10.])),
            np.correlate(np.array([1., 2., 3.]), np.array([1., 0.5]), mode='full'))


@case
def math_extras(mx, np, npx):
    a = np.array([3.5, -1.25, 2.])
    return (np.modf(a), np.frexp(a), np.divmod(a, 2.), np.heaviside(a - 2, 0.5),
            np.spacing(a), np.fabs(a), np.fabs(np.array([-1, 2], dtype='int32')),
            np.i0(a), np.real(a), np.round_(a + 0.26, 1), np.product(a),
            np.sometrue(a > 3), np.unwrap(np.array([0., 3.5, 7.])), np.array_equiv(a, a))


@case
def creation_extras(mx, np, npx):
    v = np.array([1., 2., 3.])
    return (np.logspace(0, 2, 3), np.logspace(0, 2, 3, dtype='int32'),
            np.logspace(0, 3, 4, base=2, endpoint=False), np.meshgrid(v, v[:2]),
            np.meshgrid(v, v[:2], indexing='ij'), np.hamming(4), np.hanning(5),
            np.blackman(5), np.vander(v, 3), np.indices((2,), dtype='int64'))


@case
def polynomials(mx, np, npx):
    p = np.array([1., -3., 2.])
    q = np.array([1., 1.])
    return (np.polyval(p, np.array([0., 1., 3.])), np.polyadd(p, q), np.polysub(p, q),
            np.polymul(p, q), np.polydiv(p, q), np.polyint(p), np.roots(p),
            np.poly(np.array([1., 2.])), np.polyfit(np.array([0., 1., 2.]), np.array([1., 3., 5.]), 1))


@case
def sets_and_selection(mx, np, npx):
    a = np.array([3., 1., 2., 5.])
    b = np.array([1., 7., 3.])
    return (np.isin(a, b), np.in1d(a, b, invert=True), np.intersect1d(a, b),
            np.setdiff1d(a, b), np.setxor1d(a, b), np.union1d(a, b),
            np.compress(np.array([True, False, True, False]), a), np.extract(a > 2, a),
            np.select([a > 2], [a]), np.piecewise(a, [a > 2], [1., 0.]),
            np.choose(np.array([0, 1], dtype='int64'), [a[:2], b[:2]]),
            np.trim_zeros(np.array([0., 1., 0., 2., 0.])))


@case
def linalg_additions(mx, np, npx):
    a = np.array([[4., 1., 0.], [1., 3., 1.], [0., 1., 2.]])
    return (np.linalg.matrix_power(a, 3), np.linalg.multi_dot([a, a, a]),
            np.linalg.tensorinv(a, ind=1), np.linalg.tensorsolve(a, np.ones((3,))),
            np.sort(np.linalg.eigvals(a)))


@case(values=False)
def random_new_samplers(mx, np, npx):
    return (np.random.chisquare(2.0, size=(3,)), np.random.pareto(2.0, size=(2, 2)),
            np.random.power(2.0, size=(3,)), np.random.rayleigh(1.0, size=(3,)),
            np.random.weibull(1.5, size=(3,)),
            np.random.multivariate_normal(np.zeros(2), np.eye(2), size=(4,)))


@case
def genfromtxt_csv(mx, np, npx):
    import io
    return np.genfromtxt(io.StringIO("1,2\n3,nan\n"), delimiter=',')


@case
def take_along_axis_float_index_error(mx, np, npx):
    return np.take_along_axis(np.ones((2, 2)), np.array([[0., 1.]]), axis=1)


@case
def dsplit_2d_error(mx, np, npx):
    return np.dsplit(np.ones((2, 2)), 2)


@case
def einsum_ellipsis_and_diagonals(mx, np, npx):
    a = np.arange(24.).reshape(2, 3, 4) / 10
    b = np.arange(8.).reshape(4, 2) / 10 - 0.3
    m = np.arange(18.).reshape(2, 3, 3) / 10
    out = [np.einsum('...ij,...jk->...ik', a, b), np.einsum('...ij,jk', a, b),
           np.einsum('i...->...', a), np.einsum('...ii->...i', m), np.einsum('...ii', m),
           np.einsum('ii', m[0])]
    for spec, args in (('...ij,...jk->...ik', (a, b)), ('...ii,...i->...', (m, a[:, :, 0]))):
        for x in args:
            x.attach_grad()
        with mx.autograd.record():
            y = (np.einsum(spec, *args) ** 2).sum()
        y.backward()
        out += [x.grad for x in args]
    return out
