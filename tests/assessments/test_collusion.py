"""Two colluding merchants cannot move a third's market valuation (issue 27, DOMAIN.md "Who
may do what, round 2"): A reports an off-venue sale at 999 999 999 999.00 to B, B confirms
it, A settles it. It is large and no operator confirmed it: no comparable, no turnover; once
an operator confirms it, it is an outlier of the median. The kept comparables come from at
least 3 distinct sellers and 3 distinct buyers, else 422 and nothing is kept."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.merchants.models import Merchant
from tests.assessments.test_comparables import DIGEST, NOW, Market, market
from tests.factories import auth, make_key, make_merchant

HONEST = ("9800.00", "9950.00", "10000.00", "10050.00", "10100.00")  # median 10000.00
COLLUSION = "999999999999.00"


async def _record(
    m: Market, seller: Merchant, buyer: Merchant, product: uuid.UUID, amount: str, key: Any
) -> dict[str, Any]:
    answer = await m.client.post(
        "/v1/transactions",
        json={
            "venue_code": "OTC",
            "on_venue": False,
            "product_id": str(product),
            "seller_merchant_id": str(seller.id),
            "buyer_merchant_id": str(buyer.id),
            "amount": amount,
            "contract_digest": DIGEST,
            "occurred_at": NOW.isoformat(),
        },
        headers={**key, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    trade: dict[str, Any] = answer.json()
    return trade


async def _event(m: Market, trade_id: str, kind: str, key: dict[str, str]) -> None:
    answer = await m.client.post(
        f"/v1/transactions/{trade_id}/events",
        json={"type": kind},
        headers={**key, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text


async def _honest_market(m: Market, prices: tuple[str, ...] = HONEST) -> list[str]:
    """Settled trades an operator recorded, each of its own seller and buyer."""
    trades = []
    for price in prices:
        seller = await make_merchant(m.session)
        trade = await _record(
            m, seller, await make_merchant(m.session), await m.product(seller), price, m.admin
        )
        await _event(m, trade["id"], "settled", m.admin)
        trades.append(trade["id"])
    return trades


async def _off_venue_turnover(m: Market) -> Decimal:
    overview = await m.client.get("/v1/stats/overview", headers=m.admin)
    assert overview.status_code == 200, overview.text
    return sum(
        (
            Decimal(month["off_venue"]["turnover"])
            for month in overview.json()["turnover_by_venue_and_month"]
            if month["venue_code"] == "OTC"
        ),
        Decimal(0),
    )


def named(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The excluded trades with their reasons (`comparable` and `reference` are null)."""
    assert all(e["comparable"] is None for e in result["excluded"] if e["trade_id"])
    return [{"trade_id": e["trade_id"], "reason": e["reason"]} for e in result["excluded"]]


async def _state(m: Market) -> tuple[int, int, int]:
    """What a valuation writes: its row, its audit event, its outbox event."""
    counts = await m.session.execute(
        text(
            "SELECT (SELECT count(*) FROM assessment WHERE kind = 'valuation'),"
            " (SELECT count(*) FROM audit_event WHERE action = 'assessment.valuation'),"
            " (SELECT count(*) FROM outbox_event WHERE type = 'assessment.completed')"
        )
    )
    row = counts.one()
    return row[0], row[1], row[2]


