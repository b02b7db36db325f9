"""gluon.utils: split_data / split_and_load, clip_global_norm, check_sha1, replace_file,
download (a local HTTP server on loopback, file:// and offline), shape_is_known,
HookHandle.  (Against real MXNet: tests/mxnet_diff/cases/cases_gluon_utils.py.)"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import socket
import threading
import warnings

import numpy as onp
import pytest

from ndengine import cpu, gluon
from ndengine import numpy as np
from ndengine.base import MXNetError

U = gluon.utils
CONTENT = b"0123456789abcdef" * 1000
SHA1 = hashlib.sha1(CONTENT).hexdigest()


# ----------------------------------------------------------------------------- split
@pytest.mark.parametrize("size, n, want", [(10, 3, [4, 3, 3]), (9, 3, [3, 3, 3]),
                                           (2, 3, [1, 1, 0]), (7, 1, [7]), (5, 4, [2, 1, 1, 1])])
def test_split_data_sizes_as_mxnet(size, n, want):
    x = onp.arange(size * 2.0).reshape(size, 2)
    parts = U.split_data(np.array(x), n, even_split=False)
    assert [p.shape[0] for p in parts] == want
    onp.testing.assert_array_equal(onp.concatenate([p.asnumpy() for p in parts]), x)


def test_split_data_axis_copies_and_errors():
    x = np.arange(24.0).reshape(2, 6, 2)
    parts = U.split_data(x, 3, batch_axis=1)
    assert [p.shape for p in parts] == [(2, 2, 2)] * 3
    onp.testing.assert_array_equal(parts[1].asnumpy(), x.asnumpy()[:, 2:4])
    z = np.zeros((4, 2))
    part = U.split_data(z, 2)[1]
    part += 1                       # np slices are copies (MXNet's np mode uses np.split)
    onp.testing.assert_array_equal(z.asnumpy()[:, 0], [0, 0, 0, 0])
    with pytest.raises(ValueError, match="cannot be evenly split into 4 slices along axis 1"):
        U.split_data(x, 4, batch_axis=1)
    with pytest.raises(ValueError, match="num_slice must be a positive int"):
        U.split_data(x, 0)
    with pytest.raises(ValueError, match="batch_axis 3 is out of range"):
        U.split_data(x, 2, batch_axis=3)
    with pytest.raises(ValueError, match="0-d"):
        U.split_data(np.array(1.0), 1)


def test_split_and_load_inputs_and_devices():
    d0, d1 = cpu(0), cpu(1)
    x = onp.arange(12.0).reshape(6, 2).astype(onp.float32)
    for data in (x, np.array(x), x.tolist()):
        parts = U.split_and_load(data, [d0, d1])
        assert [p.device for p in parts] == [d0, d1]
        onp.testing.assert_array_equal(parts[1].asnumpy(), x[3:])
    one = U.split_and_load(np.array(x), [d1])
    assert len(one) == 1 and one[0].device == d1 and one[0].shape == (6, 2)
    assert [p.shape[0] for p in U.split_and_load(np.array(x[:5]), [d0, d1], even_split=False)] \
        == [3, 2]
    with pytest.raises(ValueError, match="evenly split"):
        U.split_and_load(np.array(x[:5]), [d0, d1])
    with pytest.raises(ValueError, match="non-empty list of devices"):
        U.split_and_load(np.array(x), [])
    with pytest.raises(ValueError, match="non-empty list of devices"):
        U.split_and_load(np.array(x), ["cpu"])


def test_split_and_load_legacy_arrays_give_legacy_slices():
    from ndengine import legacy

    x = legacy.arange(12).reshape((6, 2))
    parts = U.split_and_load(x, [cpu(0), cpu(1)])
    assert all(type(p) is legacy.NDArray for p in parts)
    onp.testing.assert_array_equal(parts[1].asnumpy(), onp.arange(6.0, 12).reshape(3, 2))


# ----------------------------------------------------------------------------- clip
def test_clip_global_norm_scales_in_place_and_returns_the_norm():
    a, b = np.array([[3.0, 4.0]]), np.array([12.0], device=cpu(1))
    n = U.clip_global_norm([a, b], 6.5)
    assert isinstance(n, onp.float32) and n == 13.0
    onp.testing.assert_allclose(a.asnumpy(), [[1.5, 2.0]], rtol=1e-6)
    onp.testing.assert_allclose(b.asnumpy(), [6.0], rtol=1e-6)
    c = np.array([0.3, 0.4])
    assert U.clip_global_norm([c], 1.0) == pytest.approx(0.5)
    onp.testing.assert_allclose(c.asnumpy(), [0.3, 0.4], rtol=1e-6)
    # without the check nothing blocks: the norm is an array
    d = np.array([3.0, 4.0])
    n = U.clip_global_norm([d], 1.0, check_isfinite=False)
    assert n.shape == () and n.item() == 5.0
    onp.testing.assert_allclose(d.asnumpy(), [0.6, 0.8], rtol=1e-6)
    f64 = np.array([3.0, 4.0], dtype="float64")
    U.clip_global_norm([f64], 1.0)
    assert f64.dtype == onp.float64


def test_clip_global_norm_warns_on_nan_and_checks_arguments():
    with pytest.warns(UserWarning, match="nan or inf"):
        U.clip_global_norm([np.array([onp.nan, 1.0])], 1.0)
    with pytest.raises(ValueError, match="must not be empty"):
        U.clip_global_norm([], 1.0)
    with pytest.raises(TypeError, match="ndengine arrays"):
        U.clip_global_norm([onp.ones(2)], 1.0)
    with pytest.raises(TypeError, match="max_norm must be a number"):
        U.clip_global_norm([np.ones(2)], "1")


def test_clip_global_norm_legacy():
    from ndengine import legacy

    a = legacy.array([3.0, 4.0])
    n = U.clip_global_norm([a], 1.0, check_isfinite=False)
    assert type(n) is legacy.NDArray and n.shape == (1,)
    onp.testing.assert_allclose(a.asnumpy(), [0.6, 0.8], rtol=1e-6)


# ----------------------------------------------------------------------------- files
@contextlib.contextmanager
def _server(root):
    (root / "data.bin").write_bytes(CONTENT)
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            if self.path == "/cut.bin":          # announces more than it sends
                self.send_response(200)
                self.send_header("Content-Length", str(len(CONTENT)))
                self.end_headers()
                self.wfile.write(CONTENT[:100])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            super().do_GET()

    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    finally:
        srv.shutdown()
        srv.server_close()


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_check_sha1_and_replace_file(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(CONTENT)
    assert U.check_sha1(str(f), SHA1) and not U.check_sha1(str(f), "0" * 40)
    g = tmp_path / "g.bin"
    g.write_bytes(b"old")
    U.replace_file(str(f), str(g))
    assert g.read_bytes() == CONTENT and not f.exists()
    with pytest.raises(OSError, match="Please retry the download"):
        U.replace_file(str(tmp_path / "absent"), str(g))


def test_download_from_loopback(tmp_path, capsys):
    served = tmp_path / "served"
    served.mkdir()
    out = tmp_path / "out"
    with _server(served) as (base, hits):
        p = U.download(f"{base}/data.bin", path=str(out / "sub" / "x.bin"), sha1_hash=SHA1)
        assert p == str(out / "sub" / "x.bin") and U.check_sha1(p, SHA1)
        assert f"Downloading {p} from {base}/data.bin..." in capsys.readouterr().out
        # a directory path takes the URL's file name
        assert U.download(f"{base}/data.bin", path=str(out)) == str(out / "data.bin")
        # present and matching: no request at all
        n = len(hits)
        assert U.download(f"{base}/data.bin", path=str(out), sha1_hash=SHA1) == \
            str(out / "data.bin")
        assert len(hits) == n
        # present but stale (hash differs) or overwrite: fetched again
        (out / "data.bin").write_bytes(b"stale")
        U.download(f"{base}/data.bin", path=str(out))
        assert (out / "data.bin").read_bytes() == b"stale"
        U.download(f"{base}/data.bin", path=str(out), sha1_hash=SHA1)
        assert U.check_sha1(str(out / "data.bin"), SHA1)
        (out / "data.bin").write_bytes(b"stale")
        U.download(f"{base}/data.bin", path=str(out), overwrite=True)
        assert U.check_sha1(str(out / "data.bin"), SHA1)
    assert sorted(os.listdir(out)) == ["data.bin", "sub"]     # no temporary files left


def test_download_failures_leave_no_file(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    with _server(served) as (base, hits):
        with pytest.raises(RuntimeError, match=r"HTTP 404.*gone.bin was not written"):
            U.download(f"{base}/gone.bin", path=str(tmp_path / "gone.bin"), retries=2)
        assert hits.count("/gone.bin") == 2                      # max(retries, 1) attempts
        with pytest.raises(UserWarning, match="has SHA-1 .* expected 000"):
            U.download(f"{base}/data.bin", path=str(tmp_path / "bad.bin"), sha1_hash="0" * 40,
                       retries=1)
        with pytest.raises(ConnectionError, match="cut.bin"):
            U.download(f"{base}/cut.bin", path=str(tmp_path / "cut.bin"), retries=1)
    assert sorted(os.listdir(tmp_path)) == ["served"]


def test_download_offline_names_the_url_and_the_file(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/data.bin"
    target = tmp_path / "data.bin"
    with pytest.raises(ConnectionError) as ei:
        U.download(url, path=str(target), retries=0)
    msg = str(ei.value)
    assert url in msg and str(target) in msg and "no file was written" in msg
    assert isinstance(ei.value, MXNetError) and isinstance(ei.value, OSError)
    assert os.listdir(tmp_path) == []
    # a present file needs no network at all
    target.write_bytes(CONTENT)
    assert U.download(url, path=str(target), sha1_hash=SHA1) == str(target)


def test_download_file_url_and_arguments(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(CONTENT)
    p = U.download(src.as_uri(), path=str(tmp_path / "copy.bin"), sha1_hash=SHA1)
    assert open(p, "rb").read() == CONTENT
    with pytest.raises(ConnectionError, match="absent.bin"):
        U.download((tmp_path / "absent.bin").as_uri(), path=str(tmp_path / "a.bin"), retries=1)
    with pytest.raises(ValueError, match="file name from the URL"):
        U.download("http://example.com/dir/")
    with pytest.raises(AssertionError, match="retries should be at least 0"):
        U.download(src.as_uri(), path=str(tmp_path / "r.bin"), retries=-1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        U.download(src.as_uri(), path=str(tmp_path / "v.bin"), verify_ssl=False)
    assert any("verify_ssl=False" in str(x.message) for x in w)


# ----------------------------------------------------------------------------- misc
def test_shape_is_known():
    assert U.shape_is_known((2, 3)) and U.shape_is_known(()) and U.shape_is_known((0, 3))
    assert not U.shape_is_known((2, -1)) and not U.shape_is_known(None)
    with pytest.raises(ValueError, match="cannot be less than -1"):
        U.shape_is_known((2, -2))


def test_hook_handle_is_the_blocks_own():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    seen = []
    h = net.register_forward_hook(lambda blk, inp, out: seen.append(out.shape))
    assert isinstance(h, U.HookHandle)
    net(np.ones((1, 3)))
    with h:
        pass
    net(np.ones((1, 3)))
    assert seen == [(1, 2)]
