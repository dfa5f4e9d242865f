"""Facts about products that other domains react to (app/core/reactions.py, wired in
app/wiring.py): products emits them and imports none of the reacting domains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class ProductRevised:
    """A new revision of a product was kept; `changes` maps each changed field to
    `[before, after]`."""

    product_id: UUID
    revision: int
    changes: dict[str, Any]
