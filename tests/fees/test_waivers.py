"""Fee waivers (减免撮合服务费), through HTTP: a venue's rules waive part of the fee of the
on-venue trades recorded while they hold, the largest waiver winning, within a cap per
seller, rule and calendar year; never twice the last of a cap nor a first, under
concurrency too; a rule changes no fee already recorded."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from shushang_sdk import trust
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from tests.factories import auth, make_key, make_merchant
from tests.listings.test_router import Exchange
from tests.sdk.test_sdk import sdk
from tests.trades.conftest import DIGEST

VENUE = "HZDEX"  # fee rate 0.003: 12345.67 pays 37.04
FEE = Decimal("37.04")
RULES = f"/v1/venues/{VENUE}/fee-waivers"


class Desk:
    """An operator, a buyer, and sellers each with a listing listed at HZDEX."""

    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> Desk:
        self.client, self.session = client, session
        self.operator_token = await make_key(session, Role.operator)
        self.admin = auth(self.operator_token)
        self.buyer = await make_merchant(session)
        return self

    async def seller(self, **fields: Any) -> tuple[str, str]:
        """A new seller (merchant fields as given) and its listed listing."""
        ex = Exchange(self.client, self.session)
        ex.merchant = await make_merchant(self.session, **fields)
        ex.owner = auth(await make_key(self.session, Role.merchant, ex.merchant.id))
        ex.admin = self.admin
        ex.assessor = auth(await make_key(self.session, Role.assessor))
        listing_id = await ex.listing(await ex.product())
        await ex.step(listing_id, "submit", ex.owner)
        assert (await ex.step(listing_id, "approve", ex.admin)).status_code == 200
        return str(ex.merchant.id), listing_id

    async def rule(self, **fields: Any) -> dict[str, Any]:
        body = {"percent": "100", "from": "2025-01-01", "to": "2026-12-31"}
        body["cap_per_merchant"] = "100000.00"
        made = await self.client.post(RULES, json={**body, **fields}, headers=self.admin)
        assert made.status_code == 201, made.text
        assert made.headers["Location"] == f"{RULES}/{made.json()['id']}"
        return dict(made.json())

    def trade_body(self, seller: tuple[str, str], **fields: Any) -> dict[str, Any]:
        return {
            "venue_code": VENUE,
            "on_venue": True,
            "listing_id": seller[1],
            "seller_merchant_id": seller[0],
            "buyer_merchant_id": str(self.buyer.id),
            "amount": "12345.67",
            "contract_digest": DIGEST,
            "occurred_at": "2026-11-20T10:00:00+08:00",
            **fields,
        }

    async def trade(
        self, seller: tuple[str, str], client: httpx.AsyncClient | None = None, **fields: Any
    ) -> dict[str, Any]:
        made = await (client or self.client).post(
            "/v1/transactions",
            json=self.trade_body(seller, **fields),
            headers={**self.admin, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert made.status_code == 201, made.text
        return dict(made.json())


@pytest.fixture
async def desk(client: httpx.AsyncClient, session: AsyncSession) -> Desk:
    return await Desk().setup(client, session)


def waived(trade: dict[str, Any]) -> tuple[Decimal, str | None]:
    """The waiver a trade got, and its rule."""
    assert Decimal(trade["fee_before_waiver"]) == FEE
    return FEE - Decimal(trade["fee"]), trade["fee_waiver_id"]


async def test_each_kind_waives_and_the_largest_wins(desk: Desk, app: FastAPI) -> None:
    grower = await desk.seller(tier="growth", region_code="330106")
    period = await desk.rule(kind="period", percent="10")
    assert waived(await desk.trade(grower)) == (Decimal("3.70"), period["id"])
    tier = await desk.rule(kind="tier", tier="growth", percent="20")
    assert waived(await desk.trade(grower)) == (Decimal("7.41"), tier["id"])
    region = await desk.rule(kind="region", region_codes=["3301"], percent="30")
    assert waived(await desk.trade(grower)) == (Decimal("11.11"), region["id"])
    # `grower` traded on-venue before the first-trade rule: it never gets it.
    first = await desk.rule(kind="first_on_venue_trade", percent="100")
    assert waived(await desk.trade(grower)) == (Decimal("11.11"), region["id"])
    newcomer = await desk.seller(region_code="330203")  # Ningbo, no tier
    got = await desk.trade(newcomer)
    assert waived(got) == (FEE, first["id"]) and got["fee"] == "0.00"
    assert waived(await desk.trade(newcomer)) == (Decimal("3.70"), period["id"])

    # Reads show the same; the rules are public.
    again = await desk.client.get(f"/v1/transactions/{got['id']}", headers=desk.admin)
    assert again.json()["fee_waiver_id"] == first["id"] and again.json()["fee"] == "0.00"
    public = await desk.client.get(RULES)
    assert public.status_code == 200
    assert [r["id"] for r in public.json()["items"]] == [
        period["id"], tier["id"], region["id"], first["id"]
    ]  # fmt: skip
    one = await desk.client.get(f"{RULES}/{tier['id']}")
    assert one.json() == tier and tier["from"] == "2025-01-01" and tier["percent"] == "20.00"
    export = await desk.client.get("/v1/transactions/export", headers=desk.admin)
    assert export.text.splitlines()[0].endswith(",fee_before_waiver,fee_waiver_id")

    # Every leaf of the venue's log still verifies, waived or not.
    auditor = await make_key(desk.session, Role.auditor)
    async with sdk(app, desk.operator_token) as operator:
        vkey = await operator.ledger.verifier_key(VENUE)
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as client:
        found = await client.ledger.audit(VENUE)
    assert found.ok and not found.failures and found.verified["trade"] == 6


async def test_the_cap_is_per_seller_rule_and_calendar_year(desk: Desk) -> None:
    seller = await desk.seller()
    rule = await desk.rule(kind="period", cap_per_merchant="50.00")
    assert waived(await desk.trade(seller)) == (FEE, rule["id"])
    assert waived(await desk.trade(seller)) == (Decimal("12.96"), rule["id"])  # the rest
    assert waived(await desk.trade(seller)) == (Decimal(0), None)
    # Another calendar year (Asia/Shanghai: 2025-12-31T20:00Z is 2026-01-01 there).
    assert waived(await desk.trade(seller, occurred_at="2025-12-31T15:59:00Z")) == (
        FEE,
        rule["id"],
    )
    assert waived(await desk.trade(seller, occurred_at="2025-12-31T16:00:00Z")) == (0, None)
    # Another seller has a cap of its own.
    assert waived(await desk.trade(await desk.seller())) == (FEE, rule["id"])


async def test_two_racing_trades_never_both_take_the_last_of_a_cap(
    desk: Desk, settings: Settings
) -> None:
    """Two processes (two apps: two group committers, two engines) record at once: the
    waivers stay within the cap, and a seller's first on-venue trade is waived once."""
    capped = await desk.seller()
    await desk.trade(capped)  # its first on-venue trade, before any rule
    await desk.rule(kind="period", cap_per_merchant="50.00", to="2026-11-30")
    first_rule = await desk.rule(kind="first_on_venue_trade", percent="50")
    newcomer = await desk.seller()
    other = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=other, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://shushang.test") as two:
            racing = await asyncio.gather(
                desk.trade(capped), desk.trade(capped, client=two), desk.trade(capped)
            )
            assert sorted(waived(t)[0] for t in racing) == [0, Decimal("12.96"), FEE]
            # On a day only the first-trade rule covers.
            day = "2026-12-01T10:00:00+08:00"
            firsts = await asyncio.gather(
                desk.trade(newcomer, occurred_at=day),
                desk.trade(newcomer, client=two, occurred_at=day),
            )
            assert sorted(waived(t) for t in firsts) == [  # type: ignore[type-var]
                (Decimal(0), None),
                (Decimal("18.52"), first_rule["id"]),
            ]
    finally:
        await other.state.engine.dispose()


