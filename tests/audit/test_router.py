"""The audit trail: one event per change, with the key, role and request id; append-only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant, merchant_body


async def test_every_change_is_audited(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin_token = await make_key(session, Role.operator, name="admin")
    admin = auth(admin_token)
    created = await client.post(
        "/v1/merchants", json=merchant_body(), headers={**admin, "X-Request-ID": "req-create-1"}
    )
    merchant_id = created.json()["id"]
    await client.patch(f"/v1/merchants/{merchant_id}", json={"tier": "leading"}, headers=admin)
    key = await client.post("/v1/api-keys", json={"role": "auditor", "name": "审计"}, headers=admin)
    await client.delete(f"/v1/api-keys/{key.json()['id']}", headers=admin)
    await client.post(
        "/v1/venues", json={"code": "TZDEX", "name": "台州数据交易中心"}, headers=admin
    )

    auditor = auth(await make_key(session, Role.auditor))
    response = await client.get("/v1/audit-events", headers=auditor)
    assert response.status_code == 200
    events = response.json()["items"]
    actions = [e["action"] for e in events if e["actor_role"] == "operator"]
    # Newest first.
    assert actions == [
        "venue.create",
        "api_key.revoke",
        "api_key.create",
        "merchant.update",
        "merchant.create",
    ]
    create = next(e for e in events if e["action"] == "merchant.create")
    assert create["request_id"] == "req-create-1"
    assert create["resource_type"] == "merchant"
    assert create["resource_id"] == merchant_id
    assert create["actor_key_id"]
    update = next(e for e in events if e["action"] == "merchant.update")
    assert update["details"]["changes"]["tier"] == ["growth", "leading"]
    assert admin_token not in response.text


async def test_failed_changes_leave_no_event(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    await client.post("/v1/merchants", json=merchant_body(region_code="000000"), headers=admin)
    events = (
        await client.get("/v1/audit-events", params={"action": "merchant.create"}, headers=admin)
    ).json()
    assert events["items"] == []


async def test_filters_and_paging(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = auth(await make_key(session, Role.operator))
    for _ in range(5):
        await client.post("/v1/merchants", json=merchant_body(), headers=admin)
    first = await client.get(
        "/v1/audit-events", params={"limit": 2, "action": "merchant.create"}, headers=admin
    )
    body = first.json()
    assert len(body["items"]) == 2
    assert body["next_cursor"]
    ids = [e["id"] for e in body["items"]]
    cursor = body["next_cursor"]
    while cursor:
        page = (
            await client.get(
                "/v1/audit-events",
                params={"limit": 2, "action": "merchant.create", "cursor": cursor},
                headers=admin,
            )
        ).json()
        ids += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert len(ids) == len(set(ids)) == 5
    by_type = await client.get("/v1/audit-events", params={"resource_type": "venue"}, headers=admin)
    assert by_type.json()["items"] == []
    future = await client.get(
        "/v1/audit-events", params={"since": "2999-01-01T00:00:00+08:00"}, headers=admin
    )
    assert future.json()["items"] == []


async def test_who_reads_the_trail(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    for role, merchant_id, status in (
        (Role.operator, None, 200),
        (Role.auditor, None, 200),
        (Role.assessor, None, 403),
        (Role.merchant, merchant.id, 403),
    ):
        token = auth(await make_key(session, role, merchant_id))
        assert (await client.get("/v1/audit-events", headers=token)).status_code == status, role
    assert (await client.get("/v1/audit-events")).status_code == 401


async def test_the_database_refuses_to_rewrite_history(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    await client.post("/v1/merchants", json=merchant_body(), headers=admin)
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(text("UPDATE audit_event SET action = 'nothing'"))
    await session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(text("DELETE FROM audit_event"))
    await session.rollback()


async def _refused(client: httpx.AsyncClient, reader: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get("/v1/audit-events", params={"outcome": "refused"}, headers=reader)
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()["items"]
    assert all(e["outcome"] == "refused" for e in items)
    return items


async def test_refused_writes_are_audited_with_actor_and_reason(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    auditor = auth(await make_key(session, Role.auditor))
    mine = await make_merchant(session)
    theirs = await make_merchant(session)
    merchant_token = await make_key(session, Role.merchant, merchant_id=mine.id)
    merchant = auth(merchant_token)

    # 401: no key, and a key that does not exist.
    assert (await client.post("/v1/merchants", json=merchant_body())).status_code == 401
    bogus = auth("shs_op_" + "x" * 40)
    assert (await client.post("/v1/venues", json={}, headers=bogus)).status_code == 401
    # 403: a merchant changing another merchant; an auditor writing.
    changed = await client.patch(
        f"/v1/merchants/{theirs.id}",
        json={"tier": "leading"},
        headers={**merchant, "X-Request-ID": "req-refused-1"},
    )
    assert changed.status_code == 403
    assert (
        await client.post("/v1/merchants", json=merchant_body(), headers=auditor)
    ).status_code == 403
    # 409: a duplicate USCC.
    body = merchant_body()
    assert (await client.post("/v1/merchants", json=body, headers=admin)).status_code == 201
    assert (await client.post("/v1/merchants", json=body, headers=admin)).status_code == 409
    # Reads and invalid bodies are not refusals of a write.
    assert (await client.get(f"/v1/merchants/{theirs.id}/nothing")).status_code == 404
    assert (await client.post("/v1/merchants", json={}, headers=admin)).status_code == 422

    refused = await _refused(client, auditor)
    assert [e["details"]["status"] for e in refused] == [409, 403, 403, 401, 401]  # type: ignore[index]
    duplicate, by_auditor, by_merchant, bogus_key, anonymous = refused
    assert by_merchant["actor_role"] == "merchant"
    assert by_merchant["actor_merchant_id"] == str(mine.id)
    assert by_merchant["request_id"] == "req-refused-1"
    assert by_merchant["resource_type"] == "merchants"
    assert by_merchant["resource_id"] == str(theirs.id)
    assert by_merchant["action"] == "PATCH /v1/merchants/{merchant_id}"
    assert by_merchant["details"]["problem"] == "urn:shushang:problem:forbidden"  # type: ignore[index]
    assert by_merchant["details"]["reason"]  # type: ignore[index]
    assert by_auditor["actor_role"] == "auditor"
    assert duplicate["actor_role"] == "operator"
    assert anonymous["actor_key_id"] is None and bogus_key["actor_key_id"] is None
    assert merchant_token not in str(refused)
    # Successful changes are still told apart.
    succeeded = await client.get(
        "/v1/audit-events", params={"outcome": "succeeded"}, headers=auditor
    )
    items = succeeded.json()["items"]
    assert [e["action"] for e in items if e["actor_role"] == "operator"] == ["merchant.create"]
    # The merchant itself changed nothing.
    assert (await client.get(f"/v1/merchants/{theirs.id}", headers=admin)).json()["tier"] != (
        "leading"
    )


async def test_a_refused_trade_through_the_lane_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    auditor = auth(await make_key(session, Role.auditor))
    seller = await make_merchant(session)
    buyer = await make_merchant(session)
    other = auth(await make_key(session, Role.merchant, merchant_id=buyer.id))
    trade = {
        "venue_code": "OTC",
        "seller_merchant_id": str(seller.id),
        "buyer_merchant_id": str(buyer.id),
        "amount": "100.00",
        "on_venue": False,
        "contract_digest": "a" * 64,
        "occurred_at": "2026-11-01T10:00:00+08:00",
    }
    refused = await client.post(
        "/v1/transactions", json=trade, headers={**other, "Idempotency-Key": "k-1"}
    )
    assert refused.status_code == 403
    [event] = await _refused(client, auditor)
    assert event["action"] == "POST /v1/transactions"
    assert event["actor_merchant_id"] == str(buyer.id)
    assert event["details"]["status"] == 403  # type: ignore[index]
