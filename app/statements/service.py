"""Monthly statements (对账单) per merchant and venue (DOMAIN.md "Firsts, programmes and
fees → Statements"; DESIGN.md "Programmes").

What a statement of month `M` (Asia/Shanghai) at venue `V` holds, for merchant `m`:
- **trades**: the trades at `V` with `m` as seller (its fees due) or buyer, dated
  (`occurred_at`) in `M`, in force (app/statements/closing.py `Life`) with every fact
  recorded so far, or, once `M` is closed, with every fact recorded before its close. As
  buyer the fee columns are 0.00: the fee is the seller's (DOMAIN.md "Fees").
- **adjustments**: every change recorded while `M` was the first open month
  (`[close(M − 1), close(M))`) to a trade of an earlier, closed month: a trade recorded late
  (back-dated into a closed month) or confirmed late enters (`recorded`, `confirmed`,
  amounts positive); a cancellation or refund takes it out (`cancelled`, `refunded`,
  negative). A change recorded before its own month closed is simply in that month.
- **totals** over both; `net_due` = the month's fees due + the adjustments' fees.
- **closed**: `M` closes on day `SHUSHANG_STATEMENT_CLOSE_DAY` (1–28, default 5) of the next
  month at 00:00 Asia/Shanghai (`closes_at`). From then on its content is cut at the close;
  it says `closed: true` from `closing.SETTLE` (10 minutes) later, once a request that took
  its recording time before the close can no longer commit after it (or a replica lag).
- **content_sha256**: SHA-256 of the statement's RFC 8785 canonical JSON without itself.

Why a closed statement never changes, with no stored snapshot: everything it is made of is
fixed by the recording times (`created_at`) of trades and trade events that lie before its
close, and those are set by the server when they are recorded, never updated (trades and
their events are append-only, each time also in the venue's ledger leaf as `recorded_at`).
The business times a caller may back-date (`occurred_at` of a trade or an event) only choose
the month a trade belongs to, never when a change counts: a trade recorded today but dated
last March is not in last March's closed statement, it is an adjustment today. So the same
request for a closed month gives the same JSON bytes and digest forever (the XLSX and PDF
carry the same numbers; their names of the venue and merchant are the current ones). Only a
change of `SHUSHANG_STATEMENT_CLOSE_DAY` would move the boundaries: it is configuration an
exchange sets once.

Who: the merchant itself, operators and auditors; another merchant's statements are 404
(not said to exist, as the data-asset books), an unknown venue or merchant 404, assessors
403, anonymous callers 401.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import rfc8785
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import SHANGHAI
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.money import cents
from app.core.principal import Principal
from app.core.roles import Role
from app.merchants import repository as merchants
from app.merchants.service import MERCHANT
from app.statements import closing, repository
from app.statements.schemas import (
    Statement,
    StatementAdjustment,
    StatementTotals,
    StatementTrade,
)
from app.trades.models import Trade
from app.venues import service as venues

ZERO = Decimal("0.00")
DIGEST_FIELD = "content_sha256"


def fee_parts(trade: Trade) -> tuple[Decimal, Decimal, Decimal]:
    """(fee due, fee before waiver, waiver) of a trade, as its seller owes them: the waiver
    was fixed when the trade was recorded (app/trades/waivers.py), never recomputed here."""
    return trade.fee, trade.fee_before_waiver, trade.fee_before_waiver - trade.fee


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


@dataclass(frozen=True, slots=True)
class Line:
    role: Literal["seller", "buyer"]
    amount: Decimal
    fee: Decimal
    fee_before_waiver: Decimal
    waiver: Decimal


def _line(trade: Trade, merchant_id: UUID, sign: int = 1) -> Line:
    def signed(value: Decimal) -> Decimal:
        return value * sign + ZERO  # + 0.00: never a "-0.00"

    if trade.seller_merchant_id == merchant_id:
        fee, before, waiver = fee_parts(trade)
        return Line("seller", signed(trade.amount), signed(fee), signed(before), signed(waiver))
    return Line("buyer", signed(trade.amount), ZERO, ZERO, ZERO)


async def readable(session: AsyncSession, who: Principal, merchant_id: UUID) -> None:
    """404 unless `who` may read the merchant's statements and the merchant exists."""
    if not (
        who.role in (Role.operator, Role.auditor)
        or (who.role is Role.merchant and who.merchant_id == merchant_id)
    ):
        raise NotFound.of(MERCHANT, merchant_id)
    if await merchants.get(session, merchant_id) is None:
        raise NotFound.of(MERCHANT, merchant_id)


class _General(Exception):
    """A value outside the shapes `_sorted` vouches for: the general `rfc8785` decides."""


_SAFE_INT = 2**53  # RFC 8785 writes integers within ±2^53 as JSON writes them


def _sorted(value: Any) -> Any:
    """`value` with every object's keys sorted, if it holds only ASCII keys, strings,
    booleans, null, safe integers, lists and objects; else `_General`."""
    kind = type(value)
    if kind is dict:
        if not "".join(value).isascii():
            raise _General
        return {key: _sorted(value[key]) for key in sorted(value)}
    if kind is list:
        return [_sorted(item) for item in value]
    if kind is str or kind is bool or value is None:
        return value
    if kind is int and -_SAFE_INT < value < _SAFE_INT:
        return value
    raise _General


