"""Provided reads: how a lower domain reads a higher one's facts without importing it.

Reactions (app/core/reactions.py) let a higher domain act on a lower one's facts. Sometimes
the lower domain must *read* a higher one's: which products are listed is a fact of
`listings`, yet the product catalog's visibility (`products`) and a merchant's count of
listed products (`merchants`) depend on it, and `listings` sits above both. The lower
domain then declares what it needs as a `Provided` slot, typed by the function it calls;
the higher one writes that function beside its own queries; `app/wiring.py` connects them
at start-up, as it subscribes reactions.

This module knows no domain. A slot nobody filled is a wiring forgotten: reading it raises
LookupError rather than answering as if the fact were empty.
"""

from __future__ import annotations

from typing import Generic, TypeVar

F = TypeVar("F")


class Provided(Generic[F]):
    """A function a lower domain calls and a higher one provides (see the module)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._function: F | None = None

    def provide(self, function: F) -> None:
        """Fill the slot, once (app/wiring.py). Idempotent; another function is refused:
        one home per fact."""
        if self._function is not None and self._function != function:
            raise ValueError(f"{self.what} is provided already")
        self._function = function

    @property
    def get(self) -> F:
        if self._function is None:
            raise LookupError(f"nothing provides {self.what}: call app.wiring.register()")
        return self._function
