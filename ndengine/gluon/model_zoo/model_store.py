"""Pretrained parameter files of the model zoo: where they live, their checksums, and
how a missing one is fetched.

A model's file is ``<root>/<name>-<first 8 hex digits of its SHA-1>.params`` (root:
``$MXNET_HOME/models``, ``~/.mxnet/models`` by default), the same file MXNet 1.9.1 keeps
there, so a directory MXNet filled serves ndengine as it is.  A missing file, or one
whose SHA-1 does not match, is downloaded as ``<file>.zip`` from
``$MXNET_GLUON_REPO/gluon/models/`` (MXNet's public repository by default) and checked
again.  The checksums are those MXNet 1.9.1 publishes for its files.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
import zipfile

__all__ = ["get_model_file", "purge"]

# (SHA-1, name) of MXNet 1.9.1's published pretrained files
_SHA1 = {name: sha1 for sha1, name in [
    ("44335d1f0046b328243b32a26a4fbd62d9057b45", "alexnet"),
    ("f27dbf2dbd5ce9a80b102d89c7483342cd33cb31", "densenet121"),
    ("b6c8a95717e3e761bd88d145f4d0a214aaa515dc", "densenet161"),
    ("2603f878403c6aa5a71a124c4a3307143d6820e9", "densenet169"),
    ("1cdbc116bc3a1b65832b18cf53e1cb8e7da017eb", "densenet201"),
    ("ed47ec45a937b656fcc94dabde85495bbef5ba1f", "inceptionv3"),
    ("9f83e440996887baf91a6aff1cccc1c903a64274", "mobilenet0.25"),
    ("8e9d539cc66aa5efa71c4b6af983b936ab8701c3", "mobilenet0.5"),
    ("529b2c7f4934e6cb851155b22c96c9ab0a7c4dc2", "mobilenet0.75"),
    ("6b8c5106c730e8750bcd82ceb75220a3351157cd", "mobilenet1.0"),
    ("36da4ff1867abccd32b29592d79fc753bca5a215", "mobilenetv2_1.0"),
    ("e2be7b72a79fe4a750d1dd415afedf01c3ea818d", "mobilenetv2_0.75"),
    ("aabd26cd335379fcb72ae6c8fac45a70eab11785", "mobilenetv2_0.5"),
    ("ae8f9392789b04822cbb1d98c27283fc5f8aa0a7", "mobilenetv2_0.25"),
    ("a0666292f0a30ff61f857b0b66efc0228eb6a54b", "resnet18_v1"),
    ("48216ba99a8b1005d75c0f3a0c422301a0473233", "resnet34_v1"),
    ("0aee57f96768c0a2d5b23a6ec91eb08dfb0a45ce", "resnet50_v1"),
    ("d988c13d6159779e907140a638c56f229634cb02", "resnet101_v1"),
    ("671c637a14387ab9e2654eafd0d493d86b1c8579", "resnet152_v1"),
    ("a81db45fd7b7a2d12ab97cd88ef0a5ac48b8f657", "resnet18_v2"),
    ("9d6b80bbc35169de6b6edecffdd6047c56fdd322", "resnet34_v2"),
    ("ecdde35339c1aadbec4f547857078e734a76fb49", "resnet50_v2"),
    ("18e93e4f48947e002547f50eabbcc9c83e516aa6", "resnet101_v2"),
    ("f2695542de38cf7e71ed58f02893d82bb409415e", "resnet152_v2"),
    ("264ba4970a0cc87a4f15c96e25246a1307caf523", "squeezenet1.0"),
    ("33ba0f93753c83d86e1eb397f38a667eaf2e9376", "squeezenet1.1"),
    ("dd221b160977f36a53f464cb54648d227c707a05", "vgg11"),
    ("ee79a8098a91fbe05b7a973fed2017a6117723a8", "vgg11_bn"),
    ("6bc5de58a05a5e2e7f493e2d75a580d83efde38c", "vgg13"),
    ("7d97a06c3c7a1aecc88b6e7385c2b373a249e95e", "vgg13_bn"),
    ("e660d4569ccb679ec68f1fd3cce07a387252a90a", "vgg16"),
    ("7f01cf050d357127a73826045c245041b0df7363", "vgg16_bn"),
    ("ad2f660d101905472b83590b59708b71ea22b2e5", "vgg19"),
    ("f360b758e856f1074a85abd5fd873ed1d98297c3", "vgg19_bn")]}

_REPO = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"


def default_root() -> str:
    """``$MXNET_HOME/models`` (``~/.mxnet/models`` when MXNET_HOME is not set)."""
    home = os.getenv("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))
    return os.path.join(home, "models")


def short_hash(name: str) -> str:
    """The first 8 hex digits of the SHA-1 of *name*'s pretrained file."""
    if name not in _SHA1:
        raise ValueError(f"Pretrained model for {name} is not available (pretrained files "
                         f"exist for: {', '.join(sorted(_SHA1))})")
    return _SHA1[name][:8]


def get_model_file(name: str, root: str | None = None) -> str:
    """The path of *name*'s pretrained parameter file under *root*, downloaded (and its
    SHA-1 checked) when it is missing or does not match."""
    from ..utils import check_sha1, download

    file_name = f"{name}-{short_hash(name)}"
    root = os.path.expanduser(root if root is not None else default_root())
    path = os.path.join(root, file_name + ".params")
    sha1 = _SHA1[name]
    if os.path.exists(path):
        if check_sha1(path, sha1):
            return path
        logging.warning("model_store: %s does not match the SHA-1 of %s's pretrained file; "
                        "downloading it again", path, name)
    else:
        logging.info("model_store: %s not found; downloading it", path)
    os.makedirs(root, exist_ok=True)
    repo = os.environ.get("MXNET_GLUON_REPO", _REPO)
    if not repo.endswith("/"):
        repo += "/"
    url = f"{repo}gluon/models/{file_name}.zip"
    tmp_zip = os.path.join(root, f"{file_name}.zip{uuid.uuid4()}")
    try:
        try:
            download(url, path=tmp_zip, overwrite=True)
        except Exception as e:
            raise RuntimeError(
                f"model_store: the pretrained file of {name} is not in {root} and could not "
                f"be downloaded from {url} ({type(e).__name__}: {e}). Copy {file_name}.params "
                f"into {root} (MXNet 1.9.1 keeps the same file in $MXNET_HOME/models), or "
                f"set MXNET_GLUON_REPO to a mirror") from e
        tmp_dir = tempfile.mkdtemp(dir=root)
        try:
            with zipfile.ZipFile(tmp_zip) as zf:
                member = file_name + ".params"
                if member not in zf.namelist():
                    raise ValueError(f"model_store: {url} holds no {member} "
                                     f"(it has {zf.namelist()[:5]})")
                zf.extract(member, tmp_dir)
            os.replace(os.path.join(tmp_dir, member), path)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    finally:
        if os.path.exists(tmp_zip):
            os.remove(tmp_zip)
    if check_sha1(path, sha1):
        return path
    raise ValueError(f"model_store: the file downloaded from {url} does not match the SHA-1 "
                     f"of {name}'s pretrained file; try again")


def purge(root: str | None = None) -> None:
    """Delete every ``.params`` file under *root* (``$MXNET_HOME/models``)."""
    root = os.path.expanduser(root if root is not None else default_root())
    if not os.path.isdir(root):
        return
    for f in os.listdir(root):
        if f.endswith(".params"):
            os.remove(os.path.join(root, f))


from ...base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
