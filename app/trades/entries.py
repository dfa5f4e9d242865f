"""What a trade or trade event puts in the ledger: one function each, used when recording
and again by `shushang ledger verify`, which rebuilds every leaf from the stored rows."""

from __future__ import annotations

from typing import Any

import rfc8785
from pydantic_core import to_json

from app.core.money import cents
from app.ledger.sequencer import utc_text
from app.trades.models import NewTrade, Trade, TradeEvent

_FLAT = {str, bool, type(None)}  # exactly these types (a subclass goes the long way)


def canonical(entry: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of `entry`: the bytes a trade's leaf hashes and a trade
    request's digest covers.

    A trade is a flat object of ASCII keys and string, boolean or null values; for such an
    object RFC 8785 is exactly compact JSON with sorted keys (the same escapes; ASCII keys
    sort alike by code point and by UTF-16 unit), which pydantic-core writes about nine
    times faster than the general `rfc8785` (once the bulk import's main cost). Anything
    else goes to `rfc8785`. tests/trades/test_entries.py holds them equal."""
    if "".join(entry).isascii() and {type(value) for value in entry.values()} <= _FLAT:
        return to_json(dict(sorted(entry.items())))  # a lone surrogate fails, as in rfc8785
    return rfc8785.dumps(entry)


def trade_entry(trade: Trade | NewTrade) -> dict[str, Any]:
    """The trade's leaf. A trade a rule waived part of the fee of also says the fee before
    the waiver and the rule (`fee_before_waiver`, `fee_waiver_id`); every other trade's
    leaf is as it was before waivers existed, byte for byte."""
    entry = {
        "type": "trade",
        "trade_id": str(trade.id),
        "venue_code": trade.venue_code,
        "listing_id": str(trade.listing_id) if trade.listing_id else None,
        "product_id": str(trade.product_id) if trade.product_id else None,
        "seller_merchant_id": str(trade.seller_merchant_id),
        "buyer_merchant_id": str(trade.buyer_merchant_id),
        "amount": cents(trade.amount),
        "fee": cents(trade.fee),
        "currency": trade.currency,
        "quantity": trade.quantity,
        "term": trade.term,
        "on_venue": trade.on_venue,
        "contract_digest": trade.contract_digest,
        "occurred_at": utc_text(trade.occurred_at),
        "recorded_at": utc_text(trade.created_at),
    }
    if trade.fee_waiver_id is not None:
        entry["fee_before_waiver"] = cents(trade.fee_before_waiver)
        entry["fee_waiver_id"] = str(trade.fee_waiver_id)
    return entry


def event_entry(event: TradeEvent) -> dict[str, Any]:
    return {
        "type": "trade_event",
        "event_id": str(event.id),
        "trade_id": str(event.trade_id),
        "event": event.type,
        "occurred_at": utc_text(event.occurred_at),
        "note": event.note,
        "recorded_at": utc_text(event.created_at),
    }