def canonical(document: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of `document`. For the shapes `_sorted` accepts (a statement
    is one) RFC 8785 is compact JSON with sorted keys (ASCII keys sort alike by code point
    and by UTF-16 unit; strings take the same escapes), which pydantic-core writes several
    times faster than the pure-Python `rfc8785`, as app/trades/entries.py does for a
    trade's leaf; anything else goes to `rfc8785`. tests/statements holds them equal."""
    try:
        return to_json(_sorted(document))  # a lone surrogate fails, as in rfc8785
    except _General:
        return rfc8785.dumps(document)


def digest(body: Statement) -> str:
    """SHA-256 (hex) of the statement as RFC 8785 JSON, without `content_sha256`."""
    document: dict[str, Any] = body.model_dump(mode="json", exclude={DIGEST_FIELD})
    return hashlib.sha256(canonical(document)).hexdigest()


async def statement(
    session: AsyncSession,
    who: Principal,
    merchant_id: UUID,
    venue_code: str,
    month: str,
    close_day: int,
    now: datetime | None = None,
) -> Statement:
    await readable(session, who, merchant_id)
    await venues.get(session, venue_code)  # 404 for an unknown venue
    now = now or utcnow()
    closes = closing.close_of(month, close_day)
    before = closes if now >= closes else None  # cut at the close once it has passed
    closed = now >= closes + closing.SETTLE

    # The month's own trades.
    start, end = closing.start_of(month), closing.start_of(closing.next_month(month))
    own = await repository.of_month(session, merchant_id, venue_code, start, end, before)
    # Trades of earlier months changed while this month was the first open one.
    since = closing.close_of(closing.previous_month(month), close_day)
    late = await repository.changed_between(session, merchant_id, venue_code, start, since, closes)
    events = await repository.life_events(session, [t.id for t in own] + [t.id for t in late])

    trades: list[StatementTrade] = []
    for trade in own:
        life = closing.life(
            trade.created_at, trade.reported_by_merchant_id is not None, events.get(trade.id, [])
        )
        if not life.in_force(before):
            continue
        line = _line(trade, merchant_id)
        trades.append(
            StatementTrade(
                trade_id=trade.id,
                role=line.role,
                amount=cents(line.amount),
                fee=cents(line.fee),
                fee_before_waiver=cents(line.fee_before_waiver),
                waiver=cents(line.waiver),
                occurred_at=_local(trade.occurred_at),
            )
        )

    adjustments: list[tuple[datetime, UUID, StatementAdjustment, Line]] = []
    for trade in late:
        own_month = closing.month_at(trade.occurred_at)
        own_close = closing.close_of(own_month, close_day)
        life = closing.life(
            trade.created_at, trade.reported_by_merchant_id is not None, events.get(trade.id, [])
        )
        for recorded, sign, change in life.changes():
            if recorded < own_close or not since <= recorded < closes:
                continue  # in its own month, or landing in another month's statement
            line = _line(trade, merchant_id, sign)
            item = StatementAdjustment(
                trade_id=trade.id,
                month=own_month,
                role=line.role,
                change=change,  # type: ignore[arg-type]
                amount=cents(line.amount),
                fee=cents(line.fee),
                fee_before_waiver=cents(line.fee_before_waiver),
                waiver=cents(line.waiver),
                occurred_at=_local(trade.occurred_at),
                recorded_at=_local(recorded),
            )
            adjustments.append((recorded, trade.id, item, line))
    adjustments.sort(key=lambda a: (a[0], str(a[1]), a[2].change))

    def total(items: list[Any], role: str | None, field: str) -> Decimal:
        return sum(
            (Decimal(getattr(i, field)) for i in items if role is None or i.role == role), ZERO
        )

    adjusted = [a[2] for a in adjustments]
    fees_due = total(trades, "seller", "fee")
    adjustments_fees = total(adjusted, "seller", "fee")
    body = Statement(
        merchant_id=merchant_id,
        venue_code=venue_code,
        month=month,
        closes_at=_local(closes),
        closed=closed,
        trades=trades,
        totals=StatementTotals(
            trades=len(trades),
            sold=cents(total(trades, "seller", "amount")),
            bought=cents(total(trades, "buyer", "amount")),
            fees_before_waiver=cents(total(trades, "seller", "fee_before_waiver")),
            waivers=cents(total(trades, "seller", "waiver")),
            fees_due=cents(fees_due),
            adjustments_sold=cents(total(adjusted, "seller", "amount")),
            adjustments_bought=cents(total(adjusted, "buyer", "amount")),
            adjustments_fees=cents(adjustments_fees),
            net_due=cents(fees_due + adjustments_fees),
        ),
        adjustments=adjusted,
        content_sha256="",
    )
    body.content_sha256 = digest(body)
    return body


async def names(session: AsyncSession, merchant_id: UUID, venue_code: str) -> tuple[str, str]:
    """The merchant's and the venue's names, for the workbook and the PDF."""
    merchant = await merchants.get(session, merchant_id)
    assert merchant is not None
    venue = await venues.get(session, venue_code)
    return merchant.name, venue.name
