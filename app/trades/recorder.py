"""Group commit of trades: a venue's waiting trades are checked and stored in one transaction.

Appends to a venue's log are serial (the head row's lock orders them). Taken one request
at a time, each would hold that lock for a whole request transaction; here the requests of
a process queue per venue, and one writer takes every trade waiting and, in one
transaction on the driver connection (asyncpg, no ORM):

1. reads what all of them need in one statement: the caller's key (a request of the trade
   lane, app/trades/lane.py, is authenticated here), the first response to its
   Idempotency-Key, the venue's fee rate, the parties, listing and product;
   with rate limits on, the lane's keys are looked up and take from their shared buckets
   (app/core/ratelimit.py) in one statement just before the transaction: taken inside it,
   a key's bucket row would stay locked until the batch commits, queueing that key's
   batches at other venues (and other processes) behind this one;
2. decides each: 401/403/429 for the key, 409 while the key is in flight, the first response
   again for a retry, a problem where DOMAIN.md's rules fail, else a new trade;
3. appends the new trades to the log and stores them with their idempotency records, audit
   events and outbox events, and commits once.

Each request learns its answer only after that commit: a 201 still means durable.

If a batch fails, its trades are checked and written again one by one, so one bad trade
cannot sink the others, and a trade whose Idempotency-Key another process recorded in the
meantime is answered with that first trade; a failure that persists reaches its own
request only. If the database is away, every trade of the batch fails at once (503),
rather than each waiting its turn.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import service as audit
from app.auth import repository as keys
from app.core.db import Driver, driver_of, is_database_unavailable
from app.core.errors import RateLimited, ShushangError, Unauthorized
from app.core.money import cents
from app.core.principal import Principal
from app.core.ratelimit import Rate
from app.core.tokens import UNKNOWN_KEY
from app.ledger import merkle, sequencer
from app.outbox import service as outbox
from app.trades import repository, service, waivers
from app.trades.auth import RECORDERS
from app.trades.entries import canonical, trade_entry
from app.trades.models import NewTrade
from app.trades.repository import Asked, RecordingFacts
from app.trades.schemas import TradeCreate, TradeOut
from app.web.auth import admit_role

MAX_BATCH = 256


@dataclass(frozen=True, slots=True)
class Answer:
    """What a recording request is answered: 201 and the trade, or a retry's first answer.
    `content` is the JSON body, serialized once (it is also what replays are answered)."""

    status: int
    trade_id: str
    content: bytes
    replayed: bool = False


@dataclass(slots=True)
class Submission:
    """One request to record a trade, its body valid. `who` is the caller when the documented
    route has authenticated it already; the trade lane leaves it None, and the key is
    looked up with the batch by `token_hash`."""

    data: TradeCreate
    idempotency_key: str
    request_hash: bytes
    token_hash: bytes
    request_id: str | None
    who: Principal | None = None
    duplicate: bool = False  # another request with this key was in flight when it came
    caller: Principal | None = None  # the key the batch found, for the access log
    taken: bool = False  # the key was looked up and its bucket taken from (once, ever)
    retry_after: int | None = None  # the key's bucket was empty: 429
    done: asyncio.Future[Answer] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass(slots=True)
class Accepted:
    """A trade that passed its checks, with what its idempotency record and audit event
    need: stored by `append` and `persist`, whichever way it came (a request or an import's
    line). `details` go into its audit event besides the venue, leaf and amount."""

    who: Principal
    trade: NewTrade
    idempotency_key: str
    request_hash: bytes
    request_id: str | None
    details: dict[str, Any] = field(default_factory=dict)


class GroupCommitter:
    def __init__(self, engine: AsyncEngine, rate: Rate | None, large_amount: Decimal) -> None:
        self._engine = engine
        self._rate = rate  # each key's limit; None: off
        self._large_amount = large_amount  # SHUSHANG_LARGE_TRADE_AMOUNT
        self._waiting: dict[str, list[Submission]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._frontiers = sequencer.Frontiers()  # saves reading a log's edge per batch
        # Idempotency-Keys of this process's requests not yet answered. (Across processes,
        # the idempotency record's primary key lets only one of two racing requests commit.)
        self._in_flight: set[tuple[bytes, str]] = set()

    async def record(self, submission: Submission) -> Answer:
        """The request's answer, once its batch has committed; a problem raises."""
        claim = (submission.token_hash, submission.idempotency_key)
        if claim in self._in_flight:
            submission.duplicate = True  # answered 409, once its key is known to be valid
        else:
            self._in_flight.add(claim)
            submission.done.add_done_callback(lambda _: self._in_flight.discard(claim))
        # Retrieved here even if the request has gone, so no "never retrieved" warning.
        submission.done.add_done_callback(lambda done: done.cancelled() or done.exception())
        venue = submission.data.venue_code
        self._waiting.setdefault(venue, []).append(submission)
        writer = self._writers.get(venue)
        if writer is None or writer.done():
            self._writers[venue] = asyncio.create_task(self._write_all(venue))
        return await asyncio.shield(submission.done)

    async def _write_all(self, venue: str) -> None:
        waiting = self._waiting[venue]
        while waiting:
            batch = waiting[:MAX_BATCH]
            del waiting[: len(batch)]
            try:
                await self._write(venue, batch)
            except Exception as failure:
                if is_database_unavailable(failure):
                    for one in batch:  # the database is away: every one of them fails now
                        _fail(one, failure)
                    continue
                # One by one: the one that fails does so alone, and a key that another
                # process recorded meanwhile is read again and answered with its replay.
                for one in batch:
                    try:
                        await self._write(venue, [one])
                    except Exception as single_failure:
                        _fail(one, single_failure)
        # Nothing waits for this venue (and no await since the loop's test): forget it, so
        # that made-up venue codes leave nothing behind.
        del self._waiting[venue], self._writers[venue]

    async def _write(self, venue: str, batch: list[Submission]) -> None:
        """One transaction on the driver connection: the hot path skips the ORM."""
        answers: list[tuple[Submission, Answer | ShushangError]] = []
        async with self._engine.connect() as connection:
            raw = await driver_of(connection)
            if self._rate is not None:
                await self._take(raw, batch, self._rate)
            async with raw.transaction():
                facts = await repository.recording_facts(raw, venue, [_asked(s) for s in batch])
                accepted: list[tuple[Submission, Accepted]] = []
                for submission, fact in zip(batch, facts, strict=True):
                    try:
                        decided = self._decide(submission, fact)
                    except ShushangError as refusal:
                        answers.append((submission, refusal))
                        continue
                    if isinstance(decided, Answer):
                        answers.append((submission, decided))
                    else:
                        accepted.append(decided)
                if accepted:
                    await waivers.waive(raw, [a.trade for _, a in accepted])
                    frontier = await append(raw, venue, [a for _, a in accepted], self._frontiers)
                    contents = await persist(raw, [a for _, a in accepted])
                    answers.extend(
                        (submission, Answer(201, str(one.trade.id), content.encode()))
                        for (submission, one), content in zip(accepted, contents, strict=True)
                    )
        if accepted:  # committed
            self._frontiers.keep(venue, frontier)
        for submission, answer in answers:
            if submission.done.done():
                continue
            if isinstance(answer, Answer):
                submission.done.set_result(answer)
            else:
                submission.done.set_exception(answer)

    def _decide(
        self, submission: Submission, facts: RecordingFacts
    ) -> Answer | tuple[Submission, Accepted]:
        """In the order of the documented route: the key, the key in flight, a retry's first
        answer, then the rules."""
        who = submission.who
        if who is None:
            # Checked again each time (a batch that fails is retried one by one), but the
            # bucket is taken from once: by `_take`, whose principal stands.
            if not submission.taken:
                submission.caller = facts.principal
            who = submission.caller
            if who is None:
                raise Unauthorized(UNKNOWN_KEY)
            admit_role(who, RECORDERS)
            if submission.retry_after is not None:
                raise RateLimited(submission.retry_after)
        if submission.duplicate:
            raise service.in_flight()
        first = service.replay(facts.first_response, submission.request_hash)
        if first is not None:
            return Answer(first.status, first.body["id"], _json(first.body), replayed=True)
        trade = service.new_trade(who, submission.data, facts, large_amount=self._large_amount)
        return submission, Accepted(
            who, trade, submission.idempotency_key, submission.request_hash, submission.request_id
        )

    @staticmethod
    async def _take(raw: Driver, batch: list[Submission], rate: Rate) -> None:
        """Look up the keys of the lane's requests and take from their buckets: one
        statement, outside the batch's transaction, once per request ever; one take per
        key, for as many requests as it has here, of which the first ones get what the
        bucket holds."""
        by_token: dict[bytes, list[Submission]] = {}
        for submission in batch:
            if submission.who is None and not submission.taken:
                by_token.setdefault(submission.token_hash, []).append(submission)
        if not by_token:
            return
        admitted = await keys.principals_taking(
            raw, list(by_token), [len(s) for s in by_token.values()], rate
        )
        for submissions, one in zip(by_token.values(), admitted, strict=True):
            for n, submission in enumerate(submissions):
                submission.caller = one.principal
                submission.retry_after = None if n < one.granted else one.retry_after
                submission.taken = True


