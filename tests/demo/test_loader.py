"""`shushang demo`: a living catalog across Zhejiang, loaded once however often it runs."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.regions import ZHEJIANG_CITIES
from app.core.roles import Role
from app.demo import loader
from app.products.schemas import Domain, ProductType
from tests.factories import auth, make_key


async def test_demo_covers_the_catalog_and_is_idempotent(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    client: httpx.AsyncClient,
    demo_world: loader.Loaded,
) -> None:
    first = demo_world  # the session's one load from empty (tests/conftest.py)
    assert first.merchants >= 33
    assert first.products >= 500
    assert first.samples > 0

    cities = (
        await session.execute(text("SELECT DISTINCT left(region_code, 4) || '00' FROM merchant"))
    ).scalars()
    assert set(cities) == set(ZHEJIANG_CITIES)
    tiers = set((await session.execute(text("SELECT DISTINCT tier FROM merchant"))).scalars())
    assert {"leading", "growth"} <= tiers
    certified = (
        await session.execute(
            text(
                "SELECT count(DISTINCT merchant_id) FROM merchant_certification"
                " WHERE scheme = 'DCMM'"
            )
        )
    ).scalar_one()
    assert certified == first.merchants
    pairs = set(
        (
            await session.execute(
                text("SELECT DISTINCT product_type, unnest(domains) FROM product")
            )
        ).all()
    )
    assert {(t.value, d.value) for t in ProductType for d in Domain} <= pairs
    revisions = (await session.execute(text("SELECT count(*) FROM product_revision"))).scalar_one()
    assert revisions == first.products + first.listings  # listed products were activated

    assert first.listings == first.samples  # every sampled product passes the gates
    listed = (
        await session.execute(
            text("SELECT count(DISTINCT venue_code) FROM listing WHERE status = 'listed'")
        )
    ).scalar_one()
    assert listed == 4

    assert first.ip_registrations == loader.IP_REGISTRATIONS
    statuses = (
        await session.execute(
            text("SELECT status, count(*) FROM ip_registration GROUP BY status ORDER BY status")
        )
    ).all()
    assert [tuple(row) for row in statuses] == [
        ("publicizing", loader.IP_REGISTRATIONS - loader.IP_GRANTED),
        ("registered", loader.IP_GRANTED),
    ]
    number = (
        (
            await session.execute(
                text("SELECT certificate_number FROM ip_registration ORDER BY certificate_number")
            )
        )
        .scalars()
        .first()
    )
    shown = (await client.get(f"/v1/certificates/{number}")).json()
    assert shown["valid_today"] is True
    assert len(shown["licences_in_force"]) == 1 and len(shown["pledges_in_force"]) == 1

    # The catalog shows real cards: every listed product with an assessor's grade, a
    # compliance result at its venue, and the granted certificates.
    catalog = await client.get("/v1/catalog", params={"limit": 200, "facets": "true"})
    cards = catalog.json()["items"]
    assert len(cards) == min(first.listings, 200)
    assert all(c["quality"] and c["quality"]["grade"] in "ABCD" for c in cards)
    assert all(c["compliance"]["result"] in ("pass", "conditional") for c in cards)
    assert sum(c["certificate"] is not None for c in cards) >= loader.IP_GRANTED
    assert set(catalog.json()["facets"]["venue_code"]) == set(loader.VENUES)
    certified = await client.get("/v1/catalog", params={"certified": "true", "limit": 200})
    assert len(certified.json()["items"]) == loader.IP_GRANTED
    page = await client.get(f"/v1/catalog/{cards[0]['listing']['id']}")
    assert page.json()["product"]["id"] == cards[0]["product"]["id"]

    trades = (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one()
    again = await loader.load(app.state.sessionmaker, settings)
    assert (again.merchants, again.products, again.samples, again.listings) == (0, 0, 0, 0)
    assert (again.ip_registrations, again.data_assets, again.trades) == (0, 0, 0)
    # Hangzhou's programme: a claim in each state, made once.
    assert (first.programme_claims, again.programme_claims) == (4, 0)
    states = await client.get(
        "/v1/programmes/HZ-FIRSTS-2026/summary", headers=auth(await make_key(session, Role.auditor))
    )
    assert {s: t["count"] for s, t in states.json()["totals"].items()} == {
        "applied": 1, "approved": 1, "rejected": 1, "paid": 1,
    }  # fmt: skip
    total = (await session.execute(text("SELECT count(*) FROM product"))).scalar_one()
    assert total == first.products
    assert (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one() == trades
