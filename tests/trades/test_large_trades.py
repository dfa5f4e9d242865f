"""Large off-venue trades (DOMAIN.md "Who may do what, round 2"): above
`SHUSHANG_LARGE_TRADE_AMOUNT` (10 000 000.00 here) an off-venue trade counts in statistics
only once an operator confirmed it; the counterparty's confirmation is not enough. Every
read says `large` and `operator_confirmed`."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.trades.conftest import Parties

LARGE = "10000000.01"
LIMIT = "10000000.00"


async def _record(parties: Parties, headers: dict[str, str], amount: str) -> dict[str, Any]:
    made = await parties.record(headers=headers, amount=amount)
    assert made.status_code == 201, made.text
    trade: dict[str, Any] = made.json()
    return trade


async def _event(parties: Parties, trade_id: str, kind: str, headers: dict[str, str]) -> int:
    answer = await parties.client.post(
        f"/v1/transactions/{trade_id}/events",
        json={"type": kind},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    return answer.status_code


async def _flags(parties: Parties, trade_id: str) -> tuple[bool, bool, bool]:
    """(confirmed, operator_confirmed, large) as one read, the list and the export say."""
    one = (await parties.client.get(f"/v1/transactions/{trade_id}", headers=parties.auditor)).json()
    listed = await parties.client.get("/v1/transactions", headers=parties.auditor)
    [item] = [t for t in listed.json()["items"] if t["id"] == trade_id]
    export = await parties.client.get("/v1/transactions/export", headers=parties.auditor)
    rows = csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))
    [row] = [r for r in rows if r["id"] == trade_id]
    found = (one["confirmed"], one["operator_confirmed"], one["large"])
    assert (item["confirmed"], item["operator_confirmed"], item["large"]) == found
    assert (row["confirmed"], row["operator_confirmed"], row["large"]) == tuple(
        str(flag).lower() for flag in found
    )
    return found


async def _off_venue(parties: Parties) -> tuple[int, Decimal]:
    overview = await parties.client.get("/v1/stats/overview", headers=parties.auditor)
    months = [m for m in overview.json()["turnover_by_venue_and_month"] if m["venue_code"] == "OTC"]
    return (
        sum(m["off_venue"]["trades"] for m in months),
        sum((Decimal(m["off_venue"]["turnover"]) for m in months), Decimal(0)),
    )


async def test_a_large_report_counts_only_once_an_operator_confirms_it(
    parties: Parties, session: AsyncSession
) -> None:
    small = await _record(parties, parties.seller_key, LIMIT)  # at the limit: not large
    large = await _record(parties, parties.seller_key, LARGE)
    assert (large["confirmed"], large["operator_confirmed"], large["large"]) == (
        False,
        False,
        True,
    )
    assert await _event(parties, small["id"], "confirmed", parties.buyer_key) == 201
    assert await _event(parties, large["id"], "confirmed", parties.buyer_key) == 201
    assert await _flags(parties, small["id"]) == (True, False, False)
    assert await _flags(parties, large["id"]) == (True, False, True)
    assert await _off_venue(parties) == (1, Decimal(LIMIT))  # the counterparty's word: small only

    # The colluding pair cannot make it count: neither party may confirm it again.
    events = text("SELECT count(*) FROM trade_event WHERE trade_id = :id")
    before = await session.scalar(events, {"id": large["id"]})
    assert await _event(parties, large["id"], "confirmed", parties.buyer_key) == 409
    assert await _event(parties, large["id"], "confirmed", parties.seller_key) == 403
    assert await session.scalar(events, {"id": large["id"]}) == before

    assert await _event(parties, large["id"], "confirmed", parties.admin) == 201
    assert await _flags(parties, large["id"]) == (True, True, True)
    assert await _off_venue(parties) == (2, Decimal(LIMIT) + Decimal(LARGE))
    roles = await session.execute(
        text(
            "SELECT recorded_by_role FROM trade_event WHERE trade_id = :id AND type = 'confirmed'"
            " ORDER BY id"
        ),
        {"id": large["id"]},
    )
    assert list(roles.scalars()) == ["merchant", "operator"]
    assert await _event(parties, large["id"], "confirmed", parties.admin) == 409


async def test_a_large_trade_an_operator_recorded_counts_at_once(
    parties: Parties, session: AsyncSession
) -> None:
    recorded = await _record(parties, parties.admin, LARGE)
    assert (recorded["confirmed"], recorded["operator_confirmed"], recorded["large"]) == (
        True,
        True,
        True,
    )
    assert await _flags(parties, recorded["id"]) == (True, True, True)
    assert await _off_venue(parties) == (1, Decimal(LARGE))
    assert await _event(parties, recorded["id"], "confirmed", parties.admin) == 409
