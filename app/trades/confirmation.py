"""When a trade counts as confirmed (DOMAIN.md, "Who may do what, under hostile use").

A trade an operator recorded is confirmed by the recording itself (every on-venue trade, and
off-venue ones an operator registers). An off-venue trade a merchant key reported
(`reported_by_merchant_id`) is unconfirmed until the counterparty, or an operator, appends a
`confirmed` event. Unconfirmed trades are in the ledger but count in no statistic and no
valuation. This module is the one home of that rule: SQL for lists, stats and valuations,
Python for a trade already loaded with its events.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import ColumnElement, exists, or_

from app.trades.models import Trade, TradeEvent


def confirmed_clause() -> ColumnElement[bool]:
    """SQL: the `trade` row of the query is confirmed."""
    return or_(
        Trade.reported_by_merchant_id.is_(None),
        exists().where(TradeEvent.trade_id == Trade.id, TradeEvent.type == "confirmed"),
    )


def is_confirmed(reported_by_merchant_id: UUID | None, event_types: Iterable[str]) -> bool:
    """Python: a trade with this reporter and these events so far is confirmed."""
    return reported_by_merchant_id is None or "confirmed" in event_types
