"""gluon.utils against MXNet 1.9.1: split_data / split_and_load, clip_global_norm,
check_sha1, replace_file, download (from a local HTTP server on loopback, and offline),
shape_is_known, HookHandle.  Cases run in a fresh temporary directory."""
import contextlib
import functools
import hashlib
import http.server
import os
import threading

from _diff import case

CONTENT = b"ndengine gluon.utils download test\n" * 50
SHA1 = hashlib.sha1(CONTENT).hexdigest()


@contextlib.contextmanager
def _server():
    """An HTTP server on 127.0.0.1 serving ./served (data.bin); yields its base URL."""
    os.makedirs("served", exist_ok=True)
    with open(os.path.join("served", "data.bin"), "wb") as f:
        f.write(CONTENT)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=os.path.abspath("served"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _closed_port_url():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                 # nothing listens there now
    return f"http://127.0.0.1:{port}/data.bin"


def _files(d="."):
    return sorted(f for f in os.listdir(d) if f != "served")


# ----------------------------------------------------------------------------- split
@case
def split_data_even(mx, np, npx):
    x = np.arange(24.0).reshape(6, 4)
    U = mx.gluon.utils
    return U.split_data(x, 3), U.split_data(x, 2, batch_axis=1), U.split_data(x, 1)


@case
def split_data_uneven_gives_the_extra_rows_first(mx, np, npx):
    x = np.arange(20.0).reshape(10, 2)
    return [s.shape for s in mx.gluon.utils.split_data(x, 3, even_split=False)], \
        mx.gluon.utils.split_data(x, 4, even_split=False)


@case
def split_data_batch_smaller_than_slices(mx, np, npx):
    x = np.arange(4.0).reshape(2, 2)
    return [s.shape for s in mx.gluon.utils.split_data(x, 3, even_split=False)]


@case(message="cannot be evenly split into 3 slices along axis 0")
def split_data_uneven_raises(mx, np, npx):
    return mx.gluon.utils.split_data(np.ones((10, 2)), 3)


@case
def split_data_np_slices_are_copies(mx, np, npx):
    x = np.zeros((4, 2))
    a, b = mx.gluon.utils.split_data(x, 2)
    b += 1
    return x, b


@case(mode="nd")
def split_data_nd_rows_are_views(mx, np, npx):
    x = mx.nd.zeros((4, 2))
    a, b = mx.gluon.utils.split_data(x, 2)
    b += 1
    c, d = mx.gluon.utils.split_data(x, 2, batch_axis=1)
    d += 5
    return x, b, d


@case
def split_and_load_inputs(mx, np, npx):
    import numpy as onp

    U = mx.gluon.utils
    cpu = mx.cpu()
    return (U.split_and_load(np.arange(6.0).reshape(3, 2), [cpu]),
            U.split_and_load(onp.arange(8.0).reshape(4, 2), [cpu, cpu]),
            U.split_and_load([[1, 2], [3, 4]], [cpu, cpu]),
            U.split_and_load(np.arange(10.0).reshape(5, 2), [cpu, cpu], even_split=False))


@case(mode="nd")
def split_and_load_legacy(mx, np, npx):
    U = mx.gluon.utils
    x = mx.nd.arange(12).reshape((6, 2))
    return U.split_and_load(x, [mx.cpu(), mx.cpu()]), U.split_data(x, 3, batch_axis=0)


# ----------------------------------------------------------------------------- clipping
@case(mode="nd")
def clip_global_norm_legacy(mx, np, npx):
    a = mx.nd.array([[3.0, 4.0]])
    b = mx.nd.array([12.0])
    n = mx.gluon.utils.clip_global_norm([a, b], 6.5)
    return n, a, b


@case(mode="nd")
def clip_global_norm_small_norm_untouched(mx, np, npx):
    a = mx.nd.array([0.3, 0.4])
    n = mx.gluon.utils.clip_global_norm([a], 10.0)
    return n, a


@case(mode="nd")
def clip_global_norm_without_the_check(mx, np, npx):
    a = mx.nd.array([[3.0, 4.0]])
    n = mx.gluon.utils.clip_global_norm([a], 1.0, check_isfinite=False)
    return n, a


@case(differs="MXNet 1.9.1's clip_global_norm calls legacy ops and raises TypeError on "
              "np arrays; ndengine clips them")
def clip_global_norm_np_mode(mx, np, npx):
    a = np.array([3.0, 4.0])
    return mx.gluon.utils.clip_global_norm([a], 1.0), a


# ----------------------------------------------------------------------------- files
@case
def check_sha1_of_a_file(mx, np, npx):
    with open("f.bin", "wb") as f:
        f.write(CONTENT)
    U = mx.gluon.utils
    return U.check_sha1("f.bin", SHA1), U.check_sha1("f.bin", "0" * 40)


@case
def replace_file_moves(mx, np, npx):
    for name, text in (("a.txt", "new"), ("b.txt", "old")):
        with open(name, "w") as f:
            f.write(text)
    mx.gluon.utils.replace_file("a.txt", "b.txt")
    with open("b.txt") as f:
        return _files(), f.read()


@case
def download_from_loopback(mx, np, npx):
    U = mx.gluon.utils
    with _server() as base:
        p1 = U.download(f"{base}/data.bin")
        os.makedirs("d", exist_ok=True)
        p2 = U.download(f"{base}/data.bin", path="d")
        p3 = U.download(f"{base}/data.bin", path="d/renamed.bin", sha1_hash=SHA1)
        p4 = U.download(f"{base}/data.bin", path="d/sub/deeper.bin")
    return p1, p2, p3, p4, _files(), _files("d"), U.check_sha1(p4, SHA1)


@case
def download_keeps_a_present_file_without_the_network(mx, np, npx):
    with open("data.bin", "wb") as f:
        f.write(CONTENT)
    U = mx.gluon.utils
    url = _closed_port_url()
    return U.download(url), U.download(url, sha1_hash=SHA1), _files()


@case
def download_overwrite_and_stale_hash(mx, np, npx):
    U = mx.gluon.utils
    with _server() as base:
        with open("data.bin", "wb") as f:
            f.write(b"stale")
        U.download(f"{base}/data.bin")
        kept = open("data.bin", "rb").read()
        U.download(f"{base}/data.bin", sha1_hash=SHA1)       # the hash differs: fetched
        fetched = U.check_sha1("data.bin", SHA1)
        with open("data.bin", "wb") as f:
            f.write(b"stale")
        U.download(f"{base}/data.bin", overwrite=True)
    return kept, fetched, U.check_sha1("data.bin", SHA1), _files()


@case
def download_offline_raises_and_leaves_nothing(mx, np, npx):
    try:
        mx.gluon.utils.download(_closed_port_url(), path="out.bin", retries=2)
    except Exception as e:              # noqa: BLE001
        return "ConnectionError" in [c.__name__ for c in type(e).__mro__], _files()
    return "no error"


@case
def download_http_404_raises(mx, np, npx):
    with _server() as base:
        try:
            mx.gluon.utils.download(f"{base}/missing.bin", retries=1)
        except RuntimeError as e:
            return "RuntimeError", "missing.bin" in str(e), _files()
    return "no error"


@case(differs="MXNet keeps the downloaded file whose SHA-1 does not match (then raises "
              "UserWarning); ndengine raises the same and keeps no file")
def download_sha1_mismatch(mx, np, npx):
    with _server() as base:
        try:
            mx.gluon.utils.download(f"{base}/data.bin", path="x.bin", sha1_hash="0" * 40,
                                    retries=1)
        except UserWarning:
            return "UserWarning", _files()
    return "no error"


@case
def download_needs_a_file_name(mx, np, npx):
    return mx.gluon.utils.download("http://127.0.0.1:9/dir/")


# ----------------------------------------------------------------------------- misc
@case
def shape_is_known_np_semantics(mx, np, npx):
    f = mx.gluon.utils.shape_is_known
    return f((2, 3)), f((2, -1)), f(()), f(None), f((0, 3))


@case
def shape_is_known_rejects_below_minus_one(mx, np, npx):
    return mx.gluon.utils.shape_is_known((2, -2))


@case
def hook_handle_attach_detach(mx, np, npx):
    import collections

    hooks = collections.OrderedDict()
    h = mx.gluon.utils.HookHandle()
    h.attach(hooks, print)
    n1 = len(hooks)
    with h:
        pass
    n2 = len(hooks)
    h2 = mx.gluon.utils.HookHandle()
    h2.attach(hooks, len)
    try:
        h2.attach(hooks, len)
        twice = "attached twice"
    except Exception:           # noqa: BLE001  (MXNet: AssertionError; block.py: RuntimeError)
        twice = "raises"
    return n1, n2, len(hooks), twice
