"""What kind of work an op is (compute, copy, random, creation, view, engine) and its colour."""
from __future__ import annotations

__all__ = ["op_kind", "KIND_COLORS", "KINDS"]

# Colour-blind-friendly (Okabe-Ito), one per kind; shared by the timeline and the graph.
KIND_COLORS = {
    "compute": "#0072B2",
    "copy": "#E69F00",
    "random": "#009E73",
    "creation": "#CC79A7",
    "view": "#56B4E9",
    "engine": "#999999",
}
KINDS = tuple(KIND_COLORS)

_ENGINE_OPS = {"delete_var", "wait_to_write"}


def _op_table() -> dict:
    try:   # read-only metadata of the array layer; the engine hooks do not carry it
        from ..ndarray.ops import OPS
    except Exception:   # pragma: no cover - the array layer always imports
        return {}
    return OPS


def op_kind(name: str, copy: bool = False) -> str:
    """The kind of an op from its engine name (``OpDef.kind`` where the op table has it)."""
    if copy:
        return "copy"
    if name.startswith("random."):
        return "random"
    if name in _ENGINE_OPS:
        return "engine"
    table = _op_table()
    opdef = table.get(name)
    if opdef is None and name.endswith("_"):       # in-place form: add_, multiply_...
        opdef = table.get(name[:-1])
    if opdef is not None:
        kind = getattr(opdef, "kind", "compute")
        return kind if kind in KIND_COLORS else "compute"
    if name in ("copyto", "copy"):
        return "copy"
    return "compute"
