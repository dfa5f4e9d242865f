"""Group commit of trades: a venue's concurrent trades are appended in one transaction.

Appends to a venue's log are serial (the head row's lock orders them). Taken one request
at a time, each holds that lock for a whole request transaction; here the requests of a
process queue per venue, and one writer takes every trade waiting, appends them all to the
log, stores them with their idempotency records and audit events, and commits once. Each
request learns its trade's leaf index only after that commit: a 201 still means durable.

If a batch fails, its trades are written again one by one, so one bad trade cannot sink
the others; a failure that persists reaches its own request only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.auth.principal import Principal
from app.db import unit_of_work
from app.ledger import sequencer
from app.trades import repository
from app.trades.entries import trade_entry
from app.trades.models import IdempotencyRecord, Trade
from app.trades.schemas import TradeOut

MAX_BATCH = 256


@dataclass
class Pending:
    trade: Trade
    who: Principal
    idempotency_key: str
    request_hash: bytes
    request_id: str | None
    done: asyncio.Future[Trade] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitter:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
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

    async def record(self, pending: Pending) -> Trade:
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
                if len(batch) == 1:
                    _fail(batch[0], failure)
                    continue
                for one in batch:  # find the one that fails; the others go through
                    try:
                        await self._write(venue, [one])
                    except Exception as single_failure:
                        _fail(one, single_failure)

    async def _write(self, venue: str, batch: list[Pending]) -> None:
        async with unit_of_work(self._factory) as session:
            leaves = [sequencer.Leaf("trade", p.trade.id, trade_entry(p.trade)) for p in batch]
            indices = await sequencer.append_many(session, venue, leaves)
            for pending, index in zip(batch, indices, strict=True):
                pending.trade.leaf_index = index
            await repository.add(session, *(p.trade for p in batch))
            for pending in batch:
                body = TradeOut.model_validate(pending.trade).model_dump(mode="json")
                session.add(
                    IdempotencyRecord(
                        api_key_id=pending.who.key_id,
                        key=pending.idempotency_key,
                        request_hash=pending.request_hash,
                        response_status=201,
                        response_body=body,
                    )
                )
                session.add(
                    audit.event(
                        pending.who,
                        "trade.record",
                        "trade",
                        pending.trade.id,
                        {
                            "venue_code": venue,
                            "leaf_index": pending.trade.leaf_index,
                            "amount": body["amount"],
                        },
                        request_id=pending.request_id,
                    )
                )
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(pending.trade)


def _fail(pending: Pending, failure: BaseException) -> None:
    if not pending.done.done():
        pending.done.set_exception(failure)
