"""Trade events by role (DOMAIN.md, "Trade events by role"), through the API.

Each refusal is checked for its status and for what it left: no event row, no ledger leaf.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, idempotent, make_key, make_merchant
from tests.trades.conftest import Parties


class Trail:
    """What a trade's events left behind: its event rows and its venue's ledger size."""

    def __init__(self, parties: Parties, session: AsyncSession, trade: dict[str, Any]) -> None:
        self.parties, self.session, self.trade = parties, session, trade

    async def add(self, kind: str, headers: dict[str, str]) -> httpx.Response:
        return await self.parties.client.post(
            f"/v1/transactions/{self.trade['id']}/events",
            json={"type": kind},
            headers=idempotent(headers),
        )

    async def state(self) -> tuple[list[str], int]:
        events = await self.session.execute(
            text("SELECT type FROM trade_event WHERE trade_id = :id ORDER BY id"),
            {"id": self.trade["id"]},
        )
        size = await self.session.execute(
            text("SELECT size FROM ledger_head WHERE venue_code = :v"),
            {"v": self.trade["venue_code"]},
        )
        return list(events.scalars()), size.scalar_one()

    async def refused(self, kind: str, headers: dict[str, str], status: int) -> None:
        """`kind` by this caller is refused with `status`, and nothing is written."""
        before = await self.state()
        answer = await self.add(kind, headers)
        assert answer.status_code == status, (kind, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert await self.state() == before, kind

    async def accepted(self, kind: str, headers: dict[str, str]) -> None:
        answer = await self.add(kind, headers)
        assert answer.status_code == 201, (kind, answer.text)

    async def read(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        answer = await self.parties.client.get(
            f"/v1/transactions/{self.trade['id']}", headers=headers or self.parties.auditor
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


async def _reported(parties: Parties, session: AsyncSession, **fields: Any) -> Trail:
    """An off-venue trade the seller's key reported."""
    made = await parties.record(headers=parties.seller_key, **fields)
    assert made.status_code == 201, made.text
    return Trail(parties, session, made.json())


async def _on_venue(parties: Parties, session: AsyncSession) -> tuple[Trail, dict[str, str]]:
    """An on-venue trade an operator recorded, and its seller's key."""
    from tests.listings.test_router import Exchange

    ex = await Exchange(parties.client, session).setup()
    listing_id = await ex.listing(await ex.product())
    await ex.step(listing_id, "submit", ex.owner)
    await ex.step(listing_id, "approve", ex.admin)
    made = await parties.record(
        venue_code="HZDEX",
        on_venue=True,
        listing_id=listing_id,
        seller_merchant_id=str(ex.merchant.id),
    )
    assert made.status_code == 201, made.text
    return Trail(parties, session, made.json()), ex.owner


async def test_a_buyer_cannot_cancel_an_on_venue_trade(
    parties: Parties, session: AsyncSession
) -> None:
    """The attack of the issue: the buyer of an on-venue trade the operator recorded
    cancelled it. On-venue, only the operator settles, refunds and cancels."""
    trail, seller = await _on_venue(parties, session)
    assert trail.trade["confirmed"] is True and trail.trade["reported_by_merchant_id"] is None
    await trail.refused("cancelled", parties.buyer_key, 403)
    await trail.refused("cancelled", seller, 403)
    await trail.refused("settled", parties.buyer_key, 403)
    await trail.refused("settled", seller, 403)
    await trail.refused("delivered", parties.buyer_key, 403)  # the seller delivers
    await trail.refused("confirmed", parties.buyer_key, 403)  # confirmed by its recording
    await trail.refused("confirmed", parties.admin, 409)
    await trail.refused("disputed", parties.buyer_key, 409)  # nothing delivered yet
    await trail.accepted("delivered", seller)
    await trail.accepted("disputed", parties.buyer_key)
    await trail.refused("refunded", seller, 403)
    await trail.accepted("settled", parties.admin)
    await trail.accepted("refunded", parties.admin)
    assert (await trail.state())[0] == ["delivered", "disputed", "settled", "refunded"]


