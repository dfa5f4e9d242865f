"""When a trade counts (DOMAIN.md, "Who may do what", under hostile use and round 2).

- **Confirmed.** A trade an operator recorded is confirmed by the recording itself (every
  on-venue trade, and off-venue ones an operator registers). An off-venue trade a merchant
  key reported (`reported_by_merchant_id`) is unconfirmed until the counterparty, or an
  operator, appends a `confirmed` event.
- **Operator-confirmed.** Recorded by an operator, or reported and then `confirmed` by an
  operator: a `confirmed` event whose `recorded_by_role` is `operator` (the role of the key
  that appended it, kept on the event as it was then).
- **Large.** An off-venue trade above `SHUSHANG_LARGE_TRADE_AMOUNT` (`large_amount` here).
- **Undone.** A trade with a `cancelled` or `refunded` event (`UNDONE`): nothing follows
  either, and each reader leaves it out (statistics, cost evidence) or names why.
- **Counts** (in every statistic, and as a market comparable): confirmed and, if large,
  operator-confirmed. A counterparty's word is not enough for a large trade: two colluding
  merchants are exactly a reporter and its counterparty.

Trades that do not count are in the ledger all the same. This module is the one home of
these rules: SQL for lists, stats and valuations, Python for a trade already loaded with its
events (the recording path computes them from the trade alone: a trade being recorded has no
events, so it costs no query).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, not_, or_

from app.trades.models import Trade, TradeEvent

OPERATOR = "operator"  # the `recorded_by_role` of an operator's event (app.auth Role)
UNDONE = frozenset({"cancelled", "refunded"})  # the events that undo a trade


def undone_clause() -> ColumnElement[bool]:
    """SQL: the `trade` row of the query was cancelled or refunded (an undoing event exists)."""
    return exists().where(TradeEvent.trade_id == Trade.id, TradeEvent.type.in_(sorted(UNDONE)))


def confirmed_clause() -> ColumnElement[bool]:
    """SQL: the `trade` row of the query is confirmed."""
    return or_(
        Trade.reported_by_merchant_id.is_(None),
        exists().where(TradeEvent.trade_id == Trade.id, TradeEvent.type == "confirmed"),
    )


def operator_confirmed_clause() -> ColumnElement[bool]:
    """SQL: the `trade` row was recorded, or confirmed, by an operator."""
    return or_(
        Trade.reported_by_merchant_id.is_(None),
        exists().where(
            TradeEvent.trade_id == Trade.id,
            TradeEvent.type == "confirmed",
            TradeEvent.recorded_by_role == OPERATOR,
        ),
    )


def large_clause(large_amount: Decimal) -> ColumnElement[bool]:
    """SQL: the `trade` row is a large off-venue trade."""
    return and_(not_(Trade.on_venue), Trade.amount > large_amount)


def counts_clause(large_amount: Decimal) -> ColumnElement[bool]:
    """SQL: the `trade` row counts in statistics and valuations (cancellations, refunds and
    settlement are for each of them to weigh)."""
    return and_(
        confirmed_clause(),
        or_(not_(large_clause(large_amount)), operator_confirmed_clause()),
    )


def is_confirmed(reported_by_merchant_id: UUID | None, event_types: Iterable[str]) -> bool:
    """Python: a trade with this reporter and these events so far is confirmed."""
    return reported_by_merchant_id is None or "confirmed" in event_types


def is_operator_confirmed(
    reported_by_merchant_id: UUID | None, events: Iterable[tuple[str, str | None]]
) -> bool:
    """Python: a trade with this reporter and these events so far, each its type and the
    role of the key that recorded it, was recorded or confirmed by an operator."""
    return reported_by_merchant_id is None or ("confirmed", OPERATOR) in set(events)


def is_large(on_venue: bool, amount: Decimal, large_amount: Decimal) -> bool:
    return not on_venue and amount > large_amount
