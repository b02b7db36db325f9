"""Loading a bad parameter file (issue 19): one clear error naming the file, the
parameter and what is wrong, and no parameter changed; sizes checked against the
headers before anything is inflated (a small .npz claiming a huge array costs no memory).
"""
from __future__ import annotations

import io
import tracemalloc
import zipfile

import numpy as onp
import pytest

from ndengine import numpy as np
from ndengine.base import MXNetError
from ndengine.gluon import nn
from ndengine.gluon.block import MissingParameterError, ParameterFileError
from ndengine.gluon.parameter import ParameterMismatchError

CLEAR = (ParameterFileError, ParameterMismatchError, MissingParameterError)


def _net(out=2):
    net = nn.HybridSequential()
    net.add(nn.Dense(4, in_units=3), nn.Dense(out, in_units=4))
    net.initialize()
    return net


def _values(net):
    return {k: v.data().asnumpy().copy() for k, v in net.collect_params().items()}


def _same(a, b):
    """The same values in the same order (names differ between two nets)."""
    a, b = list(a.values()), list(b.values())
    return len(a) == len(b) and all(onp.array_equal(x, y) for x, y in zip(a, b))


@pytest.fixture
def saved(tmp_path):
    src = _net()
    f = tmp_path / "good.params"
    src.save_parameters(str(f))
    return f.read_bytes()


def _load_bad(tmp_path, data, loader="block"):
    f = tmp_path / "bad.params"
    f.write_bytes(data)
    net = _net()
    before = _values(net)
    try:
        if loader == "block":
            net.load_parameters(str(f))
        else:
            net.collect_params().load(str(f), restore_prefix="")
    except CLEAR as e:
        assert "bad.params" in str(e), str(e)
        assert _same(_values(net), before), "a failed load changed parameters"
        return e
    return None


@pytest.mark.parametrize("loader", ["block", "dict"])
def test_every_truncation_is_a_clear_error_and_changes_nothing(tmp_path, saved, loader):
    for n in range(0, len(saved), 3):
        e = _load_bad(tmp_path, saved[:n], loader)
        assert e is not None, n


def test_every_bit_flip_loads_or_is_a_clear_error(tmp_path, saved):
    """MXNet's format has no checksum: a flip in the values loads other values; a flip
    anywhere else is a clear error (never a raw struct/numpy/Key error, a crash or a
    huge allocation), and a failed load changes nothing."""
    errors = 0
    for i in range(len(saved)):
        b = bytearray(saved)
        b[i] ^= 0x40
        errors += _load_bad(tmp_path, bytes(b)) is not None
    assert errors > 40


@pytest.mark.parametrize("data", [b"", b"hello, not parameters\n", b"\x80\x04K\x01.",
                                  b"PK\x03\x04 truncated zip", b"\x93NUMPY\x01\x00"])
def test_empty_and_foreign_files(tmp_path, data):
    e = _load_bad(tmp_path, data)
    assert isinstance(e, ParameterFileError) and "not a parameter file" in str(e)
    assert isinstance(e, MXNetError) and isinstance(e, ValueError)


def test_wrong_shape_loads_nothing_and_names_the_parameter(tmp_path):
    f = tmp_path / "other.params"
    _net(out=3).save_parameters(str(f))
    net = _net()
    before = _values(net)
    with pytest.raises(ParameterMismatchError) as e:
        net.load_parameters(str(f))
    msg = str(e.value)
    assert "other.params" in msg and "dense" in msg and "'1.weight'" in msg
    assert "expected (2, 4) vs saved (3, 4)" in msg and "No parameter was changed" in msg
    # MXNet raises AssertionError here; ndengine's error is that and a ValueError
    assert isinstance(e.value, AssertionError) and isinstance(e.value, ValueError)
    assert _same(_values(net), before)          # layer 0 fits, and was not loaded either
    with pytest.raises(AssertionError):
        net.collect_params().load(str(tmp_path / "other.params"), ignore_extra=True,
                                  restore_prefix="")
    assert _same(_values(net), before)


