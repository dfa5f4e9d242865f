"""Group commit of trades: a venue's concurrent trades are appended in one transaction.

Appends to a venue's log are serial (the head row's lock orders them). Taken one request
at a time, each holds that lock for a whole request transaction; here the requests of a
process queue per venue, and one writer takes every trade waiting, appends them all to the
log, stores them with their idempotency records and audit events, and commits once, on
the driver connection (asyncpg) without the ORM. Each
request learns its trade's leaf index only after that commit: a 201 still means durable.

If a batch fails, its trades are written again one by one, so one bad trade cannot sink
the others; a failure that persists reaches its own request only. If the database is
away, every trade of the batch fails at once (503), rather than each waiting its turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import service as audit
from app.auth.principal import Principal
from app.db import driver_of
from app.errors import is_database_unavailable
from app.events import service as outbox
from app.ledger import sequencer
from app.trades import repository
from app.trades.entries import trade_entry
from app.trades.models import Trade
from app.trades.repository import FirstResponse
from app.trades.schemas import TradeOut

MAX_BATCH = 256


@dataclass
class Pending:
    trade: Trade
    who: Principal
    idempotency_key: str
    request_hash: bytes
    request_id: str | None
    done: asyncio.Future[dict[str, Any]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._waiting: dict[str, list[Pending]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._in_flight: set[tuple[UUID, str]] = set()

    @contextmanager
    def claim(self, api_key_id: UUID, key: str) -> Iterator[bool]:
        """Hold an Idempotency-Key for the length of its request: False if this process is
        already running a request with it. (Across processes, the idempotency record's
        primary key lets only one of two racing requests commit.)"""
        claimed = (api_key_id, key)
        if claimed in self._in_flight:
            yield False
            return
        self._in_flight.add(claimed)
        try:
            yield True
        finally:
            self._in_flight.discard(claimed)

    async def record(self, pending: Pending) -> dict[str, Any]:
        """The trade's answer (its JSON, as stored for replays), once it is committed."""
        venue = pending.trade.venue_code
        self._waiting.setdefault(venue, []).append(pending)
        writer = self._writers.get(venue)
        if writer is None or writer.done():
            self._writers[venue] = asyncio.create_task(self._write_all(venue))
        return await asyncio.shield(pending.done)

    async def _write_all(self, venue: str) -> None:
        waiting = self._waiting[venue]
        while waiting:
            batch = waiting[:MAX_BATCH]
            del waiting[: len(batch)]
            try:
                await self._write(venue, batch)
            except Exception as failure:
                if len(batch) == 1 or is_database_unavailable(failure):
                    for one in batch:  # the database is away: every one of them fails now
                        _fail(one, failure)
                    continue
                for one in batch:  # find the one that fails; the others go through
                    try:
                        await self._write(venue, [one])
                    except Exception as single_failure:
                        _fail(one, single_failure)

    async def _write(self, venue: str, batch: list[Pending]) -> None:
        """One transaction on the driver connection: the hot path skips the ORM."""
        async with self._engine.connect() as connection:
            raw = await driver_of(connection)
            async with raw.transaction():
                leaves = [sequencer.Leaf("trade", p.trade.id, trade_entry(p.trade)) for p in batch]
                indices = await sequencer.append_many(raw, venue, leaves)
                first_responses, events = [], []
                for pending, index in zip(batch, indices, strict=True):
                    pending.trade.leaf_index = index
                    body = TradeOut.model_validate(pending.trade).model_dump(mode="json")
                    first_responses.append(
                        (
                            pending.who.key_id,
                            pending.idempotency_key,
                            FirstResponse(pending.request_hash, 201, body),
                        )
                    )
                    events.append(
                        audit.event(
                            pending.who,
                            "trade.record",
                            "trade",
                            pending.trade.id,
                            {"venue_code": venue, "leaf_index": index, "amount": body["amount"]},
                            request_id=pending.request_id,
                        )
                    )
                await repository.add_recorded(raw, [p.trade for p in batch], first_responses)
                await audit.add_on_driver(raw, events)
                await outbox.emit_on(
                    raw,
                    [
                        outbox.NewEvent(
                            "trade.recorded",
                            "trade",
                            p.trade.id,
                            [p.trade.seller_merchant_id, p.trade.buyer_merchant_id],
                            {
                                "trade_id": str(p.trade.id),
                                "venue_code": venue,
                                "leaf_index": p.trade.leaf_index,
                                "amount": body["amount"],
                                "on_venue": p.trade.on_venue,
                            },
                            request_id=p.request_id,
                        )
                        for p, body in zip(batch, (f[2].body for f in first_responses), strict=True)
                    ],
                )
        for pending, first in zip(batch, first_responses, strict=True):
            if not pending.done.done():
                pending.done.set_result(first[2].body)


def _fail(pending: Pending, failure: BaseException) -> None:
    if not pending.done.done():
        pending.done.set_exception(failure)
