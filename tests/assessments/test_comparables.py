"""Market valuations take trusted trades only as comparables (DOMAIN.md, "Who may do what,
under hostile use"): settled, on-venue or confirmed, quality assessed by an assessor or an
operator, one per seller, never a trade of the valued product's merchant. Fewer than 3: 422,
and nothing is kept."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.assessments.repository import Exclusion
from app.core.roles import Role
from app.merchants.models import Merchant
from app.trades import comparables
from app.trades.models import TradeEvent
from tests.factories import auth, make_key, make_merchant, make_product
from tests.listings.test_router import CSV

DIGEST = hashlib.sha256(b"contract").hexdigest()
NOW = datetime.now(UTC)


class Market:
    """Merchant C's product to value, and the trades around it that may or may not compare."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        self.client = client
        self.session = session

    async def setup(self) -> Market:
        self.valued_merchant = await make_merchant(self.session)
        self.valued = await self.product(self.valued_merchant, assessed=None)
        self.admin = auth(await make_key(self.session, Role.operator))
        self.assessor = auth(await make_key(self.session, Role.assessor))
        self.buyer = await make_merchant(self.session)
        return self

    async def product(
        self, merchant: Merchant, assessed: str | None = "0.8", **fields: Any
    ) -> UUID:
        """A product of the valued one's type and domain; `assessed`: the Q an assessor gave."""
        fields = {"product_type": "dataset", "domains": ["finance", "transport"], **fields}
        product = await make_product(self.session, merchant, **fields)
        if assessed is not None:
            await self.quality(product.id, assessed)
        return UUID(str(product.id))

    async def quality(self, product_id: UUID, q: str, self_check: bool = False) -> UUID:
        assessment = Assessment(
            kind="quality",
            product_id=product_id,
            product_revision=1,
            rules_version="quality/test",
            self_check=self_check,
            actor_role="merchant" if self_check else "assessor",
            inputs={},
            result={},
            duration_ms=0,
            quality_coefficient=Decimal(q),
        )
        self.session.add(assessment)
        await self.session.commit()
        return assessment.id

    async def trade(
        self,
        seller: Merchant,
        product_id: UUID | None,
        amount: str,
        *,
        days_ago: int = 1,
        buyer: Merchant | None = None,
        headers: dict[str, str] | None = None,
        events: tuple[str, ...] = ("settled",),
    ) -> str:
        """An off-venue trade recorded through the API (by an operator unless `headers`
        say otherwise) to `buyer` (default: a buyer of its own), then its `events` as the
        ledger would hold them."""
        buyer = buyer or await make_merchant(self.session)
        response = await self.client.post(
            "/v1/transactions",
            json={
                "venue_code": "OTC",
                "on_venue": False,
                "product_id": str(product_id) if product_id else None,
                "seller_merchant_id": str(seller.id),
                "buyer_merchant_id": str(buyer.id),
                "amount": amount,
                "contract_digest": DIGEST,
                "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
            },
            headers={**(headers or self.admin), "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        trade_id: str = response.json()["id"]
        await self.events(trade_id, *events)
        return trade_id

    async def events(self, trade_id: str, *types: str, role: str = "merchant") -> None:
        # Straight into the table: which party may append which event is the trades' rule,
        # and may change; what a valuation trusts must not depend on it.
        for n, kind in enumerate(types):
            self.session.add(
                TradeEvent(
                    trade_id=UUID(trade_id),
                    type=kind,
                    occurred_at=NOW,
                    leaf_index=10**9 + n,
                    recorded_by_role=role,
                )
            )
        await self.session.commit()

    async def reported_by_seller(self, *trade_ids: str) -> None:
        """Mark trades as reported by their seller's key (what recording a merchant's report
        sets once the trades rule is in; the table refuses updates, hence the trigger)."""
        await self.session.execute(text("ALTER TABLE trade DISABLE TRIGGER trade_immutable"))
        await self.session.execute(
            text(
                "UPDATE trade SET reported_by_merchant_id = seller_merchant_id WHERE id = ANY(:ids)"
            ),
            {"ids": [UUID(t) for t in trade_ids]},
        )
        await self.session.execute(text("ALTER TABLE trade ENABLE TRIGGER trade_immutable"))
        await self.session.commit()

    async def value(self, who: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(
            f"/v1/products/{self.valued}/valuations",
            json={"method": "market", "quality_coefficient": "0.8"},
            headers=who or self.assessor,
        )

    async def valuations_kept(self) -> int:
        count = await self.session.scalar(
            text("SELECT count(*) FROM assessment WHERE product_id = :p AND kind = 'valuation'"),
            {"p": self.valued},
        )
        return int(count or 0)


async def market(client: httpx.AsyncClient, session: AsyncSession) -> Market:
    return await Market(client, session).setup()


def left_out(problem_or_result: dict[str, Any]) -> dict[str, int]:
    return {r: g["count"] for r, g in problem_or_result["comparables"]["left_out"].items()}


async def test_invented_unconfirmed_trades_value_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The attack: merchant A reports three off-venue sales of its own products at absurd
    prices, settles them itself, and nobody ever confirms them. They priced C's product at
    hundreds of billions; now they are no comparables at all."""
    m = await market(client, session)
    attacker = await make_merchant(session)
    attacker_key = auth(await make_key(session, Role.merchant, attacker.id))
    invented = []
    for n in range(3):
        product = await m.product(attacker, assessed="0.86")
        buyer = await make_merchant(session)
        invented.append(
            await m.trade(
                attacker,
                product,
                "999999999999.00",
                buyer=buyer,
                headers=attacker_key,
                days_ago=n + 1,
            )
        )
    await m.reported_by_seller(*invented)

    refused = await m.value()
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:shushang:problem:validation-failed"
    assert "only 0 trusted comparables found" in problem["detail"]
    assert "at least 3" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "comparables"]
    assert problem["comparables"]["candidates"] == 3 and problem["comparables"]["used"] == []
    assert problem["comparables"]["left_out"] == {
        "unconfirmed": {"count": 3, "trade_ids": invented}  # newest first
    }
    chinese = await client.post(
        f"/v1/products/{m.valued}/valuations",
        json={"method": "market", "quality_coefficient": "0.8"},
        headers={**m.assessor, "Accept-Language": "zh-CN"},
    )
    assert chinese.status_code == 422 and "仅找到 0 个可信可比案例" in chinese.json()["detail"]
    assert await m.valuations_kept() == 0
    listed = await client.get(f"/v1/products/{m.valued}/valuations", headers=m.assessor)
    assert listed.json()["items"] == []

    # Each buyer confirms its trade: large off-venue trades that no operator confirmed still
    # count for nothing.
    for trade_id in invented:
        await m.events(trade_id, "confirmed")
    still = await m.value()
    assert still.status_code == 422
    assert "only 0 trusted comparables found" in still.json()["detail"]
    assert left_out(still.json()) == {"large_unconfirmed": 3}
    # Once an operator confirms them too, they are trusted trades, but of one seller: still
    # one comparable at most.
    for trade_id in invented:
        await m.events(trade_id, "confirmed", role="operator")
    still = await m.value()
    assert still.status_code == 422
    assert "only 1 trusted comparable found" in still.json()["detail"]
    assert left_out(still.json()) == {"older_trade_of_seller": 2}
    assert await m.valuations_kept() == 0


async def test_self_assessed_quality_is_not_used(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    m = await market(client, session)
    sellers, products = [], []
    for n in range(3):
        seller = await make_merchant(session)
        product = await m.product(seller, assessed=None)
        owner = auth(await make_key(session, Role.merchant, seller.id))
        upload = await client.post(
            f"/v1/products/{product}/samples",
            files={"file": ("s.csv", CSV.encode(), "text/csv")},
            headers=owner,
        )
        assert upload.status_code == 201, upload.text
        own = await client.post(f"/v1/products/{product}/quality-assessments", headers=owner)
        assert own.status_code == 201 and own.json()["self_check"] is True
        await m.trade(seller, product, f"{n + 1}000.00")
        sellers.append(seller)
        products.append(product)

    refused = await m.value()
    assert refused.status_code == 422, refused.text
    assert left_out(refused.json()) == {"no_assessed_quality": 3}
    assert await m.valuations_kept() == 0

    assessed = []
    for product in products:
        made = await client.post(f"/v1/products/{product}/quality-assessments", headers=m.assessor)
        assert made.status_code == 201 and made.json()["self_check"] is False
        assessed.append(made.json()["id"])
    # A self-check made after the assessor's is not used either: Qⱼ stays the assessor's.
    await m.quality(products[0], "0.01", self_check=True)
    valued = await m.value()
    assert valued.status_code == 201, valued.text
    assert sorted(c["quality_assessment_id"] for c in valued.json()["breakdown"]) == sorted(
        assessed
    )


async def test_one_comparable_per_seller_its_most_recent(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    m = await market(client, session)
    busy = await make_merchant(session)
    busy_product = await m.product(busy)
    older = [await m.trade(busy, busy_product, "100.00", days_ago=d) for d in (30, 20)]
    # Its newest trade is unconfirmed: the newest trusted one stands for the seller.
    unconfirmed = await m.trade(
        busy,
        busy_product,
        "5000.00",
        days_ago=1,
        headers=auth(await make_key(session, Role.merchant, busy.id)),
    )
    await m.reported_by_seller(unconfirmed)
    newest = await m.trade(busy, busy_product, "1000.00", days_ago=10)
    other = await make_merchant(session)
    await m.trade(other, await m.product(other), "2000.00")

    refused = await m.value()
    assert refused.status_code == 422
    assert "only 2 trusted comparables found" in refused.json()["detail"]
    assert refused.json()["comparables"]["left_out"]["older_trade_of_seller"] == {
        "count": 2,
        "trade_ids": older[::-1],
    }

    third = await make_merchant(session)
    await m.trade(third, await m.product(third), "3000.00")
    valued = await m.value()
    assert valued.status_code == 201, valued.text
    used = [c["trade_id"] for c in valued.json()["breakdown"]]
    assert newest in used and not set(older) & set(used) and unconfirmed not in used
    assert valued.json()["value"] == "2000.00"  # (1000 + 2000 + 3000) / 3, Q = Qⱼ = 0.8
    assert left_out(valued.json()) == {"unconfirmed": 1, "older_trade_of_seller": 2}


async def test_the_valued_merchants_own_trades_never_compare(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    m = await market(client, session)
    c = m.valued_merchant
    as_buyer = []
    for _ in range(3):  # three sellers sell to C: each trade would be trusted but for C
        seller = await make_merchant(session)
        as_buyer.append(await m.trade(seller, await m.product(seller), "50000.00", buyer=c))
    as_seller = [
        await m.trade(c, await m.product(c), "90000.00"),
        await m.trade(c, m.valued, "90000.00"),  # the valued product's own sales, too
    ]
    refused = await m.value()
    assert refused.status_code == 422, refused.text
    assert refused.json()["comparables"]["left_out"] == {
        "valued_merchant": {"count": 5, "trade_ids": sorted(as_buyer + as_seller, reverse=True)}
    }
    assert await m.valuations_kept() == 0


async def test_trusted_comparables_value_and_say_why_the_others_were_left_out(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    m = await market(client, session)

    async def seller(q: str | None = "0.8", **fields: Any) -> tuple[Merchant, UUID]:
        merchant = await make_merchant(session)
        return merchant, await m.product(merchant, assessed=q, **fields)

    s1, p1 = await seller()
    s1_older = await m.trade(s1, p1, "999.00", days_ago=9)
    s1_newest = await m.trade(s1, p1, "1000.00", days_ago=2)
    s2, p2 = await seller()
    s2_trade = await m.trade(s2, p2, "2000.00", days_ago=3)
    s3, p3 = await seller("0.4")
    s3_trade = await m.trade(s3, p3, "1500.00", days_ago=4)  # × 0.8 / 0.4 = 3000
    # Reported by its seller and confirmed by the buyer: trusted.
    s4, p4 = await seller()
    confirmed = await m.trade(
        s4,
        p4,
        "6000.00",
        days_ago=5,
        headers=auth(await make_key(session, Role.merchant, s4.id)),
        events=("settled", "confirmed"),
    )
    await m.reported_by_seller(confirmed)

    excluded: dict[str, list[str]] = {}
    for reason, events in (
        ("refunded", ("settled", "refunded")),
        ("disputed", ("settled", "disputed")),
        ("disputed", ("delivered", "disputed", "settled")),
        ("cancelled", ("cancelled",)),
        ("not_settled", ("delivered",)),
    ):
        merchant, product = await seller()
        excluded.setdefault(reason, []).append(
            await m.trade(merchant, product, "777777.00", events=events)
        )
    reporter, reported_product = await seller()
    reported = await m.trade(
        reporter,
        reported_product,
        "888888.00",
        headers=auth(await make_key(session, Role.merchant, reporter.id)),
    )
    await m.reported_by_seller(reported)
    excluded["unconfirmed"] = [reported]
    unassessed, unassessed_product = await seller(None)
    excluded["no_assessed_quality"] = [await m.trade(unassessed, unassessed_product, "1.00")]
    zero, zero_product = await seller("0")
    excluded["no_assessed_quality"].append(await m.trade(zero, zero_product, "1.00"))
    excluded["older_trade_of_seller"] = [s1_older]
    # Not candidates at all: another type, another domain, no product named.
    for fields in ({"product_type": "data_api"}, {"domains": ["healthcare"]}):
        merchant, product = await seller(**fields)
        await m.trade(merchant, product, "555555.00")
    await m.trade(await make_merchant(session), None, "555555.00")

    valued = await m.value()
    assert valued.status_code == 201, valued.text
    result = valued.json()
    # The median of 1000, 2000, 3000 and 6000 (none an outlier: m = 2500, MAD = 1000, and
    # 6000 is 3500 from m, within 4447.8); the plain mean of version 1 said 3000.00.
    assert result["value"] == "2500.00"
    assert result["inputs"]["comparables_source"] == "trusted trades"
    used = [s1_newest, s2_trade, s3_trade, confirmed]  # newest first
    assert [c["trade_id"] for c in result["breakdown"]] == used
    assert [c["reference"] for c in result["breakdown"]] == [f"trade:{t}" for t in used]
    assert result["breakdown"][2]["quality_adjustment"] == "2"
    assert result["breakdown"][0]["seller_merchant_id"] == str(s1.id)
    assert result["factors"]["comparables"] == 4
    selection = result["comparables"]
    assert selection["source"] == "trusted_trades"
    assert selection["used"] == used
    assert selection["candidates"] == 4 + sum(len(ids) for ids in excluded.values())
    assert {r: sorted(g["trade_ids"]) for r, g in selection["left_out"].items()} == {
        r: sorted(ids) for r, ids in excluded.items()
    }
    # Reasons come in the order the rule checks them.
    assert list(selection["left_out"]) == [
        "unconfirmed",
        "cancelled",
        "refunded",
        "disputed",
        "not_settled",
        "no_assessed_quality",
        "older_trade_of_seller",
    ]
    kept = await client.get(
        f"/v1/products/{m.valued}/valuations/{result['id']}", headers=m.assessor
    )
    assert kept.json()["comparables"] == selection
    assert await m.valuations_kept() == 1


async def test_comparables_come_from_one_bounded_query(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    m = await market(client, session)
    trusted, reported = [], []
    for n in range(4):
        seller = await make_merchant(session)
        product = await m.product(seller)
        trusted.append(await m.trade(seller, product, "100.00", days_ago=n + 1))
        key = auth(await make_key(session, Role.merchant, seller.id))
        reported.append(await m.trade(seller, product, "9.00", days_ago=n + 1, headers=key))
    await m.reported_by_seller(*reported)

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = await comparables.market_comparables(
            session,
            m.valued_merchant.id,
            "dataset",
            ["finance"],
            Decimal("10000000.00"),
            limit=2,
            shown=3,
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1  # one query, however many candidates
    assert [str(t.trade_id) for t in found.used] == trusted[:2]  # the two most recent sellers
    assert found.left_out[Exclusion.beyond_limit].count == 2
    assert [str(t) for t in found.left_out[Exclusion.beyond_limit].trade_ids] == trusted[2:]
    assert found.left_out[Exclusion.unconfirmed].count == 4
    assert [str(t) for t in found.left_out[Exclusion.unconfirmed].trade_ids] == reported[:3]
    assert found.candidates == 8