async def test_a_reported_trade_waits_for_the_counterparty(
    parties: Parties, session: AsyncSession
) -> None:
    trail = await _reported(parties, session)
    seller = str(parties.seller.id)
    assert trail.trade["confirmed"] is False
    assert trail.trade["reported_by_merchant_id"] == seller
    stored = await session.execute(
        text("SELECT reported_by_merchant_id FROM trade WHERE id = :id"), {"id": trail.trade["id"]}
    )
    assert stored.scalar_one() == parties.seller.id

    await trail.refused("confirmed", parties.seller_key, 403)  # not its own report
    await trail.refused("delivered", parties.seller_key, 409)  # not confirmed yet
    await trail.refused("settled", parties.seller_key, 409)
    await trail.refused("refunded", parties.seller_key, 409)  # nothing settled
    await trail.refused("settled", parties.buyer_key, 403)  # the buyer never settles
    await trail.refused("delivered", parties.buyer_key, 403)
    await trail.refused("refunded", parties.buyer_key, 403)
    await trail.refused("cancelled", parties.buyer_key, 403)  # only the reporter, or operator
    await trail.refused("disputed", parties.buyer_key, 409)
    for role in (Role.auditor, Role.assessor):
        await trail.refused("confirmed", auth(await make_key(session, role)), 403)
    stranger = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    await trail.refused("confirmed", stranger, 404)  # it cannot see the trade
    assert (await trail.read())["confirmed"] is False

    await trail.accepted("confirmed", parties.buyer_key)
    detail = await trail.read(parties.buyer_key)
    assert detail["confirmed"] is True and [e["type"] for e in detail["events"]] == ["confirmed"]
    assert detail["operator_confirmed"] is False
    await trail.refused("confirmed", parties.buyer_key, 409)  # once only
    await trail.refused("cancelled", parties.seller_key, 409)  # confirmed: the operator's now
    await trail.refused("settled", parties.buyer_key, 403)

    await trail.accepted("delivered", parties.seller_key)
    await trail.accepted("settled", parties.seller_key)
    # An operator may still confirm what the counterparty confirmed (a large trade counts
    # only then), settled or not; once.
    await trail.accepted("confirmed", parties.admin)
    assert (await trail.read())["operator_confirmed"] is True
    await trail.refused("confirmed", parties.admin, 409)
    await trail.refused("confirmed", parties.buyer_key, 409)
    await trail.accepted("disputed", parties.buyer_key)
    await trail.accepted("refunded", parties.seller_key)
    events, _ = await trail.state()
    assert events == ["confirmed", "delivered", "settled", "confirmed", "disputed", "refunded"]
    # Each a leaf of the venue's log, `confirmed` too.
    leaf = await parties.client.get(
        f"/v1/ledgers/OTC/entries/{trail.trade['leaf_index'] + 1}", headers=parties.auditor
    )
    assert leaf.json()["entry"]["event"] == "confirmed"


async def test_the_reporter_may_cancel_while_unconfirmed(
    parties: Parties, session: AsyncSession
) -> None:
    trail = await _reported(parties, session)
    await trail.accepted("cancelled", parties.seller_key)
    await trail.refused("confirmed", parties.buyer_key, 409)  # nothing follows a cancellation


async def test_an_operator_confirms_a_report_or_settles_it_unconfirmed(
    parties: Parties, session: AsyncSession
) -> None:
    trail = await _reported(parties, session)
    await trail.accepted("confirmed", parties.admin)
    assert (await trail.read())["confirmed"] is True

    other = await _reported(parties, session)
    await other.accepted("settled", parties.admin)  # operators need no confirmation
    await other.refused("cancelled", parties.seller_key, 409)  # settled: refunded instead
    await other.accepted("refunded", parties.seller_key)  # the seller, after a settlement


async def test_an_operator_recorded_off_venue_trade_is_confirmed_and_has_no_reporter(
    parties: Parties, session: AsyncSession
) -> None:
    made = await parties.record()
    trail = Trail(parties, session, made.json())
    assert trail.trade["confirmed"] is True and trail.trade["reported_by_merchant_id"] is None
    await trail.refused("confirmed", parties.admin, 409)
    await trail.refused("confirmed", parties.buyer_key, 403)  # no report to be the counterparty of
    await trail.refused("cancelled", parties.seller_key, 403)  # no reporter: the operator cancels
    await trail.accepted("delivered", parties.seller_key)
    await trail.accepted("settled", parties.seller_key)
    await trail.accepted("disputed", parties.buyer_key)


