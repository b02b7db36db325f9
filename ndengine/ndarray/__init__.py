"""NDArray (buffer + engine var + device) and the op table it dispatches."""
from .ndarray import NDArray, apply_op, from_buffer, invoke
from .ops import OPS, OpDef, ShapeError

__all__ = ["NDArray", "apply_op", "from_buffer", "invoke", "OPS", "OpDef", "ShapeError"]
