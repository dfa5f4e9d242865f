"""The register's leaves in the ledger: the `FIN` log holds every cost item and movement of
every data asset. Registered with the ledger at start-up (`app/wiring.py`): how `shushang
ledger verify FIN` rebuilds them from the stored rows, and who may read their contents (the
assets' one visibility rule, `repository.visible_to`: the asset's merchant, operators and
auditors; nobody else, anonymous callers included)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.entries import (
    COST_ITEM_LEAF,
    FIN_LOG,
    LEAF_KINDS,
    MOVEMENT_LEAF,
    PERIOD_CLOSE_LEAF,
    RESTATEMENT_LEAF,
)
from app.assets.models import DataAsset, DataAssetPeriodClose
from app.assets.repository import visible_to
from app.core.principal import Principal
from app.core.roles import Role
from app.ledger import kinds


def _rebuild(leaf: str) -> kinds.Rebuild:
    table, entry = LEAF_KINDS[leaf]

    async def rebuild(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        rows = await session.execute(select(table).where(table.id.in_(ids)))
        return {row.id: entry(row) for row in rows.scalars()}

    return rebuild


def _readable(leaf: str) -> kinds.Readable:
    table, _ = LEAF_KINDS[leaf]

    async def readable(
        session: AsyncSession, who: Principal | None, ids: Sequence[UUID]
    ) -> set[UUID]:
        if who is None:
            return set()
        if table is DataAssetPeriodClose:  # a merchant's close: no asset, the same rule
            query = select(table.id).where(table.id.in_(ids))
            if who.role not in (Role.operator, Role.auditor):
                if who.role is not Role.merchant or who.merchant_id is None:
                    return set()
                query = query.where(table.merchant_id == who.merchant_id)
            return set((await session.execute(query)).scalars())
        query = (
            select(table.id)
            .join(DataAsset, DataAsset.id == table.asset_id)
            .where(table.id.in_(ids), visible_to(who))
        )
        return set((await session.execute(query)).scalars())

    return readable


def register() -> None:
    leaves = (COST_ITEM_LEAF, MOVEMENT_LEAF, PERIOD_CLOSE_LEAF, RESTATEMENT_LEAF)
    for leaf in leaves:
        kinds.register_kind(kinds.LeafKind(leaf, rebuild=_rebuild(leaf), readable=_readable(leaf)))
    kinds.register_log(FIN_LOG, leaves)
