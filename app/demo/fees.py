"""The demo's fee waiver (减免撮合服务费): ZJBDEX waives the whole fee of a seller's first
on-venue trade, up to 500.00 a seller and year, as the Zhejiang policy asks venues to
("推动数据供需主体迈出场内交易第一步"). Created once; the demo's first trades at ZJBDEX
(app/demo/trades.py, recorded after it) are its first waived trades."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.fees import service as fees
from app.fees.models import FeeWaiver
from app.fees.schemas import FeeWaiverCreate

VENUE = "ZJBDEX"
RULE = {
    "kind": "first_on_venue_trade",
    "percent": "100",
    "from": "2024-01-01",
    "to": "2030-12-31",
    "cap_per_merchant": "500.00",
}


async def load(session: AsyncSession, who: Principal) -> int:
    """The demo's waiver rule, unless the venue has one already: how many were created."""
    found = await session.execute(select(FeeWaiver.id).where(FeeWaiver.venue_code == VENUE))
    if found.first() is not None:
        return 0
    await fees.create(session, who, VENUE, FeeWaiverCreate.model_validate(RULE))
    return 1
