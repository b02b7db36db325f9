"""``alias_as_mxnet()``: make ``import mxnet`` (and every ``mxnet.X.Y``) resolve to ndengine.

A finder on ``sys.meta_path`` maps each ``mxnet`` module name to the one ndengine module
that implements it and hands back that module object itself: ``sys.modules["mxnet.np"]
is ndengine.numpy``, never a second copy of ndengine's code under another name.  Names
are mapped by :data:`EXACT` (whole names), then :data:`PREFIXES` (a package and what is
under it), else ``mxnet.X.Y`` -> ``ndengine.X.Y``.  A module ndengine does not have
raises ``ModuleNotFoundError`` naming both names.

Modules are imported when asked for, not by the alias: ``alias_as_mxnet()`` itself
costs a few microseconds, and ``import mxnet`` costs what ``import ndengine`` does.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import pkgutil
import sys
from types import ModuleType
from typing import Any

# whole mxnet names whose ndengine module has another name
EXACT = {
    "mxnet": "ndengine",
    "mxnet.nd": "ndengine.ndarray",
    "mxnet.ndarray": "ndengine.ndarray",
    "mxnet.device": "ndengine.context",
    "mxnet.initializer": "ndengine.init",
    "mxnet.kv": "ndengine.kvstore",
    "mxnet.img": "ndengine.image",
    "mxnet.mod": "ndengine.module",
    "mxnet.executor": "ndengine.symbol.executor",
    "mxnet.mon": "ndengine.monitor",
    "mxnet.viz": "ndengine.visualization",
    # MXNet's module of the NDArray class is ndengine's array core (whose NDArray is the
    # np-mode class; the legacy class is ``mx.nd.NDArray``).  Mapped exactly so that the
    # import never rebinds the core module's attribute on its package.
    "mxnet.ndarray.ndarray": "ndengine.ndarray.ndarray",
    "mxnet.nd.ndarray": "ndengine.ndarray.ndarray",
}

# mxnet package -> ndengine package, for the package and every module under it
PREFIXES = {
    "mxnet.np": "ndengine.numpy",
    "mxnet.numpy": "ndengine.numpy",
    "mxnet.numpy_extension": "ndengine.npx",
    # the legacy namespace's submodules (mx.nd.random, mx.nd.linalg, ...) live beside
    # the np layers they are written on; ``mxnet.ndarray`` itself is the array package
    "mxnet.nd": "ndengine.legacy",
    "mxnet.ndarray": "ndengine.legacy",
    "mxnet.mod": "ndengine.module",
}


def ndengine_name(mx_name: str) -> str:
    """The ndengine module that implements the mxnet module *mx_name*."""
    if mx_name in EXACT:
        return EXACT[mx_name]
    head = mx_name
    while "." in head:
        if head in PREFIXES:
            return PREFIXES[head] + mx_name[len(head):]
        head = head.rpartition(".")[0]
    return "ndengine" + mx_name[len("mxnet"):]


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``mxnet.*`` names; loading one returns the ndengine module object."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "mxnet" and not fullname.startswith("mxnet."):
            return None
        nd_name = ndengine_name(fullname)
        try:
            spec = importlib.util.find_spec(nd_name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: ndengine has no {nd_name} module, which is "
                f"what {fullname} would be (ndengine implements MXNet 1.9.1's Python API; "
                f"see README, 'MXNet compatibility')", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, origin=spec.origin,
                                              is_package=spec.submodule_search_locations
                                              is not None)

    def create_module(self, spec: Any) -> ModuleType:
        mod = importlib.import_module(ndengine_name(spec.name))
        spec.loader_state = mod.__spec__    # the import system overwrites __spec__ ...
        return mod

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the ndengine module ran when it was imported); the module
        keeps its own spec, so its name and relative imports stay ndengine's."""
        module.__spec__ = module.__spec__.loader_state   # ... and gets it back here


_FINDER = _Alias()


def _ndengine_modules() -> list[str]:
    """Every public module of the ndengine package, found on disk without importing any
    (``pkgutil.walk_packages`` would import each package to look inside)."""
    import ndengine

    out = []

    def walk(paths: list[str], prefix: str) -> None:
        for info in pkgutil.iter_modules(paths):
            if info.name.startswith("_"):
                continue
            name = prefix + info.name
            out.append(name)
            if info.ispkg:
                walk([os.path.join(p, info.name) for p in paths], name + ".")
    walk(list(ndengine.__path__), "ndengine.")
    return ["ndengine"] + out


def mxnet_names() -> list[str]:
    """The mxnet module names the alias resolves (those whose ndengine module exists)."""
    nd_to_mx: dict[str, list[str]] = {}
    for mx, nd in EXACT.items():
        nd_to_mx.setdefault(nd, []).append(mx)
    names = set()
    for nd in _ndengine_modules():
        names.update(nd_to_mx.get(nd, []))
        for mx, pkg in PREFIXES.items():
            if nd == pkg or nd.startswith(pkg + "."):
                names.add(mx + nd[len(pkg):])
        mx = "mxnet" + nd[len("ndengine"):]
        if ndengine_name(mx) == nd:
            names.add(mx)
    return sorted(names)


def alias_as_mxnet() -> list[str]:
    """Make ``import mxnet`` / ``from mxnet import np, npx, autograd, gluon`` / ``import
    mxnet.gluon.data.vision`` resolve to ndengine's modules, so code written for MXNet
    runs unchanged.  Idempotent.  Returns the mxnet module names that now resolve."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    for name in [n for n in sys.modules if n == "mxnet" or n.startswith("mxnet.")]:
        mod = sys.modules[name]
        if not (getattr(mod, "__name__", "") or "").startswith("ndengine"):
            raise ImportError(
                f"alias_as_mxnet: {name} is already imported from {getattr(mod, '__file__', mod)}"
                f" (real MXNet?); call alias_as_mxnet() before anything imports mxnet")
    # the ones already imported are registered at once (cheap); the rest on import
    for mx_name in ("mxnet", "mxnet.np", "mxnet.numpy", "mxnet.npx", "mxnet.base"):
        sys.modules.setdefault(mx_name, importlib.import_module(ndengine_name(mx_name)))
    return mxnet_names()


def unalias_mxnet() -> None:
    """Undo :func:`alias_as_mxnet` (for tests): the finder and every ``mxnet`` entry of
    ``sys.modules`` go."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "mxnet" or n.startswith("mxnet.")]:
        del sys.modules[name]

