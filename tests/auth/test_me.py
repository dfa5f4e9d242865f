"""`GET /v1/me`: who the caller's key is."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant


async def test_every_key_learns_who_it_is(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session, name="杭州数链科技有限公司")
    token = await make_key(session, Role.merchant, merchant.id, name="ERP 对接")
    me = await client.get("/v1/me", headers=auth(token))
    assert me.status_code == 200
    body = me.json()
    assert body["role"] == "merchant"
    assert body["name"] == "ERP 对接"
    assert body["merchant"] == {"id": str(merchant.id), "name": "杭州数链科技有限公司"}
    keys = await client.get("/v1/api-keys", headers=auth(await make_key(session, Role.operator)))
    assert body["key_id"] in {k["id"] for k in keys.json()["items"]}

    for role in (Role.operator, Role.assessor, Role.auditor):
        other = await client.get("/v1/me", headers=auth(await make_key(session, role, name="k")))
        assert other.json()["role"] == role.value
        assert other.json()["merchant"] is None


async def test_no_key_or_a_revoked_key_is_401(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await client.get("/v1/me")).status_code == 401
    assert (await client.get("/v1/me", headers=auth("shs_unknown"))).status_code == 401
    operator = auth(await make_key(session, Role.operator))
    token = await make_key(session, Role.auditor)
    me = (await client.get("/v1/me", headers=auth(token))).json()
    revoked = await client.delete(f"/v1/api-keys/{me['key_id']}", headers=operator)
    assert revoked.status_code == 204
    assert (await client.get("/v1/me", headers=auth(token))).status_code == 401