def _asked(submission: Submission) -> Asked:
    data = submission.data
    known = submission.who or (submission.caller if submission.taken else None)
    return Asked(
        token_hash=submission.token_hash,
        key_id=known.key_id if known else None,
        key=submission.idempotency_key,
        seller_id=data.seller_merchant_id,
        buyer_id=data.buyer_merchant_id,
        listing_id=data.listing_id,
        product_id=data.product_id,
    )


async def record_one(
    raw: Driver,
    who: Principal,
    data: TradeCreate,
    idempotency_key: str,
    *,
    large_amount: Decimal,
    request_id: str | None = None,
) -> tuple[UUID, bool]:
    """One trade recorded in the caller's transaction as `POST /v1/transactions` records it
    (the facts, the rules, the leaf, the idempotency record, the audit and outbox events of
    the batch writer above), for a caller that is no request: `shushang demo`. `who` is
    known already. The trade's id, and True when it was recorded now (False: the key's
    first trade, as a retry is answered); a problem raises, as it would be answered."""
    digest = service.request_hash(data)
    asked = Asked(
        token_hash=b"",  # the caller is known: its key id scopes the idempotency keys
        key_id=who.key_id,
        key=idempotency_key,
        seller_id=data.seller_merchant_id,
        buyer_id=data.buyer_merchant_id,
        listing_id=data.listing_id,
        product_id=data.product_id,
    )
    [facts] = await repository.recording_facts(raw, data.venue_code, [asked])
    first = service.replay(facts.first_response, digest)
    if first is not None:
        return UUID(first.body["id"]), False
    trade = service.new_trade(who, data, facts, large_amount=large_amount)
    accepted = Accepted(who, trade, idempotency_key, digest, request_id)
    await waivers.waive(raw, [trade])
    await append(raw, data.venue_code, [accepted], sequencer.Frontiers())
    await persist(raw, [accepted])
    return trade.id, True


