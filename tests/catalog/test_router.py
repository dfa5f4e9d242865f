"""`/v1/catalog`: cards for an anonymous visitor, filters, sorts, keyset paging, facets, the
product page, and a page of 20 cards in one SQL statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.pagination import encode_cursor
from app.core.roles import Role
from tests.catalog.cards import certificate, compliance, listing, make_card, quality
from tests.factories import auth, make_key, make_merchant


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def all_pages(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/catalog", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        cards += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return cards


def names(cards: list[dict[str, Any]]) -> list[str]:
    return [c["product"]["name"] for c in cards]


async def test_a_card_shows_what_a_catalog_page_needs(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session, region_code="330106", tier="leading")
    product, listing_id = await make_card(
        session,
        merchant,
        venue="ZJBDEX",
        certified=True,
        description="很长的描述" * 40,
        data_as_of="2026-10-31",
    )

    response = await client.get("/v1/catalog")
    assert response.status_code == 200
    (card,) = response.json()["items"]
    assert card["listing"]["id"] == str(listing_id)
    assert card["listing"]["venue_code"] == "ZJBDEX"
    assert card["listing"]["venue_name"] == "浙江大数据交易中心"
    assert card["listing"]["price"] == {
        "model": "one_time",
        "amount": "12000.00",
        "unit": None,
        "currency": "CNY",
    }
    assert card["listing"]["listed_at"]
    assert card["product"]["id"] == str(product.id)
    assert card["product"]["name"] == product.name
    assert card["product"]["description_excerpt"] == ("很长的描述" * 40)[:120] + "…"
    assert card["product"]["product_type"] == "dataset"
    assert card["product"]["domains"] == ["commerce_trade"]
    assert card["product"]["tags"] == ["企业", "画像"]
    assert card["product"]["data_as_of"] == "2026-10-31"
    assert card["product"]["update_frequency"] == "monthly"
    assert card["product"]["delivery_modes"] == ["api"]
    assert card["merchant"] == {
        "id": str(merchant.id),
        "name": merchant.name,
        "region_code": "330106",
        "city_name": "杭州市",
        "tier": "leading",
    }
    assert card["quality"]["grade"] == "A"
    assert card["quality"]["overall"] == "92.50"
    assert card["compliance"]["result"] == "pass"
    assert card["certificate"]["status"] == "registered"
    assert len(card["certificate"]["number"]) == 17
    assert "contact_email" not in str(card)


async def test_the_grade_is_an_independent_assessors_of_the_current_revision(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    product, _ = await make_card(session, merchant, grade=None)
    # A merchant's self-check and the operator's own assessment are no grade for the catalog.
    session.add_all([quality(product, "A", "99.00", "merchant")])
    session.add_all([quality(product, "A", "98.00", "operator")])
    await session.commit()
    (card,) = (await client.get("/v1/catalog")).json()["items"]
    assert card["quality"] is None

    session.add(quality(product, "C", "61.00"))
    await session.commit()
    (card,) = (await client.get("/v1/catalog")).json()["items"]
    assert card["quality"]["grade"] == "C"

    # An assessment of another revision of the product grades other data.
    older = quality(product, "B", "80.00")
    older.product_revision = product.revision - 1 if product.revision > 1 else 99
    session.add(older)
    await session.commit()
    (card,) = (await client.get("/v1/catalog")).json()["items"]
    assert card["quality"]["grade"] == "C"


async def test_compliance_is_the_result_at_the_cards_venue(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    product, _ = await make_card(session, merchant, venue="HZDEX")
    session.add(compliance(product, {"HZDEX": "conditional", "WZDEX": "pass"}))
    session.add(listing(product, "WZDEX"))
    # A self-check never stands for compliance.
    session.add(compliance(product, {"HZDEX": "pass", "WZDEX": "pass"}, "merchant"))
    await session.commit()
    cards = (await client.get("/v1/catalog")).json()["items"]
    results = {c["listing"]["venue_code"]: c["compliance"]["result"] for c in cards}
    assert results == {"HZDEX": "conditional", "WZDEX": "pass"}


async def test_only_listed_listings_are_cards_and_a_suspension_takes_one_away(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    owner = auth(await make_key(session, Role.merchant, merchant.id))
    product, listing_id = await make_card(session, merchant)
    for status in ("draft", "submitted", "suspended", "delisted", "rejected"):
        other, _ = await make_card(session, merchant)
        await session.execute(
            text("UPDATE listing SET status = :s WHERE product_id = :p"),
            {"s": status, "p": other.id},
        )
    await session.commit()
    assert [c["listing"]["id"] for c in (await client.get("/v1/catalog")).json()["items"]] == [
        str(listing_id)
    ]
    assert (await client.get(f"/v1/catalog/{listing_id}")).status_code == 200

    # A new revision of the product suspends its listing at once: the card is gone.
    changed = await client.patch(
        f"/v1/products/{product.id}", json={"description": "换了数据"}, headers=owner
    )
    assert changed.status_code == 200
    assert (await client.get("/v1/catalog")).json()["items"] == []
    gone = await client.get(f"/v1/catalog/{listing_id}")
    assert gone.status_code == 404
    status = await session.scalar(
        text("SELECT status FROM listing WHERE id = :id"), {"id": listing_id}
    )
    assert status == "suspended"


async def test_filters(client: httpx.AsyncClient, session: AsyncSession) -> None:
    hangzhou = await make_merchant(session, region_code="330106")
    ningbo = await make_merchant(session, region_code="330203")
    await make_card(session, hangzhou, name="杭州企业画像", venue="HZDEX", price="100.00")
    await make_card(
        session,
        hangzhou,
        name="杭州碳排放指数",
        venue="ZJBDEX",
        price="5000.00",
        product_type="report",
        domains=["ecology_carbon"],
        certified=True,
        description="园区碳足迹核算",
    )
    await make_card(session, ningbo, name="宁波航运指数", venue="NBSE", price=None)

    async def found(**params: Any) -> list[str]:
        return sorted(names(await all_pages(client, **params)))

    assert await found() == ["宁波航运指数", "杭州企业画像", "杭州碳排放指数"]
    assert await found(venue_code="HZDEX") == ["杭州企业画像"]
    assert await found(venue="NBSE") == ["宁波航运指数"]  # the deprecated alias
    assert await found(product_type="report") == ["杭州碳排放指数"]
    assert await found(domain="ecology_carbon") == ["杭州碳排放指数"]
    assert await found(region="3302") == ["宁波航运指数"]
    assert await found(region="33") == ["宁波航运指数", "杭州企业画像", "杭州碳排放指数"]
    assert await found(merchant_id=str(ningbo.id)) == ["宁波航运指数"]
    assert await found(price_min="100.00") == ["杭州企业画像", "杭州碳排放指数"]
    assert await found(price_max="100") == ["杭州企业画像"]
    assert await found(price_min="101", price_max="5000") == ["杭州碳排放指数"]
    assert await found(certified="true") == ["杭州碳排放指数"]
    assert await found(certified="false") == ["宁波航运指数", "杭州企业画像"]
    assert await found(q="碳足迹") == ["杭州碳排放指数"]
    assert await found(q="指数") == ["宁波航运指数", "杭州碳排放指数"]
    assert await found(q="指数", sort="price_asc") == ["宁波航运指数", "杭州碳排放指数"]
    assert await found(q="!!!") == []


async def test_a_lapsed_or_revoked_certificate_does_not_certify(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    lapsed, _ = await make_card(session, merchant, name="过期证书")
    revoked, _ = await make_card(session, merchant, name="撤销证书")
    session.add(certificate(lapsed, valid_until=utcnow().date() - timedelta(days=2)))
    session.add(certificate(revoked, status="revoked"))
    await session.commit()
    assert await all_pages(client, certified="true") == []
    # A card shows a certificate in force only (issue 27): neither is one.
    shown = {c["product"]["name"]: c["certificate"] for c in await all_pages(client)}
    assert shown == {"过期证书": None, "撤销证书": None}


async def test_sorts_page_through_every_card_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    now = utcnow()
    prices = ["300.00", None, "100.00", "300.00", "200.00", None, "50.00"]
    for n, price in enumerate(prices):
        await make_card(
            session, merchant, name=f"卡片{n}", price=price, listed_at=now - timedelta(hours=n)
        )

    newest = await all_pages(client, limit=2)
    assert names(newest) == [f"卡片{n}" for n in range(7)]

    ascending = await all_pages(client, sort="price_asc", limit=3)
    amounts = [c["listing"]["price"]["amount"] for c in ascending]
    assert amounts == ["50.00", "100.00", "200.00", "300.00", "300.00", None, None]

    descending = await all_pages(client, sort="price_desc", limit=1)
    amounts = [c["listing"]["price"]["amount"] for c in descending]
    assert amounts == ["300.00", "300.00", "200.00", "100.00", "50.00", None, None]
    assert len({c["listing"]["id"] for c in descending}) == 7

    # Without `q`, relevance is newest first.
    assert names(await all_pages(client, sort="relevance", limit=4)) == names(newest)


async def test_relevance_comes_tier_by_tier_across_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    await make_card(session, merchant, name="普通数据", description="含交易指数的说明")
    await make_card(session, merchant, name="杭州交易指数", description="")
    await make_card(session, merchant, name="其他", description="数据交易的价格", tags=[])
    await make_card(session, merchant, name="浙江交易指数月报", description="")
    found = await all_pages(client, q="交易指数", limit=1)
    # In the name first (newest first), then in the description; 其他 does not match.
    assert names(found) == ["浙江交易指数月报", "杭州交易指数", "普通数据"]
    assert names(found) == names(await all_pages(client, q="交易指数", limit=50))


async def test_a_cursor_belongs_to_its_sort_and_is_not_tampered_with(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    for n in range(3):
        await make_card(session, merchant, name=f"卡片{n}")
    newest = (await client.get("/v1/catalog", params={"limit": 1})).json()["next_cursor"]
    by_price = (await client.get("/v1/catalog", params={"limit": 1, "sort": "price_asc"})).json()[
        "next_cursor"
    ]
    assert newest and by_price

    async def status(**params: Any) -> int:
        return (await client.get("/v1/catalog", params=params)).status_code

    assert await status(cursor=newest) == 200
    assert await status(cursor=newest, sort="price_asc") == 400
    assert await status(cursor=by_price) == 400
    assert await status(cursor=newest, sort="relevance") == 400
    assert await status(cursor=newest, q="卡片") == 400  # q makes relevance the default
    some_id = "0190f3c4-0000-7000-8000-000000000000"
    tampered = [
        "not-a-cursor",
        encode_cursor(["newest", 0, 10**30, some_id]),
        encode_cursor(["newest", 0, -1, some_id]),
        encode_cursor(["newest", 0, 2**62, some_id]),
        encode_cursor(["newest", 0, "1", some_id]),
        encode_cursor(["newest", 0, 1, "not-a-uuid"]),
        encode_cursor(["newest", 1, 1, some_id]),
        encode_cursor(["newest", 0, 1.5, some_id]),
        encode_cursor(["newest", 0, some_id]),
        encode_cursor(["relevance", 0, 1, some_id]),
        encode_cursor([]),
    ]
    for cursor in tampered:
        assert await status(cursor=cursor) == 400, cursor
    assert await status(cursor=encode_cursor(["relevance", 7, 1, some_id]), q="卡片") == 400
    assert await status(cursor=encode_cursor(["relevance", 0, 1, some_id]), q="卡片") == 400
    assert await status(cursor=encode_cursor(["relevance", 2, 1, some_id]), q="卡片") == 200
    for cents, expected in ((10**16, 400), (-(10**16), 400), (10**16 - 1, 200), (-100, 200)):
        cursor = encode_cursor(["price_asc", 0, cents, some_id])
        assert await status(cursor=cursor, sort="price_asc") == expected, cents
    assert await status(cursor=encode_cursor(["price_asc", 2, 1, some_id]), sort="price_asc") == (
        400
    )


async def test_bad_parameters_are_422(client: httpx.AsyncClient) -> None:
    for params in (
        {"price_min": "200", "price_max": "100"},
        {"price_min": "1e3"},
        {"price_min": "١٠٠"},
        {"price_max": "-1"},
        {"sort": "cheapest"},
        {"region": "33x"},
        {"venue_code": "hzdex"},
        {"product_type": "video"},
        {"certified": "maybe"},
        {"venu_code": "HZDEX"},
        {"limit": "0"},
    ):
        response = await client.get("/v1/catalog", params=params)
        assert response.status_code == 422, (params, response.text)
    assert (await client.get("/v1/catalog/not-a-uuid")).status_code == 422


async def test_facets_count_every_match(client: httpx.AsyncClient, session: AsyncSession) -> None:
    hangzhou = await make_merchant(session, region_code="330106")
    wenzhou = await make_merchant(session, region_code="330302")
    await make_card(session, hangzhou, venue="HZDEX", domains=["finance", "commerce_trade"])
    await make_card(session, hangzhou, venue="ZJBDEX", product_type="report")
    await make_card(session, wenzhou, venue="WZDEX")
    body = (await client.get("/v1/catalog", params={"facets": "true", "limit": 1})).json()
    assert len(body["items"]) == 1
    assert body["facets"] == {
        "product_type": {"dataset": 2, "report": 1},
        "domain": {"commerce_trade": 3, "finance": 1},
        "venue_code": {"HZDEX": 1, "WZDEX": 1, "ZJBDEX": 1},
        "region": {"3301": 2, "3303": 1},
    }
    assert (await client.get("/v1/catalog")).json()["facets"] is None
    narrowed = await client.get("/v1/catalog", params={"facets": "true", "region": "3303"})
    assert narrowed.json()["facets"]["venue_code"] == {"WZDEX": 1}


async def test_the_product_page_is_one_request(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    product, listing_id = await make_card(session, merchant, venue="HZDEX", certified=True)
    session.add(compliance(product, {"HZDEX": "pass", "NBSE": "conditional", "WZDEX": "pass"}))
    session.add_all([listing(product, "NBSE", "9.90"), listing(product, "WZDEX", status="draft")])
    await session.commit()

    with statements(app) as sent:
        response = await client.get(f"/v1/catalog/{listing_id}")
    assert response.status_code == 200
    assert len(sent) == 2
    page = response.json()
    assert page["card"]["listing"]["id"] == str(listing_id)
    assert page["card"]["certificate"]["status"] == "registered"
    assert page["product"]["id"] == str(product.id)
    assert page["product"]["description"] == product.description
    assert page["product"]["data_sources"][0]["kind"] == "self_collected"
    (other,) = page["other_listings"]
    assert other["venue_code"] == "NBSE"
    assert other["venue_name"] == "宁波航运交易所"
    assert other["price"]["amount"] == "9.90"
    assert other["compliance"]["result"] == "conditional"

    unknown = await client.get("/v1/catalog/0190f3c4-0000-7000-8000-000000000000")
    assert unknown.status_code == 404


async def test_a_page_of_twenty_cards_is_one_statement(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchants = [await make_merchant(session) for _ in range(4)]
    for n in range(25):
        await make_card(
            session, merchants[n % 4], venue=["HZDEX", "ZJBDEX"][n % 2], certified=n % 3 == 0
        )
    with statements(app) as sent:
        response = await client.get("/v1/catalog", params={"limit": 20})
    body = response.json()
    assert len(body["items"]) == 20
    assert all(c["quality"] and c["compliance"] for c in body["items"])
    assert sum(c["certificate"] is not None for c in body["items"]) >= 6
    assert len(sent) == 1, sent
    # By relevance: a statement per tier read, one for the cards, one for the facets.
    with statements(app) as sent:
        searched = await client.get(
            "/v1/catalog", params={"limit": 20, "q": "企业画像", "facets": "true"}
        )
    assert len(searched.json()["items"]) == 20
    assert len(sent) == 3
    # By price: the priced listings, then (if the page is not full) the negotiable ones.
    with statements(app) as sent:
        priced = await client.get("/v1/catalog", params={"limit": 20, "sort": "price_desc"})
    assert len(priced.json()["items"]) == 20
    assert len(sent) == 2


async def test_the_same_data_gives_the_same_body_to_everyone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    for n in range(3):
        await make_card(session, merchant, name=f"卡片{n}", listed_at=utcnow())
    operator = auth(await make_key(session, Role.operator))
    anonymous = await client.get("/v1/catalog", params={"facets": "true"})
    again = await client.get("/v1/catalog", params={"facets": "true"})
    as_operator = await client.get("/v1/catalog", params={"facets": "true"}, headers=operator)
    assert anonymous.content == again.content == as_operator.content
    assert (await client.get("/v1/catalog", headers=auth("shs_unknown"))).status_code == 401
