"""Venues: public reading, operator creation, the seeded five."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant

SEEDED = {"ZJBDEX", "HZDEX", "WZDEX", "NBSE", "OTC"}


async def test_seeded_venues_are_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/venues")
    assert response.status_code == 200
    body = response.json()
    assert {v["code"] for v in body["items"]} == SEEDED
    assert body["next_cursor"] is None
    names = {v["code"]: v["name"] for v in body["items"]}
    assert names["ZJBDEX"] == "浙江大数据交易中心"
    assert names["NBSE"] == "宁波航运交易所"


async def test_seeded_venue_has_default_negative_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/venues/HZDEX")
    assert response.status_code == 200
    venue = response.json()
    assert venue["id"] == "HZDEX"
    assert venue["fee_rate"] == "0.003"
    codes = {rule["code"] for rule in venue["negative_list"]}
    assert codes == {"CORE_DATA", "SOURCE_UNLAWFUL", "PI_NO_BASIS", "KEYWORDS"}
    keywords = next(r for r in venue["negative_list"] if r["code"] == "KEYWORDS")["values"]
    assert "国家秘密" in keywords
    assert "军事设施" in keywords
    assert response.headers["ETag"].startswith('"1.')


async def test_unknown_venue_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/venues/NOPE")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:shushang:problem:not-found"


async def test_venues_page_by_cursor(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/v1/venues", params=params)).json()
        seen += [v["code"] for v in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(SEEDED)


async def test_operator_creates_venue(client: httpx.AsyncClient, session: AsyncSession) -> None:
    token = await make_key(session, Role.operator)
    body = {
        "code": "JXDEX",
        "name": "嘉兴数据交易中心",
        "region_code": "330400",
        "fee_rate": "0.0025",
    }
    response = await client.post("/v1/venues", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    venue = response.json()
    assert venue["fee_rate"] == "0.0025"
    assert {r["code"] for r in venue["negative_list"]} >= {"CORE_DATA", "KEYWORDS"}
    assert response.headers["Location"] == "/v1/venues/JXDEX"
    assert (await client.get("/v1/venues/JXDEX")).json()["name"] == "嘉兴数据交易中心"

    again = await client.post("/v1/venues", json=body, headers=auth(token))
    assert again.status_code == 409


async def test_venue_rules_reject_bad_input(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = await make_key(session, Role.operator)
    for bad in (
        {"code": "lower", "name": "x"},
        {"code": "ABC", "name": "x", "fee_rate": 0.003},  # money-like values are strings
        {"code": "ABC", "name": "x", "fee_rate": "1.5"},
        {"code": "ABC", "name": "x", "region_code": "990000"},
        {"code": "ABC", "name": "x", "unexpected": True},
    ):
        response = await client.post("/v1/venues", json=bad, headers=auth(token))
        assert response.status_code == 422, bad
        assert response.json()["errors"], bad


async def test_only_operators_create_venues(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    body = {"code": "ABC", "name": "x"}
    assert (await client.post("/v1/venues", json=body)).status_code == 401
    for role, merchant_id in (
        (Role.merchant, merchant.id),
        (Role.auditor, None),
        (Role.assessor, None),
    ):
        token = await make_key(session, role, merchant_id)
        response = await client.post("/v1/venues", json=body, headers=auth(token))
        assert response.status_code == 403, role
    assert (await client.get("/v1/venues/ABC")).status_code == 404


async def test_negative_lists_are_versioned(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    current = await client.get("/v1/venues/NBSE/negative-list")
    assert current.status_code == 200
    assert current.json()["version"] == 1
    etag = (await client.get("/v1/venues/NBSE")).headers["ETag"]
    rules = [
        {"code": "KEYWORDS", "kind": "keywords", "values": ["船员身份信息"], "description": "航运"}
    ]
    replaced = await client.put(
        "/v1/venues/NBSE/negative-list", json={"rules": rules}, headers={**admin, "If-Match": etag}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2
    assert replaced.json()["rules"][0]["values"] == ["船员身份信息"]
    venue = (await client.get("/v1/venues/NBSE")).json()
    assert venue["negative_list_version"] == 2
    stale = await client.put(
        "/v1/venues/NBSE/negative-list", json={"rules": []}, headers={**admin, "If-Match": etag}
    )
    assert stale.status_code == 412
    versions = (await client.get("/v1/venues/NBSE/negative-list/versions")).json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert {r["code"] for r in versions[1]["rules"]} >= {"CORE_DATA", "KEYWORDS"}
    merchant = await make_merchant(session)
    token = auth(await make_key(session, Role.merchant, merchant.id))
    assert (
        await client.put("/v1/venues/NBSE/negative-list", json={"rules": []}, headers=token)
    ).status_code == 403
    bad = await client.put(
        "/v1/venues/NBSE/negative-list",
        json={"rules": [{"code": "X1", "kind": "astrology"}]},
        headers=admin,
    )
    assert bad.status_code == 422
