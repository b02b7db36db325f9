"""``mxnet.gluon.data``: datasets, samplers and the DataLoader."""
from . import sampler
from .dataloader import DataLoader, default_batchify_fn, default_mp_batchify_fn
from .dataset import ArrayDataset, Dataset, SimpleDataset
from .sampler import (BatchSampler, FilterSampler, IntervalSampler, RandomSampler, Sampler,
                      SequentialSampler)

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "DataLoader", "default_batchify_fn",
           "default_mp_batchify_fn", "Sampler", "SequentialSampler", "RandomSampler",
           "FilterSampler", "BatchSampler", "IntervalSampler", "sampler"]
