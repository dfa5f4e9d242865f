"""On-venue trades on every venue's log: a few sales of listed demo products at each of the
four venues, recorded by the operator as `POST /v1/transactions` records them
(app/trades/recorder.py `record_one`: same rules, leaf, audit and outbox events), the first
of each venue since delivered and settled, the second delivered.

Each trade has an Idempotency-Key of the demo's (`shushang-demo/<venue>/<n>`) and a body
fixed by its listing, so running the demo again records none twice: the key's first trade
is answered instead."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import driver
from app.core.errors import IdempotencyMismatch
from app.core.principal import Principal
from app.demo.catalog import VENUES
from app.listings.models import Listing
from app.listings.states import ListingStatus
from app.trades import recorder
from app.trades import service as trades
from app.trades.schemas import EventType, TradeCreate, TradeEventCreate

PER_VENUE = 3
# What happened to the n-th trade of a venue since.
LATER: list[list[EventType]] = [[EventType.delivered, EventType.settled], [EventType.delivered], []]
CALLS = 100_000  # what a per-call price is bought for
NEGOTIATED = "88000.00"  # what a negotiable price came to


def _terms(listing: Listing) -> tuple[str, str | None, str | None]:
    """The amount, quantity and term of one sale at the listing's price."""
    amount = listing.price_amount
    if listing.price_model == "per_call" and amount is not None:
        return f"{amount * CALLS:.2f}", f"{CALLS} 次调用", "12 个月"
    if listing.price_model == "subscription" and amount is not None:
        return f"{amount:.2f}", None, "1 年" if listing.price_unit == "year" else "1 个月"
    if amount is not None:
        return f"{amount:.2f}", None, "永久使用"
    return NEGOTIATED, None, "3 年"


async def load(
    session: AsyncSession, who: Principal, merchants: list[UUID], large_amount: Decimal
) -> int:
    """The demo's on-venue trades between `merchants` (the demo's), on the first listed
    listings of theirs at each venue: how many were recorded now."""
    raw = await driver(session)
    recorded = 0
    for venue in VENUES:
        listings = (
            (
                await session.execute(
                    select(Listing)
                    .where(
                        Listing.venue_code == venue,
                        Listing.status == ListingStatus.listed.value,
                        Listing.merchant_id.in_(merchants),
                    )
                    .order_by(Listing.listed_at, Listing.id)
                    .limit(PER_VENUE)
                )
            )
            .scalars()
            .all()
        )
        for n, listing in enumerate(listings):
            assert listing.listed_at is not None
            seller = listing.merchant_id
            buyer = merchants[(merchants.index(seller) + 1 + n) % len(merchants)]
            amount, quantity, term = _terms(listing)
            data = TradeCreate(
                venue_code=venue,
                on_venue=True,
                listing_id=listing.id,
                seller_merchant_id=seller,
                buyer_merchant_id=buyer,
                amount=amount,
                quantity=quantity,
                term=term,
                contract_digest=hashlib.sha256(
                    f"shushang demo {venue} {listing.id} {n}".encode()
                ).hexdigest(),
                # Sold just after it was listed: the body is the same however often the demo
                # runs, so the key's first trade answers a second run.
                occurred_at=listing.listed_at + timedelta(seconds=n + 1),
            )
            try:
                trade_id, new = await recorder.record_one(
                    raw, who, data, f"shushang-demo/{venue}/{n + 1}", large_amount=large_amount
                )
            except IdempotencyMismatch:
                continue  # an earlier run sold another listing under this key: it stands
            if not new:
                continue
            recorded += 1
            for event in LATER[n % len(LATER)]:
                await trades.add_event(session, who, trade_id, TradeEventCreate(type=event))
    return recorded
