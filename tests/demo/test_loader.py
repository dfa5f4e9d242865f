"""`shushang demo`: a living catalog across Zhejiang, loaded once however often it runs."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.demo import loader
from app.products.schemas import Domain, ProductType
from app.regions import ZHEJIANG_CITIES


async def test_demo_covers_the_catalog_and_is_idempotent(
    app: FastAPI, session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    first = await loader.load(app.state.sessionmaker, settings)
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

    again = await loader.load(app.state.sessionmaker, settings)
    assert (again.merchants, again.products, again.samples, again.listings) == (0, 0, 0, 0)
    assert again.ip_registrations == 0
    total = (await session.execute(text("SELECT count(*) FROM product"))).scalar_one()
    assert total == first.products