async def append(
    raw: Driver, venue: str, accepted: list[Accepted], known: sequencer.Frontiers
) -> sequencer.Frontier:
    """Append the trades to the venue's log, in order, in the caller's transaction: each
    trade gets its leaf index; the log's frontier after them is returned (keep it once the
    transaction has committed)."""
    leaves = [_leaf(a.trade) for a in accepted]
    indices, frontier = await sequencer.append_many(raw, venue, leaves, known)
    for one, index in zip(accepted, indices, strict=True):
        one.trade.leaf_index = index
    return frontier


def _leaf(trade: NewTrade) -> sequencer.Leaf:
    """`sequencer.Leaf.of`, with the trade's own (faster, equal) canonical JSON."""
    data = canonical(trade_entry(trade))
    return sequencer.Leaf("trade", trade.id, data, merkle.leaf_hash(data))


async def persist(raw: Driver, accepted: list[Accepted]) -> list[str]:
    """Store appended trades (of any venues) with their idempotency records, audit events
    and outbox events, in the caller's transaction, one statement each: the 201 body of
    each, as its idempotency record keeps it."""
    first_responses, audit_events, events, contents = [], [], [], []
    for one in accepted:
        trade, venue, index = one.trade, one.trade.venue_code, one.trade.leaf_index
        content = TradeOut.model_validate(trade).model_dump_json()
        amount = cents(trade.amount)
        first_responses.append(
            (one.who.key_id, one.idempotency_key, one.request_hash, 201, content)
        )
        audit_events.append(
            audit.Entry(
                one.who,
                "trade.record",
                "trade",
                trade.id,
                {"venue_code": venue, "leaf_index": index, "amount": amount, **one.details},
                one.request_id,
            )
        )
        events.append(
            outbox.NewEvent(
                "trade.recorded",
                "trade",
                trade.id,
                [trade.seller_merchant_id, trade.buyer_merchant_id],
                {
                    "trade_id": str(trade.id),
                    "venue_code": venue,
                    "leaf_index": index,
                    "amount": amount,
                    "on_venue": trade.on_venue,
                    "confirmed": trade.confirmed,
                },
                request_id=one.request_id,
            )
        )
        contents.append(content)
    await repository.add_recorded(raw, [a.trade for a in accepted], first_responses)
    await audit.add_on_driver(raw, audit_events)
    await outbox.emit_on(raw, events)
    return contents


def _json(body: dict[str, Any]) -> bytes:
    """As Starlette's JSONResponse writes it."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _fail(submission: Submission, failure: BaseException) -> None:
    if submission.done.done():
        return
    if isinstance(failure, asyncpg.UniqueViolationError):  # another process took this key
        failure = service.in_flight()
    submission.done.set_exception(failure)
