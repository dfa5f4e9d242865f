"""What each kind of ledger leaf must say, rebuilt from what the API shows of the record it
logs: a trade (`GET /v1/transactions/{id}`), one of its events, a step of a data IP
registration (`GET /v1/ip-registrations/{id}`). A leaf whose entry differs from its record in
any field (or has a field more or less) fails: the record was changed after it was logged,
or the log holds something else than the record it names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shushang_sdk.errors import VerificationFailed

TRADE, TRADE_EVENT, IP_STEP = "trade", "trade_event", "ip_step"
KINDS = (TRADE, TRADE_EVENT, IP_STEP)
_TIMES = ("occurred_at", "recorded_at")


def trade_entry(trade: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": TRADE,
        "trade_id": trade["id"],
        "venue_code": trade["venue_code"],
        "listing_id": trade["listing_id"],
        "product_id": trade["product_id"],
        "seller_merchant_id": trade["seller_merchant_id"],
        "buyer_merchant_id": trade["buyer_merchant_id"],
        "amount": trade["amount"],
        "fee": trade["fee"],
        "currency": trade["currency"],
        "quantity": trade["quantity"],
        "term": trade["term"],
        "on_venue": trade["on_venue"],
        "contract_digest": trade["contract_digest"],
        "occurred_at": trade["occurred_at"],
        "recorded_at": trade["created_at"],
    }


def event_entry(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": TRADE_EVENT,
        "event_id": event["id"],
        "trade_id": event["trade_id"],
        "event": event["type"],
        "occurred_at": event["occurred_at"],
        "note": event["note"],
        "recorded_at": event["created_at"],
    }


def step_entry(registration_id: str, step: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": IP_STEP,
        "step_id": step["id"],
        "registration_id": registration_id,
        "action": step["action"],
        "from": step["from_status"],
        "to": step["to_status"],
        "certificate_number": step["certificate_number"],
        "holder_merchant_id": step["holder_merchant_id"],
        "details": step["details"],
        "recorded_at": step["created_at"],
    }


def _instant(value: Any) -> Any:
    """Times compare as instants: the entry says UTC, the API may say `Z` or +08:00."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def compare(where: str, expected: Mapping[str, Any], recorded: Mapping[str, Any]) -> None:
    """VerificationFailed naming the first field where the logged entry and the record
    differ."""
    for name in sorted(set(expected) | set(recorded)):
        if name not in recorded:
            raise VerificationFailed(f"{where}: the ledger entry has no {name}")
        if name not in expected:
            raise VerificationFailed(f"{where}: the ledger entry has a field {name} more")
        want, got = expected[name], recorded[name]
        if name in _TIMES:
            want, got = _instant(want), _instant(got)
        if want != got:
            raise VerificationFailed(
                f"{where}: its {name} is {expected[name]!r} but the ledger recorded "
                f"{recorded[name]!r}"
            )


def leaf_date(entry: Mapping[str, Any]) -> datetime | None:
    """When the logged record happened (a trade's or event's `occurred_at`, else when it
    was recorded): what `--since` and `--until` select on."""
    value = entry.get("occurred_at") or entry.get("recorded_at")
    parsed = _instant(value)
    return parsed if isinstance(parsed, datetime) else None
