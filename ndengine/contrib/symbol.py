"""``mx.contrib.sym`` / ``mx.contrib.symbol``: the contrib ops of ``mx.nd.contrib`` that
take arrays only, as graph nodes (MXNet's ``_contrib_<name>`` ops: ``arange_like``,
``div_sqrt_dim``, ``index_copy``, ``index_array``, ``quadratic``, ``boolean_mask``)."""
from __future__ import annotations

from ..symbol._ops import MX_OPS
from ..symbol.symbol import _make_creator

__all__ = sorted(k[len("_contrib_"):] for k in MX_OPS if k.startswith("_contrib_"))

for _name in __all__:
    globals()[_name] = _make_creator("_contrib_" + _name)
del _name
