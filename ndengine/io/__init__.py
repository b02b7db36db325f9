"""``mx.io``: MXNet 1.9.1's data iterators.

``NDArrayIter`` (in-memory arrays), ``CSVIter`` (CSV files), ``ResizeIter``,
``PrefetchingIter``, ``ImageRecordIter`` / ``ImageRecordUInt8Iter`` (RecordIO image
files), ``MNISTIter`` and the ``DataIter`` / ``DataBatch`` / ``DataDesc`` they are made
of.  Batches hold legacy ``mx.nd`` arrays, as in MXNet.  (``LibSVMIter``, whose batches
are sparse, and the detection record iterator are not here.)
"""
from . import io
from .csv_iter import CSVIter
from .image_record import ImageRecordIter, ImageRecordUInt8Iter
from .mnist import MNISTIter
from .io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter, ResizeIter

__all__ = ["CSVIter", "DataBatch", "DataDesc", "DataIter", "ImageRecordIter",
           "ImageRecordUInt8Iter", "MNISTIter", "NDArrayIter", "PrefetchingIter",
           "ResizeIter", "io"]