async def test_a_rule_changes_no_fee_recorded_before_it(desk: Desk) -> None:
    seller = await desk.seller()
    before = await desk.trade(seller)
    rule = await desk.rule(kind="period")
    read = await desk.client.get(f"/v1/transactions/{before['id']}", headers=desk.admin)
    assert read.json()["fee"] == str(FEE) and read.json()["fee_waiver_id"] is None
    assert waived(await desk.trade(seller)) == (FEE, rule["id"])
    # Ended: trades dated after its new last day get nothing from it; those before keep it.
    ended = await desk.client.post(
        f"{RULES}/{rule['id']}/end", json={"to": "2026-11-19"}, headers=desk.admin
    )
    assert ended.status_code == 200 and ended.json()["to"] == "2026-11-19"
    assert ended.json()["ended_at"] is not None
    assert waived(await desk.trade(seller)) == (0, None)
    assert (
        waived(await desk.trade(seller, occurred_at="2026-11-19T10:00:00+08:00"))[1] == (rule["id"])
    )
    later = await desk.client.post(
        f"{RULES}/{rule['id']}/end", json={"to": "2026-12-31"}, headers=desk.admin
    )
    assert later.status_code == 422  # never extended


async def test_off_venue_and_historical_trades_are_not_waived(desk: Desk) -> None:
    seller = await desk.seller()
    await desk.rule(kind="period")
    off = await desk.client.post(
        "/v1/transactions",
        json={**desk.trade_body(seller), "on_venue": False, "listing_id": None},
        headers={**desk.admin, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert off.status_code == 201, off.text
    assert waived(off.json()) == (0, None)
    line = {**desk.trade_body(seller), "idempotency_key": str(uuid.uuid4())}
    imported = await desk.client.post(
        "/v1/transactions/imports?historical=true",
        content=httpx.Response(200, json=line).text + "\n",
        headers={**desk.admin, "Content-Type": "application/x-ndjson"},
    )
    assert imported.status_code == 200, imported.text
    trade_id = imported.json()["results"][0]["trade_id"]
    read = await desk.client.get(f"/v1/transactions/{trade_id}", headers=desk.admin)
    assert waived(read.json()) == (0, None)


BAD = [
    ({"percent": "0"}, "percent"),
    ({"percent": "100.01"}, "percent"),
    ({"percent": "1e2"}, "percent"),
    ({"percent": 50}, "percent"),
    ({"from": "1989-12-31"}, "from"),
    ({"to": "2101-01-01"}, "to"),
    ({"from": "2026-12-01", "to": "2026-11-30"}, "to"),
    ({"cap_per_merchant": "0"}, "cap_per_merchant"),
    ({"cap_per_merchant": "-1.00"}, "cap_per_merchant"),
    ({"cap_per_merchant": "10000000000000"}, "cap_per_merchant"),
    ({"kind": "tier"}, "tier"),
    ({"tier": "growth"}, "tier"),
    ({"kind": "region"}, "region_codes"),
    ({"kind": "region", "region_codes": ["99"]}, "region_codes"),
    ({"kind": "region", "region_codes": ["3399"]}, "region_codes"),
    ({"kind": "region", "region_codes": []}, "region_codes"),
    ({"region_codes": ["33"]}, "region_codes"),
    ({"kind": "everything"}, "kind"),
    ({"fee": "0"}, "fee"),
]


async def test_bad_rules_and_strangers_write_nothing(desk: Desk) -> None:
    body = {"kind": "period", "percent": "50", "from": "2026-01-01", "to": "2026-12-31"}
    body["cap_per_merchant"] = "100.00"
    for change, field in BAD:
        refused = await desk.client.post(RULES, json={**body, **change}, headers=desk.admin)
        assert refused.status_code == 422, (change, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text, (change, refused.text)
    merchant = auth(
        await make_key(desk.session, Role.merchant, (await make_merchant(desk.session)).id)
    )
    assessor = auth(await make_key(desk.session, Role.assessor))
    assert (await desk.client.post(RULES, json=body, headers=merchant)).status_code == 403
    assert (await desk.client.post(RULES, json=body, headers=assessor)).status_code == 403
    assert (await desk.client.post(RULES, json=body)).status_code == 401
    nowhere = await desk.client.post(
        "/v1/venues/NOWHERE/fee-waivers", json=body, headers=desk.admin
    )
    assert nowhere.status_code == 404
    assert (await desk.client.get(RULES)).json()["items"] == []
    missing = await desk.client.get(f"{RULES}/{uuid.uuid4()}")
    assert missing.status_code == 404
    # Ending: operators only, a rule of this venue only.
    rule = await desk.rule(kind="period")
    end = f"{RULES}/{rule['id']}/end"
    assert (
        await desk.client.post(end, json={"to": "2025-06-01"}, headers=merchant)
    ).status_code == 403
    other_venue = f"/v1/venues/NBSE/fee-waivers/{rule['id']}/end"
    assert (
        await desk.client.post(other_venue, json={"to": "2025-06-01"}, headers=desk.admin)
    ).status_code == 404
    assert (
        await desk.client.post(end, json={"to": "2024-12-31"}, headers=desk.admin)
    ).status_code == 422
    assert (await desk.client.get(f"{RULES}/{rule['id']}")).json() == rule
