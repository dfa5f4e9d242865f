"""Events and webhooks, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from app.core.roles import Role
from app.outbox import service as outbox
from tests.factories import auth, idempotent, make_key, make_merchant, product_body
from tests.webhooks.conftest import Hooks, make_due


async def test_private_urls_are_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = auth(await make_key(session, Role.operator))
    for url, why in (
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/hook", "::1"),
        ("http://localhost/hook", "loopback"),
        ("ftp://example.cn/hook", "http or https"),
        ("http://user:pw@example.cn/hook", "credentials"),
    ):
        refused = await client.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin
        )
        assert refused.status_code == 422, (url, refused.text)
        assert why in refused.json()["errors"][0]["msg"], refused.text
    unknown = await client.post(
        "/v1/webhooks",
        json={"url": "https://example.cn/h", "event_types": ["listing.teleported"]},
        headers=admin,
    )
    assert unknown.status_code == 422 and "listing.teleported" in unknown.text


async def test_events_are_kept_and_shown_to_whom_they_concern(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    mine = await make_merchant(session)
    theirs = await make_merchant(session)
    my_key = auth(await make_key(session, Role.merchant, mine.id))
    for merchant, key in ((mine, my_key), (theirs, admin)):
        body = product_body(merchant_id=str(merchant.id))
        made = await client.post("/v1/products", json=body, headers=key)
        assert made.status_code == 201, made.text

    everything = (await client.get("/v1/events", headers=admin)).json()["items"]
    assert [e["type"] for e in everything] == ["product.created", "product.created"]
    seen = (await client.get("/v1/events", headers=my_key)).json()["items"]
    assert len(seen) == 1 and seen[0]["data"]["name"] == (await client.get(
        f"/v1/products/{seen[0]['subject_id']}", headers=my_key
    )).json()["name"]  # fmt: skip
    grouped = await client.get("/v1/events", params={"type": "product.*"}, headers=admin)
    assert len(grouped.json()["items"]) == 2
    later = await client.get("/v1/events", params={"since": "2999-01-01T00:00:00Z"}, headers=admin)
    assert later.json()["items"] == []
    assert (
        await client.get("/v1/events", params={"type": "nope"}, headers=admin)
    ).status_code == 422
    assert (await client.get("/v1/events")).status_code == 401
    paged = await client.get("/v1/events", params={"limit": 1}, headers=admin)
    rest = await client.get(
        "/v1/events", params={"limit": 1, "cursor": paged.json()["next_cursor"]}, headers=admin
    )
    assert rest.json()["items"][0]["id"] == everything[1]["id"]


async def test_no_event_for_a_change_that_rolled_back(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    admin = auth(await make_key(session, Role.operator))
    merchant = await make_merchant(session)
    stale = await client.patch(
        f"/v1/merchants/{merchant.id}",
        json={"contact_email": "new@example.cn"},
        headers={**admin, "If-Match": '"9"'},
    )
    assert stale.status_code == 412
    async with app.state.sessionmaker() as other:
        await other.execute(text("SELECT 1"))  # begin
        await outbox.emit(other, "merchant.updated", "merchant", merchant.id, [merchant.id], {})
        await other.rollback()
    assert (await client.get("/v1/events", headers=admin)).json()["items"] == []


async def test_deliveries_are_signed_and_in_order(world: Hooks, session: AsyncSession) -> None:
    hooks, receiver = world.api, world.receiver
    mine = await make_merchant(session)
    theirs = await make_merchant(session)
    my_key = auth(await make_key(session, Role.merchant, mine.id))
    admin = auth(await make_key(session, Role.operator))
    created = await hooks.post(
        "/v1/webhooks",
        json={"url": receiver.url, "event_types": ["product.*"], "description": "产品变动"},
        headers=my_key,
    )
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert subscription["secret"].startswith("whsec_")
    assert (
        "secret"
        not in (await hooks.get(f"/v1/webhooks/{subscription['id']}", headers=my_key)).json()
    )

    names = [f"订阅测试产品{n}" for n in range(3)]
    for name in names:
        made = await hooks.post("/v1/products", json=product_body(name=name), headers=my_key)
        assert made.status_code == 201
    await hooks.post(  # another merchant's product: not for this subscription
        "/v1/products", json=product_body(merchant_id=str(theirs.id)), headers=admin
    )
    await hooks.patch(  # a merchant event: not subscribed
        f"/v1/merchants/{mine.id}", json={"contact_email": "x@example.cn"}, headers=my_key
    )
    for _ in range(3):  # one delivery per round per subscription: order is kept
        assert await world.deliver() == 1
    assert await world.deliver() == 0

    verifier = Webhook(subscription["secret"])
    bodies = []
    for headers, body in receiver.received:
        bodies.append(verifier.verify(body, headers))  # raises if the signature is wrong
    assert [b["data"]["name"] for b in bodies] == names
    assert {b["type"] for b in bodies} == {"product.created"}
    assert receiver.received[0][0]["webhook-id"] == bodies[0]["id"]
    forged = Webhook("whsec_" + "A" * 43)
    with pytest.raises(Exception, match="signature"):
        forged.verify(receiver.received[0][1], receiver.received[0][0])

    log = await world.log(subscription["id"], my_key)
    assert [d["status"] for d in log] == ["succeeded"] * 3
    assert log[0]["attempt_log"][0]["status_code"] == 200
    assert log[0]["attempt_log"][0]["latency_ms"] >= 0


async def test_a_failed_attempt_is_retried_and_holds_back_later_events(
    world: Hooks, session: AsyncSession
) -> None:
    hooks, receiver = world.api, world.receiver
    admin = auth(await make_key(session, Role.operator))
    subscription = await world.subscribe(["merchant.*"], admin)
    receiver.statuses = [500]
    first = await make_merchant(session)
    await hooks.patch(
        f"/v1/merchants/{first.id}", json={"contact_email": "a@example.cn"}, headers=admin
    )
    await hooks.patch(
        f"/v1/merchants/{first.id}", json={"contact_email": "b@example.cn"}, headers=admin
    )
    assert await world.deliver() == 1  # the first answers 500
    assert await world.deliver() == 0  # its retry is not due; the next waits
    log = await world.log(subscription["id"], admin)
    head = log[0]
    assert head["status"] == "pending" and head["last_status_code"] == 500
    assert head["next_attempt_at"] > head["created_at"]
    assert log[1]["attempts"] == 0

    await make_due(session)
    assert await world.deliver() == 1
    assert await world.deliver() == 1
    changes = [b["data"]["version"] for b in receiver.bodies()]
    assert changes == [2, 2, 3]  # the first twice (500, then 200), then the second
    log = await world.log(subscription["id"], admin)
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [500, 200]
    assert [d["status"] for d in log] == ["succeeded", "succeeded"]

    again = await hooks.post(
        f"/v1/webhooks/{subscription['id']}/deliveries/{log[0]['id']}/retry",
        headers=admin,
    )
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert await world.deliver() == 1
    assert len(receiver.received) == 4


async def test_a_subscription_that_keeps_failing_is_disabled(
    world: Hooks, session: AsyncSession
) -> None:
    hooks, receiver = world.api, world.receiver
    merchant = await make_merchant(session)
    key = auth(await make_key(session, Role.merchant, merchant.id))
    subscription = await world.subscribe(["*"], key)
    receiver.statuses = [500, 502, 503]
    await hooks.patch(
        f"/v1/merchants/{merchant.id}", json={"contact_email": "c@example.cn"}, headers=key
    )
    for _ in range(3):
        assert await world.deliver() == 1
        await make_due(session)
    assert await world.deliver() == 0  # disabled: nothing is sent
    shown = (await hooks.get(f"/v1/webhooks/{subscription['id']}", headers=key)).json()
    assert shown["enabled"] is False
    assert "3 consecutive failed attempts" in shown["disabled_reason"]
    disabled = (
        await hooks.get("/v1/events", params={"type": "webhook.disabled"}, headers=key)
    ).json()
    assert disabled["items"][0]["data"]["webhook_id"] == subscription["id"]

    enabled = await hooks.patch(
        f"/v1/webhooks/{subscription['id']}", json={"enabled": True}, headers=key
    )
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert await world.deliver() == 1  # the merchant.updated, at last
    assert await world.deliver() == 1  # then webhook.disabled, in order
    assert [b["type"] for b in receiver.bodies()][-2:] == ["merchant.updated", "webhook.disabled"]


async def test_a_delivery_fails_after_the_retry_window(world: Hooks, session: AsyncSession) -> None:
    hooks, receiver = world.api, world.receiver
    admin = auth(await make_key(session, Role.operator))
    subscription = await world.subscribe(["merchant.created"], admin)
    await make_merchant(session)  # a factory merchant emits nothing: make one through the API
    from tests.factories import merchant_body

    await hooks.post("/v1/merchants", json=merchant_body(), headers=admin)
    await session.execute(
        text("UPDATE webhook_delivery SET window_starts_at = now() - interval '2 days'")
    )
    await session.commit()
    receiver.statuses = [500]
    assert await world.deliver() == 1
    log = await world.log(subscription["id"], admin)
    assert log[0]["status"] == "failed" and log[0]["next_attempt_at"] is None


async def test_webhook_roles(world: Hooks, session: AsyncSession) -> None:
    hooks, receiver = world.api, world.receiver
    one = await make_merchant(session)
    two = await make_merchant(session)
    one_key = auth(await make_key(session, Role.merchant, one.id))
    two_key = auth(await make_key(session, Role.merchant, two.id))
    auditor = auth(await make_key(session, Role.auditor))
    body = {"url": receiver.url, "event_types": ["listing.approved", "trade.*"]}
    assert (await hooks.post("/v1/webhooks", json=body, headers=auditor)).status_code == 403
    made = (await hooks.post("/v1/webhooks", json=body, headers=one_key)).json()
    path = f"/v1/webhooks/{made['id']}"
    assert made["merchant_id"] == str(one.id)
    assert made["event_types"] == ["listing.approved", "trade.*"]
    assert (await hooks.get(path, headers=two_key)).status_code == 404
    assert (await hooks.patch(path, json={"description": "x"}, headers=two_key)).status_code == 404
    assert (await hooks.get(path, headers=auditor)).status_code == 200
    assert (await hooks.get("/v1/webhooks", headers=two_key)).json()["items"] == []
    stale = await hooks.patch(
        path, json={"description": "x"}, headers={**one_key, "If-Match": '"5"'}
    )
    assert stale.status_code == 412
    assert (await hooks.delete(path, headers=two_key)).status_code == 404
    assert (await hooks.delete(path, headers=one_key)).status_code == 204
    assert (await hooks.get(path, headers=one_key)).status_code == 404


async def test_a_subscription_stops_when_its_key_is_revoked(
    world: Hooks, session: AsyncSession
) -> None:
    hooks, receiver = world.api, world.receiver
    merchant = await make_merchant(session)
    admin = auth(await make_key(session, Role.operator))
    made_key = await hooks.post(
        "/v1/api-keys",
        json={"role": "merchant", "name": "ERP", "merchant_id": str(merchant.id)},
        headers=admin,
    )
    key_id, token = made_key.json()["id"], made_key.json()["token"]
    second = auth(await make_key(session, Role.merchant, merchant.id))
    made = await world.subscribe(["product.*"], auth(token))
    kept = await world.subscribe(["product.*"], second)

    assert (await hooks.delete(f"/v1/api-keys/{key_id}", headers=admin)).status_code == 204
    stopped = (await hooks.get(f"/v1/webhooks/{made['id']}", headers=second)).json()
    assert stopped["enabled"] is False
    assert "revoked" in stopped["disabled_reason"]
    # Nothing more is queued or sent for it; the other key's subscription goes on.
    created = await hooks.post("/v1/products", json=product_body(), headers=second)
    assert created.status_code == 201
    await world.deliver()
    assert [b["type"] for b in receiver.bodies()] == ["product.created"]
    assert len(await world.log(made["id"], second)) == 0
    assert len(await world.log(kept["id"], second)) == 1
    # No one brings it back: not the merchant's other key, not an operator.
    for key in (second, admin):
        again = await hooks.patch(f"/v1/webhooks/{made['id']}", json={"enabled": True}, headers=key)
        assert again.status_code == 409, again.text
    still = (await hooks.get(f"/v1/webhooks/{made['id']}", headers=second)).json()
    assert still["enabled"] is False
    audited = await hooks.get("/v1/audit-events", params={"resource_id": made["id"]}, headers=admin)
    assert "webhook.disable" in [e["action"] for e in audited.json()["items"]]


async def test_trades_and_certificates_emit_events(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.ip.test_router import Registry
    from tests.trades.conftest import Parties

    parties = await Parties().setup(client, session)
    trade = (await parties.record(venue_code="OTC")).json()
    await client.post(
        f"/v1/transactions/{trade['id']}/events",
        json={"type": "delivered"},
        headers=idempotent(parties.admin),
    )
    for key in (parties.seller_key, parties.buyer_key):
        seen = (await client.get("/v1/events", params={"type": "trade.*"}, headers=key)).json()
        assert [e["type"] for e in seen["items"]] == ["trade.recorded", "trade.delivered"]
        assert seen["items"][0]["data"]["leaf_index"] == trade["leaf_index"]

    registry = await Registry().setup(client, session)
    certificate = await registry.registered()
    granted = (
        await client.get(
            "/v1/events", params={"type": "certificate.granted"}, headers=registry.holder_key
        )
    ).json()["items"]
    assert granted[0]["data"]["certificate_number"] == certificate["certificate_number"]
    steps = (
        await client.get(
            "/v1/events", params={"type": "ip_registration.*"}, headers=registry.holder_key
        )
    ).json()["items"]
    assert [e["type"] for e in steps] == [
        "ip_registration.submitted", "ip_registration.accepted", "ip_registration.granted"
    ]  # fmt: skip
    # Another merchant reads the certified registration as anyone may (GET
    # /v1/ip-registrations/{id}, /v1/certificates/{number}), so its events too; no trade's.
    outsider = (await client.get("/v1/events", headers=registry.other_key)).json()["items"]
    assert [e["type"] for e in outsider] == [
        "ip_registration.submitted", "ip_registration.accepted", "ip_registration.granted",
        "certificate.granted",
    ]  # fmt: skip
    assert {e["subject_id"] for e in outsider} == {
        certificate["id"],
        certificate["certificate_number"],
    }


async def test_concurrent_workers_send_each_delivery_once(
    world: Hooks, session: AsyncSession
) -> None:
    import asyncio

    admin = auth(await make_key(session, Role.operator))
    for _ in range(4):
        await world.subscribe(["merchant.created"], admin)
    from tests.factories import merchant_body

    await world.api.post("/v1/merchants", json=merchant_body(), headers=admin)
    rounds = await asyncio.gather(*(world.deliver() for _ in range(3)))
    assert sum(rounds) == 4  # as if three processes ran a round at once
    assert len(world.receiver.received) == 4
    assert len({headers["webhook-id"] for headers, _ in world.receiver.received}) == 1
