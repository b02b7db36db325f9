"""MXNet's binary NDArray file format (ndengine.ndarray.serialization, npx.save/load).

Both directions against real MXNet 1.9.1 without running it here:
* the files in tests/fixtures/mxnet_files/from_mxnet/ were written by MXNet
  (``make_files.py mxnet``): they load here with the values that were saved;
* ndengine writes the same bytes for the same contents (every file but the sparse one);
* the files in tests/fixtures/mxnet_files/from_ndengine/ were written by ndengine and
  loaded by MXNet (``make_files.py verify``); ndengine still writes them unchanged.
"""
from __future__ import annotations

import importlib.util
import io
import os
import struct
import sys
from pathlib import Path

import numpy as onp
import pytest

import ndengine
from ndengine import npx
from ndengine import numpy as np
from ndengine.base import MXNetError
from ndengine.ndarray import serialization as ser

FIX = Path(__file__).parent / "fixtures" / "mxnet_files"
_spec = importlib.util.spec_from_file_location("_mxnet_files", FIX / "make_files.py")
mf = importlib.util.module_from_spec(_spec)
sys.modules["_mxnet_files"] = mf
_spec.loader.exec_module(mf)

DATA_FILES = [n for n in mf.FILES if not n.startswith("gluon")]


def _as_numpy(x):
    if isinstance(x, dict):
        return {k: _as_numpy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_as_numpy(v) for v in x]
    return x.asnumpy()


def _assert_same(want, got):
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want)
        for k in want:
            _assert_same(want[k], got[k])
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for w, g in zip(want, got):
            _assert_same(w, g)
    else:
        assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape,
                                                                     want.dtype, want.shape)
        onp.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------------- MXNet's files
@pytest.mark.parametrize("name", DATA_FILES)
def test_mxnet_written_files_load(name):
    got = ser.load(FIX / "from_mxnet" / f"{name}.params")
    _assert_same(mf.expected_values(name), _as_numpy(got))


