"""Steps the registry takes on its own when another domain's fact changes under a
certificate: a product reclassified core data (核心数据) suspends its certificates in force
for review. Reclassifying back does not reinstate: the operator does, after review.

Called from `app/products/service.py _record_revision`, the one place every product
revision passes (as `app/listings/automatic.py` is), in the same transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.ip import service


async def product_revised(
    session: AsyncSession, cause: Principal, product_id: UUID, changes: dict[str, Any]
) -> int:
    """A revision that makes the product `core` suspends its certificates; how many."""
    became = changes.get("classification", [None, None])[1]
    if became != "core":
        return 0
    return await service.suspend_core_data(session, cause, product_id)
