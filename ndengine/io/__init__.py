"""``mx.io``: MXNet 1.9.1's data iterators.

``NDArrayIter`` (in-memory arrays), ``CSVIter`` (CSV files), ``ResizeIter``,
``PrefetchingIter`` and the ``DataIter`` / ``DataBatch`` / ``DataDesc`` they are made
of.  Batches hold legacy ``mx.nd`` arrays, as in MXNet.  (The C++ record iterators —
``ImageRecordIter``, ``MNISTIter``, ``LibSVMIter`` — are not here; for images use
``mx.gluon.data`` or ``mx.image``.)
"""
from . import io
from .csv_iter import CSVIter
from .io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter, ResizeIter

__all__ = ["CSVIter", "DataBatch", "DataDesc", "DataIter", "NDArrayIter", "PrefetchingIter",
           "ResizeIter", "io"]
