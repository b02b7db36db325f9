"""The names MXNet 1.9.1 implements by falling back to NumPy on the host
(``mxnet.numpy.fallback``).  Here they are ordinary ndengine functions (most are
asynchronous ops or composites; see each one's docstring for those that block); this
module re-exports them under MXNet's name.  NumPy's removed financial functions (npv,
pmt, ppmt, pv, rate, mirr), which MXNet lists but which only raise there, are not
provided."""
from __future__ import annotations

from . import (allclose, alltrue, apply_along_axis, apply_over_axes, argpartition, argwhere,  # noqa: F401
               array_equal, array_equiv, choose, compress, corrcoef, correlate, count_nonzero,
               cov, digitize, divmod, extract, flatnonzero, float_power, frexp, heaviside,
               histogram2d, histogram_bin_edges, histogramdd, i0, in1d, interp, intersect1d,
               isclose, isin, ix_, lexsort, min_scalar_type, modf, msort, nanargmax, nanargmin,
               nancumprod, nancumsum, nanmax, nanmedian, nanmin, nanpercentile, nanprod,
               nanquantile, nanstd, nansum, nanvar, ndim, packbits, partition, piecewise, poly,
               polyadd, polydiv, polyfit, polyint, polymul, polysub, positive, promote_types,
               ptp, real, result_type, rollaxis, roots, searchsorted, select, setdiff1d,
               setxor1d, signbit, size, spacing, take_along_axis, trapz, tril_indices_from,
               trim_zeros, triu_indices_from, union1d, unpackbits, unwrap, vander)

__all__ = [n for n in dir() if not n.startswith("_") and n != "annotations"]