async def test_confirmed_in_lists_filters_export_and_events(
    parties: Parties, session: AsyncSession
) -> None:
    reported = await _reported(parties, session, amount="1.00")
    await _reported(parties, session, amount="2.00")
    await parties.record(amount="3.00")  # by the operator: confirmed
    await reported.accepted("confirmed", parties.buyer_key)

    async def amounts(headers: dict[str, str], **params: Any) -> dict[str, bool]:
        answer = await parties.client.get("/v1/transactions", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return {t["amount"]: t["confirmed"] for t in answer.json()["items"]}

    everything = {"1.00": True, "2.00": False, "3.00": True}
    assert await amounts(parties.auditor) == everything
    assert await amounts(parties.buyer_key) == everything
    assert await amounts(parties.auditor, confirmed="true") == {"1.00": True, "3.00": True}
    assert await amounts(parties.seller_key, confirmed="false") == {"2.00": False}
    assert (
        await parties.client.get(
            "/v1/transactions", params={"confirmed": "maybe"}, headers=parties.auditor
        )
    ).status_code == 422

    export = await parties.client.get("/v1/transactions/export", headers=parties.auditor)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r["amount"]: r["confirmed"] for r in rows} == {
        "1.00": "true",
        "2.00": "false",
        "3.00": "true",
    }
    reporters = {r["amount"]: r["reported_by_merchant_id"] for r in rows}
    assert reporters == {"1.00": str(parties.seller.id), "2.00": str(parties.seller.id), "3.00": ""}
    unconfirmed = await parties.client.get(
        "/v1/transactions/export", params={"confirmed": "false"}, headers=parties.buyer_key
    )
    lines = unconfirmed.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and ",2.00," in lines[1]

    seen = await parties.client.get(
        "/v1/events", params={"type": "trade.confirmed"}, headers=parties.seller_key
    )
    assert [e["subject_id"] for e in seen.json()["items"]] == [reported.trade["id"]]
    recorded = await parties.client.get(
        "/v1/events", params={"type": "trade.recorded"}, headers=parties.buyer_key
    )
    assert [e["data"]["confirmed"] for e in recorded.json()["items"]] == [False, False, True]


async def test_a_replayed_answer_says_what_it_said_when_recorded(
    parties: Parties, session: AsyncSession
) -> None:
    first = await parties.record(headers=parties.seller_key, key="report-1")
    trail = Trail(parties, session, first.json())
    await trail.accepted("confirmed", parties.buyer_key)
    replay = await parties.record(headers=parties.seller_key, key="report-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json() and replay.json()["confirmed"] is False
    assert (await trail.read())["confirmed"] is True


async def test_only_confirmed_trades_count_in_the_turnover(
    parties: Parties, session: AsyncSession
) -> None:
    async def off_venue(month: str) -> dict[str, Any]:
        overview = await parties.client.get("/v1/stats/overview", headers=parties.auditor)
        months = {
            (m["venue_code"], m["month"]): m for m in overview.json()["turnover_by_venue_and_month"]
        }
        found: dict[str, Any] = months.get(("OTC", month), {}).get("off_venue", {})
        return found

    await parties.record(amount="100.00")  # the operator's: counts at once
    trail = await _reported(parties, session, amount="5000.00")
    assert await off_venue("2026-11") == {"trades": 1, "turnover": "100.00"}
    await trail.accepted("confirmed", parties.buyer_key)
    assert await off_venue("2026-11") == {"trades": 2, "turnover": "5100.00"}


async def test_one_visibility_rule_for_every_read_and_the_event_route(
    parties: Parties, session: AsyncSession
) -> None:
    trail = await _reported(parties, session)
    trade_id = trail.trade["id"]
    stranger = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    client = parties.client
    assert (await client.get(f"/v1/transactions/{trade_id}", headers=stranger)).status_code == 404
    assert (await client.get("/v1/transactions", headers=stranger)).json()["items"] == []
    export = await client.get("/v1/transactions/export", headers=stranger)
    assert len(export.content.decode("utf-8-sig").splitlines()) == 1
    await trail.refused("cancelled", stranger, 404)
    # A merchant key naming another merchant in the filter still reads only its own trades.
    listed = await client.get(
        "/v1/transactions", params={"merchant_id": str(parties.seller.id)}, headers=stranger
    )
    assert listed.json()["items"] == []
    for headers in (parties.seller_key, parties.buyer_key, parties.auditor, parties.admin):
        answer = await client.get(f"/v1/transactions/{trade_id}", headers=headers)
        assert answer.status_code == 200 and UUID(answer.json()["id"]) == UUID(trade_id)
