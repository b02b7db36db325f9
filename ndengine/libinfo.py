"""``mx.libinfo``: about the library.  ndengine is pure Python over NumPy: it has no
shared library, include directory or TVM config for ``find_lib_path`` and friends to
find, so only the version is here (the same as ``ndengine.__version__``); what it can
do on this machine is :class:`ndengine.runtime.Features`."""
from __future__ import annotations

from . import __version__

__all__ = ["__version__"]
