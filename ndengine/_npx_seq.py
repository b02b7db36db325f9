"""``npx``'s recurrent and sequence functions (``npx.rnn`` and the ``sequence_*`` ops other
than ``sequence_mask``), kept in their own module so that they can grow beside ``npx.py``;
``npx`` re-exports every name in ``__all__``."""
from __future__ import annotations

__all__: list[str] = []
