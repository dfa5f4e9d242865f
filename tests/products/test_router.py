"""Products through the API: who creates and changes what, revisions, ETags, visibility."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant, make_product, product_body


async def test_merchant_creates_its_own_product(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    token = auth(await make_key(session, Role.merchant, merchant.id))
    body = product_body(
        name="杭州数据交易指数",
        schema={
            "columns": [{"name": "month", "type": "date"}, {"name": "index", "type": "decimal"}]
        },
        data_sources=[
            {
                "kind": "partner_agreement",
                "description": "交易所合作",
                "reference": "HZDEX-2025-018",
                "agreement_ends_on": "2027-12-31",
            }
        ],
    )
    response = await client.post("/v1/products", json=body, headers=token)
    assert response.status_code == 201, response.text
    product = response.json()
    assert product["merchant_id"] == str(merchant.id)
    assert product["status"] == "draft"
    assert product["revision"] == 1 and product["version"] == 1
    assert product["schema"]["columns"][0]["name"] == "month"
    assert product["data_sources"][0]["agreement_ends_on"] == "2027-12-31"
    assert response.headers["ETag"].startswith('"1.')
    again = await client.get(f"/v1/products/{product['id']}", headers=token)
    assert again.json() == product


async def test_operator_names_the_merchant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    admin = auth(await make_key(session, Role.operator))
    missing = await client.post("/v1/products", json=product_body(), headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "merchant_id"]
    made = await client.post(
        "/v1/products", json=product_body(merchant_id=str(merchant.id)), headers=admin
    )
    assert made.status_code == 201
    assert made.json()["merchant_id"] == str(merchant.id)


async def test_no_mass_assignment(client: httpx.AsyncClient, session: AsyncSession) -> None:
    mine = await make_merchant(session)
    theirs = await make_merchant(session)
    token = auth(await make_key(session, Role.merchant, mine.id))
    other = await client.post(
        "/v1/products", json=product_body(merchant_id=str(theirs.id)), headers=token
    )
    assert other.status_code == 403
    for field, value in (
        ("status", "active"),
        ("revision", 9),
        ("id", "x"),
        ("search_vector", "x"),
    ):
        response = await client.post(
            "/v1/products", json=product_body(**{field: value}), headers=token
        )
        assert response.status_code == 422, field
    for role in (Role.auditor, Role.assessor):
        reader = auth(await make_key(session, role))
        assert (
            await client.post("/v1/products", json=product_body(), headers=reader)
        ).status_code == 403


async def test_bad_products_are_422(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    token = auth(await make_key(session, Role.merchant, merchant.id))
    for bad in (
        product_body(product_type="spreadsheet"),
        product_body(domains=[]),
        product_body(domains=["space_mining"]),
        product_body(classification="core", classification_level=2),
        product_body(classification_level=5),
        product_body(data_sources=[{"kind": "stolen"}]),
        product_body(coverage_start="2025-01-01", coverage_end="2024-01-01"),
        product_body(persons_count=-1),
        product_body(tags=["x" * 51]),
        product_body(name=""),
    ):
        response = await client.post("/v1/products", json=bad, headers=token)
        assert response.status_code == 422, bad
    count = (await session.execute(text("SELECT count(*) FROM product"))).scalar_one()
    assert count == 0


async def test_every_change_is_a_numbered_revision(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    merchant = await make_merchant(session)
    token = auth(await make_key(session, Role.merchant, merchant.id))
    product = (
        await client.post("/v1/products", json=product_body(name="旧名"), headers=token)
    ).json()
    url = f"/v1/products/{product['id']}"

    renamed = await client.patch(
        url, json={"name": "新名", "tags": ["交通"]}, headers={**token, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["revision"] == 2
    activated = await client.patch(url, json={"status": "active"}, headers=token)
    assert activated.json()["revision"] == 3
    unchanged = await client.patch(url, json={"name": "新名"}, headers=token)
    assert unchanged.json()["revision"] == 3

    revisions = (await client.get(f"{url}/revisions", headers=token)).json()["items"]
    assert [r["number"] for r in revisions] == [1, 2, 3]
    assert revisions[0]["snapshot"]["name"] == "旧名"
    assert revisions[1]["changes"] == {
        "name": ["旧名", "新名"],
        "tags": [["企业", "画像"], ["交通"]],
    }
    assert revisions[1]["snapshot"]["name"] == "新名"
    assert revisions[1]["actor_role"] == "merchant"
    assert revisions[2]["changes"] == {"status": ["draft", "active"]}
    one = await client.get(f"{url}/revisions/2", headers=token)
    assert one.json() == revisions[1]
    assert (await client.get(f"{url}/revisions/9", headers=token)).status_code == 404

    stale = await client.patch(url, json={"name": "又一个"}, headers={**token, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await client.get(url, headers=token)).json()["name"] == "新名"


async def test_status_steps(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    admin = auth(await make_key(session, Role.operator))
    product = await make_product(session, merchant)
    url = f"/v1/products/{product.id}"
    assert (await client.patch(url, json={"status": "retired"}, headers=admin)).status_code == 200
    back = await client.patch(url, json={"status": "draft"}, headers=admin)
    assert back.status_code == 409
    assert back.json()["current_status"] == "retired"
    assert back.json()["allowed"] == ["active"]
    assert (await client.patch(url, json={"status": "active"}, headers=admin)).status_code == 200
    assert (await client.patch(url, json={"status": None}, headers=admin)).status_code == 422


async def test_visibility(client: httpx.AsyncClient, session: AsyncSession) -> None:
    mine = await make_merchant(session)
    theirs = await make_merchant(session)
    own_product = await make_product(session, mine)
    their_product = await make_product(session, theirs)
    token = auth(await make_key(session, Role.merchant, mine.id))

    listed = (await client.get("/v1/products", headers=token)).json()["items"]
    assert [p["id"] for p in listed] == [str(own_product.id)]
    hidden = await client.get(f"/v1/products/{their_product.id}", headers=token)
    assert hidden.status_code == 404
    assert their_product.name not in hidden.text
    assert (
        await client.get(f"/v1/products/{their_product.id}/revisions", headers=token)
    ).status_code == 404
    change = await client.patch(
        f"/v1/products/{their_product.id}", json={"name": "x"}, headers=token
    )
    assert change.status_code == 403

    # Nothing is listed yet, so anonymous callers see an empty catalog.
    assert (await client.get("/v1/products")).json()["items"] == []
    assert (await client.get(f"/v1/products/{own_product.id}")).status_code == 404

    for role in (Role.operator, Role.assessor, Role.auditor):
        reader = auth(await make_key(session, role))
        seen = (await client.get("/v1/products", headers=reader)).json()["items"]
        assert {p["id"] for p in seen} == {str(own_product.id), str(their_product.id)}, role
        assert (
            await client.get(f"/v1/products/{their_product.id}/revisions", headers=reader)
        ).status_code == 200
    auditor = auth(await make_key(session, Role.auditor))
    assert (
        await client.patch(f"/v1/products/{own_product.id}", json={}, headers=auditor)
    ).status_code == 403


async def test_revisions_cannot_be_rewritten(session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    await make_product(session, merchant)
    import pytest
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="immutable"):
        await session.execute(text("UPDATE product_revision SET number = 7"))
    await session.rollback()
