"""API keys: shown once, stored hashed, revocable, and roles enforced."""

from __future__ import annotations

import hashlib

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from tests.factories import auth, make_key, make_merchant


async def test_create_list_revoke(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = auth(await make_key(session, Role.operator, name="admin"))
    merchant = await make_merchant(session)
    created = await client.post(
        "/v1/api-keys",
        json={"role": "merchant", "name": "ERP 对接", "merchant_id": str(merchant.id)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    key = created.json()
    token = key["token"]
    assert token.startswith("shs_mch_")
    assert len(token) >= 40
    assert key["token_prefix"] == token[:12]
    assert created.headers["Cache-Control"] == "no-store"

    # Only the hash is stored.
    stored = (
        await session.execute(
            text("SELECT token_hash, token_prefix FROM api_key WHERE id = :id"), {"id": key["id"]}
        )
    ).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).digest()
    dump = (await session.execute(text("SELECT row_to_json(k)::text FROM api_key k"))).scalars()
    assert all(token not in row for row in dump)

    # The token works, and is never listed again.
    assert (
        await client.get(f"/v1/merchants/{merchant.id}", headers=auth(token))
    ).status_code == 200
    listed = await client.get("/v1/api-keys", headers=admin)
    assert listed.status_code == 200
    assert token not in listed.text
    assert {k["name"] for k in listed.json()["items"]} == {"admin", "ERP 对接"}

    revoked = await client.delete(f"/v1/api-keys/{key['id']}", headers=admin)
    assert revoked.status_code == 204
    refused = await client.get(f"/v1/merchants/{merchant.id}", headers=auth(token))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.delete(f"/v1/api-keys/{key['id']}", headers=admin)).status_code == 204

    active = (await client.get("/v1/api-keys", headers=admin)).json()["items"]
    assert [k["name"] for k in active] == ["admin"]
    everything = (
        await client.get("/v1/api-keys", params={"include_revoked": True}, headers=admin)
    ).json()
    assert {k["name"] for k in everything["items"]} == {"admin", "ERP 对接"}


async def test_key_rules(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = auth(await make_key(session, Role.operator))
    merchant = await make_merchant(session)
    for bad in (
        {"role": "merchant", "name": "no merchant"},
        {"role": "auditor", "name": "x", "merchant_id": str(merchant.id)},
        {
            "role": "merchant",
            "name": "ghost",
            "merchant_id": "01a20000-0000-7000-8000-000000000000",
        },
        {"role": "superuser", "name": "x"},
        {"role": "auditor", "name": ""},
    ):
        response = await client.post("/v1/api-keys", json=bad, headers=admin)
        assert response.status_code == 422, bad
    unknown = await client.delete(
        "/v1/api-keys/01a20000-0000-7000-8000-000000000000", headers=admin
    )
    assert unknown.status_code == 404


async def test_only_operators_manage_keys(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    for role, merchant_id in (
        (Role.merchant, merchant.id),
        (Role.auditor, None),
        (Role.assessor, None),
    ):
        token = auth(await make_key(session, role, merchant_id))
        assert (await client.get("/v1/api-keys", headers=token)).status_code == 403
        created = await client.post(
            "/v1/api-keys", json={"role": "operator", "name": "x"}, headers=token
        )
        assert created.status_code == 403
    assert (await client.get("/v1/api-keys")).status_code == 401


async def test_bad_credentials_are_401_problems(client: httpx.AsyncClient) -> None:
    for header in (
        "Bearer shs_op_" + "A" * 43,  # well-formed, unknown
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ):
        response = await client.get("/v1/merchants", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401


async def test_rate_limit_per_key(settings: Settings, session: AsyncSession) -> None:
    limited: FastAPI = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    token = auth(await make_key(session, Role.auditor))
    other = auth(await make_key(session, Role.auditor))
    transport = httpx.ASGITransport(app=limited)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            statuses = [
                (await client.get("/v1/merchants", headers=token)).status_code for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            blocked = await client.get("/v1/merchants", headers=token)
            assert blocked.status_code == 429
            assert int(blocked.headers["Retry-After"]) >= 1
            assert blocked.headers["content-type"] == "application/problem+json"
            # Another key has its own allowance; health checks are never limited.
            assert (await client.get("/v1/merchants", headers=other)).status_code == 200
            assert (await client.get("/healthz", headers=token)).status_code == 200
    finally:
        await limited.state.engine.dispose()
