"""Search and facets through the API: recall, ranking, filters, counts and keyset pages."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant, make_product


@pytest.fixture
async def reader(session: AsyncSession) -> dict[str, str]:
    return auth(await make_key(session, Role.auditor))


async def ids(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[str]:
    response = await client.get("/v1/products", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


async def test_chinese_words_and_substrings(
    client: httpx.AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    merchant = await make_merchant(session)
    index = await make_product(
        session, merchant, name="杭州数据交易指数", description="月度指数", tags=[]
    )
    ip = await make_product(
        session,
        merchant,
        name="化工产业大脑数据集",
        description="支撑数据知识产权登记的企业生产数据。",
        tags=["制造"],
    )
    traffic = await make_product(
        session,
        merchant,
        name="宁波港集装箱吞吐量",
        description="Container throughput, Ningbo port.",
        tags=["shipping"],
        domains=["transport"],
    )

    assert await ids(client, reader, q="交易") == [str(index.id)]
    assert await ids(client, reader, q="据交") == [str(index.id)]  # a substring, not a word
    assert await ids(client, reader, q="杭州 指数") == [str(index.id)]
    assert await ids(client, reader, q="数据知识产权") == [str(ip.id)]
    assert await ids(client, reader, q="产业大脑") == [str(ip.id)]
    assert await ids(client, reader, q="container") == [str(traffic.id)]
    assert await ids(client, reader, q="Throughput") == [str(traffic.id)]
    assert await ids(client, reader, q="ship") == [str(traffic.id)]  # prefix
    assert await ids(client, reader, q="吞吐") == [str(traffic.id)]
    assert await ids(client, reader, q="交易 container") == []
    assert await ids(client, reader, q="？？？") == []


async def test_name_outranks_description(
    client: httpx.AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    merchant = await make_merchant(session)
    in_description = await make_product(
        session, merchant, name="企业用电数据", description="可用于碳排放核算", tags=[]
    )
    in_name = await make_product(
        session, merchant, name="碳排放监测数据", description="按日更新", tags=[]
    )
    assert await ids(client, reader, q="碳排放") == [str(in_name.id), str(in_description.id)]


async def test_filters(
    client: httpx.AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    a = await make_merchant(session)
    b = await make_merchant(session)
    api = await make_product(session, a, product_type="data_api", domains=["finance"])
    important = await make_product(
        session,
        b,
        classification="important",
        classification_level=None,
        domains=["transport", "finance"],
    )
    assert await ids(client, reader, product_type="data_api") == [str(api.id)]
    assert set(await ids(client, reader, domain="finance")) == {str(api.id), str(important.id)}
    assert await ids(client, reader, domain="transport") == [str(important.id)]
    assert await ids(client, reader, merchant_id=str(b.id)) == [str(important.id)]
    assert await ids(client, reader, classification="important") == [str(important.id)]
    assert await ids(client, reader, status="active") == []
    assert len(await ids(client, reader, updated_since="2000-01-01T00:00:00+08:00")) == 2
    assert await ids(client, reader, updated_since="2999-01-01T00:00:00Z") == []
    bad = await client.get("/v1/products", params={"product_type": "spreadsheet"}, headers=reader)
    assert bad.status_code == 422


async def test_facets_equal_direct_counts(
    client: httpx.AsyncClient, session: AsyncSession, reader: dict[str, str]
) -> None:
    merchant = await make_merchant(session)
    shapes = [
        ("dataset", ["finance"], "general"),
        ("dataset", ["finance", "transport"], "general"),
        ("data_api", ["transport"], "important"),
        ("report", ["education"], "general"),
        ("data_model", ["finance"], "core"),
    ]
    for kind, domains, classification in shapes:
        await make_product(
            session,
            merchant,
            product_type=kind,
            domains=domains,
            classification=classification,
            classification_level=None,
            name=f"交易数据{kind}",
        )
    await make_product(
        session, merchant, name="无关产品", product_type="algorithm", domains=["healthcare"]
    )

    body = (
        await client.get(
            "/v1/products", params={"q": "交易", "facets": True, "limit": 2}, headers=reader
        )
    ).json()
    facets = body["facets"]
    assert len(body["items"]) == 2
    assert facets["product_type"] == dict(Counter(kind for kind, _, _ in shapes))
    assert facets["domain"] == dict(Counter(d for _, domains, _ in shapes for d in domains))
    assert facets["classification"] == dict(Counter(c for _, _, c in shapes))
    direct = await session.execute(
        text("SELECT product_type, count(*) FROM product WHERE name LIKE '交易数据%' GROUP BY 1")
    )
    assert facets["product_type"] == dict(direct.all())
    plain = (await client.get("/v1/products", headers=reader)).json()
    assert plain["facets"] is None


@pytest.mark.parametrize("query", [None, "交易"])
async def test_keyset_pages_have_no_gaps_or_repeats(
    client: httpx.AsyncClient, session: AsyncSession, reader: dict[str, str], query: str | None
) -> None:
    merchant = await make_merchant(session)
    # Many equal ranks: the id breaks ties, so pages neither skip nor repeat.
    made = {
        str((await make_product(session, merchant, name=f"交易数据{i}", tags=[])).id)
        for i in range(11)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 4}
        if query:
            params["q"] = query
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/v1/products", params=params, headers=reader)).json()
        seen += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == made
    wrong_kind = await client.get(
        "/v1/products",
        params={"cursor": "WyJ4Il0", **({"q": query} if query else {})},
        headers=reader,
    )
    assert wrong_kind.status_code == 400