def test_npx_load_gives_ready_arrays_on_cpu0():
    got = npx.load(str(FIX / "from_mxnet" / "npx_dict.params"))
    for v in got.values():
        assert v._data is not None          # no op pending: ready at once
        assert v.device == ndengine.cpu(0)
    assert isinstance(got["f32"], np.ndarray)
    assert (got["f32"] * 2).asnumpy().tolist() == (mf.content()["f32"] * 2).tolist()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every fixture file as ndengine writes it now (through alias_as_mxnet, with the
    writers MXNet ran)."""
    ndengine.alias_as_mxnet()
    import mxnet as mx
    from mxnet import np as mnp, npx as mnpx

    out = tmp_path_factory.mktemp("written")
    outputs = {}
    was_np = npx._np_semantics()
    try:
        for name, fn in mf.FILES.items():
            if name in mf.MXNET_ONLY:
                continue
            mnpx.set_np()
            r = fn(mx, mnp, mnpx, str(out / f"{name}.params"))
            if r is not None:
                outputs[name] = r
    finally:
        (mnpx.set_np if was_np else mnpx.reset_np)()
    return out, outputs


@pytest.mark.parametrize("name", [n for n in mf.FILES if n not in mf.MXNET_ONLY])
def test_ndengine_writes_mxnet_bytes(written, name):
    out, _ = written
    mine = (out / f"{name}.params").read_bytes()
    assert mine == (FIX / "from_mxnet" / f"{name}.params").read_bytes()
    # and the committed file MXNet verified is still what ndengine writes
    assert mine == (FIX / "from_ndengine" / f"{name}.params").read_bytes()


def test_gluon_outputs_match_mxnet(written):
    _, outputs = written
    expected = onp.load(FIX / "expected.npz")
    for name, out in outputs.items():
        onp.testing.assert_allclose(out, expected[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["gluon_np", "gluon_nd", "gluon_paramdict"])
def test_mxnet_params_load_into_ndengine_nets(name):
    from ndengine.gluon import nn

    if name == "gluon_paramdict":
        net = nn.Sequential(prefix="model_")
        with net.name_scope():
            net.add(nn.Dense(5, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    else:
        net = nn.Sequential()
        net.add(nn.Dense(5, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    net.load_parameters(str(FIX / "from_mxnet" / f"{name}.params"))
    out = net(np.array(mf.GLUON_X)).asnumpy()
    onp.testing.assert_allclose(out, onp.load(FIX / "expected.npz")[name], rtol=1e-5,
                                atol=1e-6)


def test_mxnet_gluon_names_are_structural():
    names = list(ser.load(FIX / "from_mxnet" / "gluon_np.params"))
    assert names == ["0.weight", "0.bias", "1.gamma", "1.beta", "1.running_mean",
                     "1.running_var", "2.weight", "2.bias"]


# ----------------------------------------------------------------------------- layout
def test_versions_np_shape_and_legacy():
    a = np.arange(6.0).reshape(2, 3)
    v3 = ser.saves([a])
    v2 = ser.saves([a], np_shape=False)
    assert struct.unpack_from("<I", v3, 24)[0] == ser.V3_MAGIC
    assert struct.unpack_from("<I", v2, 24)[0] == ser.V2_MAGIC
    # legacy files hold 0-d and zero-size arrays as NumPy-shape (V3) arrays
    mixed = ser.saves([np.array(1.0), np.zeros((0, 2)), a], np_shape=False)
    got = ser.loads(mixed)
    assert [g.shape for g in got] == [(), (0, 2), (2, 3)]
    r = ser._Reader(io.BytesIO(mixed), len(mixed), "x")
    r.unpack("<QQQ", "")
    magics = []
    for i in range(3):
        magics.append(struct.unpack_from("<I", mixed, r.pos)[0])
        ser._read_array(r, i)
    assert magics == [ser.V3_MAGIC, ser.V3_MAGIC, ser.V2_MAGIC]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int8", "int32",
                                   "int64", "bool", "int16", "uint16", "uint32", "uint64"])
def test_every_dtype_round_trips(tmp_path, dtype):
    v = (onp.arange(-3, 9).reshape(3, 4) % 7).astype(dtype)
    f = tmp_path / "a.params"
    npx.save(str(f), {"v": np.array(v, dtype=v.dtype), "s": np.array(v[0, 1], dtype=v.dtype)})
    got = npx.load(str(f))
    assert got["v"].dtype == v.dtype and got["s"].shape == ()
    onp.testing.assert_array_equal(got["v"].asnumpy(), v)
    onp.testing.assert_array_equal(ser.loads(f.read_bytes())["v"].asnumpy(), v)


def test_save_accepts_one_array_list_tuple_dict(tmp_path):
    a, b = np.ones((2,)), np.zeros((1, 2), dtype="int32")
    f = str(tmp_path / "x")
    for data, want in ((a, [a]), ([a, b], [a, b]), ((a, b), [a, b]), ({"a": a, "b": b},
                                                                       {"a": a, "b": b})):
        npx.save(f, data)
        _assert_same(_as_numpy(want), _as_numpy(npx.load(f)))
    npx.save(f, {})
    assert npx.load(f) == []          # no arrays, no names: MXNet gives a list too
    assert ser.load_frombuffer(ser.saves([a]))[0].shape == (2,)


def test_save_bad_input(tmp_path):
    f = str(tmp_path / "x")
    with pytest.raises(TypeError, match="dict keys must be str"):
        npx.save(f, {1: np.ones(1)})
    with pytest.raises(TypeError, match="item 1 is a list"):
        npx.save(f, [np.ones(1), [1]])
    with pytest.raises(TypeError, match="'a' is a ndarray"):
        npx.save(f, {"a": onp.ones(1)})
    with pytest.raises(ValueError, match="data needs to either be"):
        npx.save(f, 3)
    with pytest.raises(TypeError, match="fname required"):
        npx.save(3, [np.ones(1)])
    with pytest.raises(TypeError, match="dtype complex64"):
        npx.save(f, [np.array(onp.ones(2, dtype="complex64"))])
    assert not os.path.exists(f)
    os.mkdir(tmp_path / "d")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        npx.save(str(tmp_path / "d"), [np.ones(1)])


def test_save_is_a_sync_point_and_raises_before_writing(tmp_path):
    f = tmp_path / "x"
    bad = np.ones((2, 2)) @ np.ones((2, 2))
    bad = np.linalg.cholesky(-bad)          # fails in the engine (not positive definite)
    with pytest.raises(MXNetError):
        npx.save(str(f), [np.ones(1), bad])
    assert not f.exists()
    x = np.arange(4.0)
    y = x * 3                               # pending at the call: saved with its value
    npx.save(str(f), [y])
    assert npx.load(str(f))[0].asnumpy().tolist() == [0.0, 3.0, 6.0, 9.0]


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_writes_are_atomic(tmp_path, monkeypatch, exc):
    f = tmp_path / "model.params"
    npx.save(str(f), {"w": np.ones(3)})
    before = f.read_bytes()
    real = ser._write

    def half_then_fail(fobj, arrays, names, np_shape):
        fobj.write(b"\x12\x01\x00\x00")        # part of a file, then the failure
        raise exc
    monkeypatch.setattr(ser, "_write", half_then_fail)
    with pytest.raises(type(exc)):
        npx.save(str(f), {"w": np.zeros(3)})
    monkeypatch.setattr(ser, "_write", real)
    assert f.read_bytes() == before               # the old file, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.params"]   # no temp left


def test_disk_full_error_names_the_file(tmp_path, monkeypatch):
    def full(fobj, *a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(ser, "_write", full)
    with pytest.raises(OSError, match="cannot write .*x.params.*No space left"):
        npx.save(str(tmp_path / "x.params"), [np.ones(1)])


def test_new_file_gets_umask_permissions(tmp_path):
    f = tmp_path / "p"
    npx.save(str(f), [np.ones(1)])
    umask = os.umask(0)
    os.umask(umask)
    assert f.stat().st_mode & 0o777 == 0o666 & ~umask


# ----------------------------------------------------------------------------- bad files
def _good() -> bytes:
    return (FIX / "from_mxnet" / "npx_dict.params").read_bytes()


@pytest.mark.parametrize("name", sorted(p.name for p in (FIX / "from_mxnet").glob("*.params")))
def test_every_bit_flip_loads_or_is_a_clear_error(name):
    """No checksum: a flip in the values loads other values; anywhere else (magics,
    shapes, dtypes, sparse indices, names) it is an NDArrayFileError, never a raw
    ValueError/MemoryError from NumPy (a huge dense shape for a sparse array, a zero
    dimension beside a huge one, a corrupt csr indptr were)."""
    data = (FIX / "from_mxnet" / name).read_bytes()
    for i in range(len(data)):
        for bit in (0x01, 0x40, 0x80):
            b = bytearray(data)
            b[i] ^= bit
            try:
                ser.loads(bytes(b))
            except ser.NDArrayFileError:
                pass


def test_every_truncation_is_a_clear_error():
    data = _good()
    for n in range(len(data)):
        with pytest.raises(ser.NDArrayFileError) as e:
            ser.loads(data[:n])
        msg = str(e.value)
        assert msg.startswith("load_frombuffer: ")
        assert "truncated" in msg or "not an MXNet NDArray file" in msg, (n, msg)


def test_truncated_file_names_the_file(tmp_path):
    f = tmp_path / "cut.params"
    f.write_bytes(_good()[:100])
    with pytest.raises(ser.NDArrayFileError, match=r"cut\.params.*truncated"):
        npx.load(str(f))


def _patched(offset: int, fmt: str, value) -> bytes:
    b = bytearray((FIX / "from_mxnet" / "npx_list.params").read_bytes())
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


# npx_list.params: header (24 bytes), then array 0: magic @24, stype @28, ndim @32,
# dims @36 (2 x i64), dev_type @52, dev_id @56, type flag @60, data @64
@pytest.mark.parametrize("offset,fmt,value,match", [
    (0, "<Q", 0x113, "header 0x113, expected 0x112"),
    (16, "<Q", 1 << 60, "array count .* cannot fit"),
    (24, "<I", 0xDEADBEEF, "unknown array magic 0xDEADBEEF"),
    (28, "<i", 7, "unknown storage type 7"),
    (32, "<i", 1000, "ndim 1000 is not a valid"),
    (36, "<q", -5, "negative dimension"),
    (36, "<q", 1 << 40, "truncated: array 0 data of shape"),
    (52, "<i", 9, "invalid context"),
    (60, "<i", 42, "unknown dtype flag 42"),
])
def test_corrupt_files_give_clear_errors(offset, fmt, value, match):
    with pytest.raises(ser.NDArrayFileError, match=match):
        ser.loads(_patched(offset, fmt, value))


def test_bad_names():
    a = ser.saves({"x": np.ones(1)})
    n_at = len(a) - 8 - 1 - 8                 # u64 name count, u64 len, b"x"
    bad = bytearray(a)
    struct.pack_into("<Q", bad, n_at, 2)
    with pytest.raises(ser.NDArrayFileError, match="2 names for 1 arrays"):
        ser.loads(bytes(bad))
    bad = bytearray(a)
    bad[-1] = 0xFF
    with pytest.raises(ser.NDArrayFileError, match="not valid UTF-8"):
        ser.loads(bytes(bad))
    assert list(ser.loads(a + b"trailing bytes")) == ["x"]      # ignored, as MXNet does


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file .*nope"):
        npx.load(str(tmp_path / "nope"))
    with pytest.raises(MXNetError):
        npx.load(str(tmp_path / "nope"))
    with pytest.raises(IsADirectoryError, match="is a directory"):
        npx.load(str(tmp_path))
    (tmp_path / "junk").write_bytes(b"hello world, not an array file")
    with pytest.raises(ser.NDArrayFileError, match="junk.*not an MXNet NDArray file"):
        npx.load(str(tmp_path / "junk"))
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ser.NDArrayFileError, match="empty.*0 bytes"):
        npx.load(str(tmp_path / "empty"))
    with pytest.raises(TypeError, match="buf required"):
        ser.loads(3)


# ----------------------------------------------------------------------------- old layouts
def _list(*arrays: bytes, names=()) -> bytes:
    b = struct.pack("<QQQ", 0x112, 0, len(arrays)) + b"".join(arrays)
    b += struct.pack("<Q", len(names))
    for n in names:
        b += struct.pack("<Q", len(n)) + n.encode()
    return b


def test_v1_and_magicless_legacy_arrays():
    data = onp.arange(6, dtype="float32")
    v1 = struct.pack("<Ii2qiii", ser.V1_MAGIC, 2, 2, 3, 1, 0, 0) + data.tobytes()
    v0 = struct.pack("<I2Iiii", 2, 3, 2, 1, 0, 0) + data.tobytes()   # ndim, u32 dims
    got = ser.loads(_list(v1, v0, names=["a", "b"]))
    assert got["a"].shape == (2, 3) and got["b"].shape == (3, 2)
    onp.testing.assert_array_equal(got["b"].asnumpy().ravel(), data)


def test_none_arrays_load_as_none():
    none_v2 = struct.pack("<Iii", ser.V2_MAGIC, 0, 0)           # legacy ndim 0
    none_v3 = struct.pack("<Iii", ser.V3_MAGIC, 0, -1)          # np-shape ndim -1
    assert ser.loads(_list(none_v2, none_v3)) == [None, None]


def test_bfloat16_loads_as_float32():
    want = onp.array([1.0, -2.5, 3.140625], dtype="float32")
    bits = (want.view("uint32") >> 16).astype("<u2")
    arr = struct.pack("<Iiiqiii", ser.V3_MAGIC, 0, 1, 3, 1, 0, 12) + bits.tobytes()
    got = ser.loads(_list(arr))[0]
    assert got.dtype == onp.float32
    onp.testing.assert_array_equal(got.asnumpy(), want)


def test_missing_directory_error_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot write .*no-dir.*x\.params"):
        npx.save(str(tmp_path / "no-dir" / "x.params"), [np.ones(1)])


def test_arrays_of_another_device_are_saved_with_their_context(tmp_path):
    a = np.arange(3.0).copyto(ndengine.cpu(1))
    b = ser.saves([a])
    assert struct.unpack_from("<ii", b, 24 + 8 + 4 + 8) == (1, 1)     # dev_type cpu, id 1
    got = ser.loads(b)[0]
    assert got.device == ndengine.cpu(0)                            # loads onto cpu(0)
    assert got.asnumpy().tolist() == [0.0, 1.0, 2.0]


def test_save_over_a_symlink_and_keep_permissions(tmp_path):
    real = tmp_path / "real.params"
    npx.save(str(real), [np.ones(1)])
    os.chmod(real, 0o640)
    link = tmp_path / "link.params"
    link.symlink_to(real)
    npx.save(str(link), [np.zeros(2)])
    assert link.is_symlink()                              # still a link to the same file
    assert npx.load(str(real))[0].shape == (2,)
    assert real.stat().st_mode & 0o777 == 0o640