async def test_two_colluding_merchants_do_not_move_a_third_merchants_valuation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    m = await market(client, session)
    honest = await _honest_market(m)
    a, b = await make_merchant(session), await make_merchant(session)
    a_key = auth(await make_key(session, Role.merchant, a.id))
    b_key = auth(await make_key(session, Role.merchant, b.id))
    before = await _off_venue_turnover(m)

    # A reports the sale to B, B confirms it, A settles it: all through the API.
    reported = await _record(m, a, b, await m.product(a), COLLUSION, a_key)
    assert reported["large"] is True and reported["operator_confirmed"] is False
    collusion = reported["id"]
    await _event(m, collusion, "confirmed", b_key)
    await _event(m, collusion, "settled", a_key)
    read = (await client.get(f"/v1/transactions/{collusion}", headers=a_key)).json()
    assert read["confirmed"] is True and read["operator_confirmed"] is False

    valued = await m.value()
    assert valued.status_code == 201, valued.text
    result = valued.json()
    assert result["value"] == "10000.00"  # the honest median: the mean once said 2e11
    assert {"trade_id": collusion, "reason": "large_unconfirmed"} in named(result)
    assert result["comparables"]["left_out"]["large_unconfirmed"]["trade_ids"] == [collusion]
    assert sorted(result["comparables"]["used"]) == sorted(honest)
    assert await _off_venue_turnover(m) == before  # no turnover either

    # An operator confirms it (it did happen, say): it counts, and is an outlier.
    await _event(m, collusion, "confirmed", m.admin)
    read = (await client.get(f"/v1/transactions/{collusion}", headers=b_key)).json()
    assert read["operator_confirmed"] is True and read["large"] is True
    again = await m.value()
    assert again.status_code == 201, again.text
    result = again.json()
    assert result["value"] == "10000.00"
    assert named(result) == [{"trade_id": collusion, "reason": "outlier"}]
    outlier = next(c for c in result["breakdown"] if c["trade_id"] == collusion)
    assert outlier["excluded"] == "outlier" and outlier["price"] == "999999999999"
    assert [c["excluded"] for c in result["breakdown"]].count(None) == len(HONEST)
    assert result["factors"]["kept"] == len(HONEST)
    assert result["rules_version"] == "valuation/CAS-2023-17/2"
    assert await _off_venue_turnover(m) == before + Decimal(COLLUSION)


async def test_comparables_of_too_few_buyers_are_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Three sellers, all selling to B: one buyer's word is most of the evidence."""
    m = await market(client, session)
    b = await make_merchant(session)
    trades = []
    for price in ("1000.00", "1010.00", "1020.00"):
        seller = await make_merchant(session)
        trade = await _record(m, seller, b, await m.product(seller), price, m.admin)
        await _event(m, trade["id"], "settled", m.admin)
        trades.append(trade["id"])
    before = await _state(m)

    refused = await m.value()
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["errors"][0]["loc"] == ["body", "comparables"]
    assert "3 distinct sellers and 1 distinct buyers" in problem["detail"]
    assert "at least 3 of each" in problem["detail"]
    assert sorted(problem["comparables"]["used"]) == sorted(trades)
    assert problem["excluded"] == []
    chinese = await client.post(
        f"/v1/products/{m.valued}/valuations",
        json={"method": "market", "quality_coefficient": "0.8"},
        headers={**m.assessor, "Accept-Language": "zh-CN"},
    )
    assert chinese.status_code == 422 and "1 个不同买方" in chinese.json()["detail"]
    assert await _state(m) == before


async def test_an_outlier_leaves_too_few_sellers_and_is_named(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Three trusted trades, one far off: the two kept are too few, and the 422 says which
    one was the outlier."""
    m = await market(client, session)
    honest = await _honest_market(m, ("1000.00", "1000.00"))
    far = await _honest_market(m, ("900000.00",))
    before = await _state(m)
    refused = await m.value()
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert "1 of 3 comparables are outliers" in problem["detail"]
    assert "2 distinct sellers" in problem["detail"]
    assert named(problem) == [{"trade_id": far[0], "reason": "outlier"}]
    assert problem["comparables"]["left_out"] == {"outlier": {"count": 1, "trade_ids": far}}
    assert sorted(problem["comparables"]["used"]) == sorted(honest)
    assert await _state(m) == before


async def test_comparables_given_in_the_request_are_parties_of_their_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The assessor's own evidence: no merchants to count, each comparable its own seller and
    buyer; the median and its outliers all the same, the outlier named by its position."""
    m = await market(client, session)
    url = f"/v1/products/{m.valued}/valuations"
    given = [
        {"price": p, "quality_coefficient": "0.8", "reference": f"合同 {n}"}
        for n, p in enumerate(("9800.00", "10000.00", COLLUSION, "10100.00"))
    ]
    valued = await client.post(
        url,
        json={"method": "market", "quality_coefficient": "0.8", "comparables": given},
        headers=m.assessor,
    )
    assert valued.status_code == 201, valued.text
    result = valued.json()
    assert result["value"] == "10000.00"
    assert result["excluded"] == [
        {"trade_id": None, "reason": "outlier", "comparable": 2, "reference": "合同 2"}
    ]
    assert result["comparables"] is None
    before = await _state(m)
    too_few = await client.post(
        url,
        json={"method": "market", "quality_coefficient": "0.8", "comparables": given[1:]},
        headers=m.assessor,
    )
    assert too_few.status_code == 422, too_few.text
    assert too_few.json()["errors"][0]["loc"] == ["body", "comparables"]
    assert await _state(m) == before
