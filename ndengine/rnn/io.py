"""Data for ``mx.rnn`` language models: :func:`encode_sentences` and the bucketing
iterator :class:`BucketSentenceIter` (MXNet 1.9.1's, same shuffling: Python's
``random`` for the batch order and NumPy's global generator within buckets, so seeded
runs give MXNet's batches)."""
from __future__ import annotations

import bisect
import random
from typing import Any

import numpy as _onp

from ..io import DataBatch, DataDesc, DataIter

__all__ = ["encode_sentences", "BucketSentenceIter"]


def encode_sentences(sentences: Any, vocab: dict | None = None, invalid_label: int = -1,
                     invalid_key: str = "\n", start_label: int = 0,
                     unknown_token: str | None = None) -> tuple[list, dict]:
    """Each sentence (a list of tokens) as a list of ids, and the vocabulary: a new
    one (``invalid_key`` -> ``invalid_label``, then ids from ``start_label`` in order of
    appearance, skipping ``invalid_label``) when *vocab* is None; with a given vocab, an
    unknown token is an error unless ``unknown_token`` names its stand-in."""
    idx = start_label
    new_vocab = vocab is None
    if new_vocab:
        vocab = {invalid_key: invalid_label}
    res = []
    for sent in sentences:
        coded = []
        for word in sent:
            if word not in vocab:
                if not (new_vocab or unknown_token):
                    raise KeyError(f"encode_sentences: unknown token {word!r} (give "
                                   f"unknown_token= to map unknown tokens)")
                if idx == invalid_label:
                    idx += 1
                if unknown_token:
                    word = unknown_token
                vocab[word] = idx
                idx += 1
            coded.append(vocab[word])
        res.append(coded)
    return res, vocab


class BucketSentenceIter(DataIter):
    """Batches of sentences padded (with ``invalid_label``) to the smallest bucket
    length that holds them; the label is the data shifted by one step.  Each batch's
    ``bucket_key`` is its length (what ``BucketingModule`` binds a graph for)."""

    def __init__(self, sentences: list, batch_size: int, buckets: list | None = None,
                 invalid_label: int = -1, data_name: str = "data",
                 label_name: str = "softmax_label", dtype: str = "float32",
                 layout: str = "NT") -> None:
        super().__init__(batch_size)
        if not buckets:
            counts = _onp.bincount([len(s) for s in sentences])
            buckets = [i for i, n in enumerate(counts) if n >= batch_size]
        buckets = sorted(buckets)
        rows: list[list] = [[] for _ in buckets]
        used = [False] * len(buckets)
        ndiscard = 0
        for sent in sentences:
            b = bisect.bisect_left(buckets, len(sent))
            if b == len(buckets):
                ndiscard += 1
                continue
            used[b] = True
            buf = _onp.full((buckets[b],), invalid_label, dtype=dtype)
            buf[:len(sent)] = sent
            rows[b].append(buf)
        self.buckets = [k for k, u in zip(buckets, used) if u]
        self.data = [_onp.asarray(r, dtype=dtype) for r in rows if r]
        print(f"WARNING: discarded {ndiscard} sentences longer than the largest bucket.")
        if not self.buckets:
            raise ValueError("BucketSentenceIter: no bucket holds any sentence")
        self.batch_size = batch_size
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.nddata: list = []
        self.ndlabel: list = []
        self.major_axis = layout.find("N")
        self.layout = layout
        self.default_bucket_key = max(self.buckets)
        if self.major_axis == 0:
            shape = (batch_size, self.default_bucket_key)
        elif self.major_axis == 1:
            shape = (self.default_bucket_key, batch_size)
        else:
            raise ValueError(f"Invalid layout {layout}: Must by NT (batch major) or TN "
                             f"(time major)")
        self.provide_data = [DataDesc(name=data_name, shape=shape, layout=layout)]
        self.provide_label = [DataDesc(name=label_name, shape=shape, layout=layout)]
        self.idx = []
        for i, buck in enumerate(self.data):
            self.idx.extend((i, j) for j in range(0, len(buck) - batch_size + 1, batch_size))
        self.curr_idx = 0
        self.reset()

    def reset(self) -> None:
        from .. import legacy as nd

        self.curr_idx = 0
        random.shuffle(self.idx)
        for buck in self.data:
            _onp.random.shuffle(buck)
        self.nddata = []
        self.ndlabel = []
        for buck in self.data:
            label = _onp.empty_like(buck)
            label[:, :-1] = buck[:, 1:]
            label[:, -1] = self.invalid_label
            self.nddata.append(nd.array(buck, dtype=self.dtype))
            self.ndlabel.append(nd.array(label, dtype=self.dtype))

    def next(self) -> DataBatch:
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, j = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][j:j + self.batch_size]
        label = self.ndlabel[i][j:j + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[i],
                         provide_data=[DataDesc(name=self.data_name, shape=data.shape,
                                                layout=self.layout)],
                         provide_label=[DataDesc(name=self.label_name, shape=label.shape,
                                                 layout=self.layout)])
