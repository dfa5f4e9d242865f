"""The trades' leaves in the ledger: every venue's log holds its trades and their events.
Registered with the ledger at start-up (`app/wiring.py`): how `shushang ledger verify`
rebuilds them from the stored rows, and who may read their contents (the parties, operators
and auditors: the trades' one visibility rule, `repository.visible_to`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.ledger import kinds
from app.trades.entries import event_entry, trade_entry
from app.trades.models import Trade, TradeEvent
from app.trades.repository import visible_to
from app.venues import repository as venues

TRADE = "trade"
TRADE_EVENT = "trade_event"


async def _trades(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = await session.execute(select(Trade).where(Trade.id.in_(ids)))
    return {row.id: trade_entry(row) for row in rows.scalars()}


async def _events(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = await session.execute(select(TradeEvent).where(TradeEvent.id.in_(ids)))
    return {row.id: event_entry(row) for row in rows.scalars()}


async def _readable_trades(
    session: AsyncSession, who: Principal | None, ids: Sequence[UUID]
) -> set[UUID]:
    if who is None:
        return set()
    query = select(Trade.id).where(Trade.id.in_(ids), visible_to(who))
    return set((await session.execute(query)).scalars())


async def _readable_events(
    session: AsyncSession, who: Principal | None, ids: Sequence[UUID]
) -> set[UUID]:
    """An event's contents are its trade's: readable by whoever may read the trade."""
    if who is None:
        return set()
    query = (
        select(TradeEvent.id)
        .join(Trade, Trade.id == TradeEvent.trade_id)
        .where(TradeEvent.id.in_(ids), visible_to(who))
    )
    return set((await session.execute(query)).scalars())


async def _is_venue(session: AsyncSession, name: str) -> bool:
    return await venues.get(session, name) is not None


def register() -> None:
    kinds.register_kind(kinds.LeafKind(TRADE, rebuild=_trades, readable=_readable_trades))
    kinds.register_kind(kinds.LeafKind(TRADE_EVENT, rebuild=_events, readable=_readable_events))
    kinds.register_logs(_is_venue, (TRADE, TRADE_EVENT))