def test_wrong_dtype_and_extra_names_load_nothing(tmp_path):
    src = _net()
    src.cast("float64")
    f = tmp_path / "f64.params"
    src.save_parameters(str(f))
    net = _net()
    before = _values(net)
    with pytest.raises(ParameterMismatchError, match="dtype incompatible"):
        net.load_parameters(str(f))
    assert _same(_values(net), before)
    net.load_parameters(str(f), cast_dtype=True)          # and with the cast it loads
    assert _same(_values(net), {k: v.astype("float32") for k, v in _values(src).items()})

    big = nn.HybridSequential()
    big.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4), nn.Dense(1, in_units=2))
    big.initialize()
    big.save_parameters(str(tmp_path / "big.params"))
    net = _net()
    before = _values(net)
    with pytest.raises(ParameterMismatchError, match="'2.weight'.*not present"):
        net.load_parameters(str(tmp_path / "big.params"))
    assert _same(_values(net), before)


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    onp.savez(buf, **arrays)
    return buf.getvalue()


def test_npz_files_load_and_broken_ones_are_clear_errors(tmp_path):
    src = _net()
    arrays = {k: v for k, v in _values(src).items()}
    names = dict(zip(arrays, ["0.weight", "0.bias", "1.weight", "1.bias"]))
    data = _npz_bytes({names[k]: v for k, v in arrays.items()})
    f = tmp_path / "old.params"
    f.write_bytes(data)
    net = _net()
    net.load_parameters(str(f))
    assert _same(_values(net), _values(src))
    for n in range(4, len(data), 37):                       # truncated archives
        e = _load_bad(tmp_path, data[:n])
        assert isinstance(e, ParameterFileError), n
    raised = 0
    for i in range(0, len(data), 5):                        # bit flips: CRC, headers...
        b = bytearray(data)
        b[i] ^= 0x10
        raised += _load_bad(tmp_path, bytes(b)) is not None
    assert raised > 0


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """A ~1 MB .npz holding one consistent 256 MB array of zeros under a parameter name
    (the reported one was 2 MB for 4 GB; this one is quicker to make, same principle)."""
    f = tmp_path_factory.mktemp("bomb") / "bomb.params"
    header = io.BytesIO()
    onp.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (64_000_000,)})
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("0.weight.npy", "w", force_zip64=True) as m:
            m.write(header.getvalue())
            chunk = bytes(1 << 24)
            for _ in range(256_000_000 // len(chunk)):
                m.write(chunk)
            m.write(bytes(256_000_000 % len(chunk)))
    assert f.stat().st_size < 2_000_000
    return f


@pytest.mark.parametrize("how", ["block", "ignore_extra"])
def test_zip_bomb_is_refused_before_inflating(zip_bomb, how):
    net = _net()
    before = _values(net)
    tracemalloc.start()
    try:
        with pytest.raises(CLEAR) as e:
            if how == "block":
                net.load_parameters(str(zip_bomb), allow_missing=True)
            else:                   # an extra name is skipped unread; dense0 is missing
                net.load_parameters(str(zip_bomb), ignore_extra=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, peak
    assert "bomb.params" in str(e.value)
    if how != "ignore_extra":
        assert "(64000000,)" in str(e.value)
    assert _same(_values(net), before)


def test_big_params_file_with_a_wrong_shape_reads_no_values(tmp_path):
    """MXNet's format: the shapes in the headers are checked against the parameters
    before any value is read (a 64 MB array for a (4, 3) weight costs no memory)."""
    from ndengine import npx

    f = tmp_path / "big.params"
    npx.save(str(f), {"0.weight": np.zeros((16_000_000,)), "0.bias": np.zeros(4),
                      "1.weight": np.zeros((2, 4)), "1.bias": np.zeros(2)})
    net = _net()
    before = _values(net)
    tracemalloc.start()
    try:
        with pytest.raises(ParameterMismatchError, match=r"big.params.*\(16000000,\)"):
            net.load_parameters(str(f))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, peak
    assert _same(_values(net), before)
