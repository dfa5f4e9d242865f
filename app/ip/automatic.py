"""Steps the registry takes on its own when another domain's fact changes under a
certificate: a product reclassified core data (核心数据) suspends its certificates in force
for review. Reclassifying back does not reinstate: the operator does, after review.

`on_product_revised` is the reaction to `ProductRevised`, which `app/products/service.py
_record_revision` emits for every product revision (app/core/reactions.py); `app/wiring.py`
subscribes it, after listings' own, and it runs in the same transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.ip import service
from app.products.reactions import ProductRevised


async def product_revised(
    session: AsyncSession, cause: Principal, product_id: UUID, changes: dict[str, Any]
) -> int:
    """A revision that makes the product `core` suspends its certificates; how many."""
    became = changes.get("classification", [None, None])[1]
    if became != "core":
        return 0
    return await service.suspend_core_data(session, cause, product_id)


async def on_product_revised(
    session: AsyncSession, cause: Principal, event: ProductRevised
) -> None:
    """The reaction to `ProductRevised` (wired in app/wiring.py)."""
    await product_revised(session, cause, event.product_id, event.changes)
