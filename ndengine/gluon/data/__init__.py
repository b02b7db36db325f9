"""``mxnet.gluon.data``: datasets, samplers and the DataLoader; ``vision`` (image
datasets and transforms) is imported on first use."""
import importlib as _importlib

from . import dataloader, dataset, sampler
from .dataloader import DataLoader, default_batchify_fn, default_mp_batchify_fn
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset
from .sampler import (BatchSampler, FilterSampler, IntervalSampler, RandomSampler, Sampler,
                      SequentialSampler)

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset", "DataLoader", "default_batchify_fn",
           "default_mp_batchify_fn", "Sampler", "SequentialSampler", "RandomSampler",
           "FilterSampler", "BatchSampler", "IntervalSampler", "sampler", "dataset", "dataloader",
           "vision"]


def __getattr__(name: str):
    if name == "vision":
        mod = _importlib.import_module(".vision", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"vision"})
