"""The outbox knows no domain (issue 28): each group of events is read by the rule its
domain wrote (`app/<domain>/audience.py`), and the webhooks queue their deliveries in the
statement that emits (app/webhooks/fanout.py), both registered by app/wiring.py. Who reads
what through `/v1/events` and webhooks is tested through the API in tests/test_authorization.py
(`test_events_by_type_and_role`), tests/trades/test_events_by_role.py and tests/webhooks."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app import wiring
from app.assessments import audience as assessments
from app.assets import audience as assets
from app.core.principal import Principal
from app.core.roles import Role
from app.fees import audience as fees
from app.ip import audience as ip
from app.listings import audience as listings
from app.merchants import audience as merchants
from app.outbox import audience, service
from app.outbox.audience import STAFF, Audience
from app.products import audience as products
from app.programmes import audience as programmes
from app.trades import audience as trades
from app.webhooks import audience as webhooks
from app.webhooks import fanout
from tests.factories import auth, make_key, make_merchant, product_body

EXPECTED = {
    "merchant": merchants.AUDIENCE,
    "product": products.AUDIENCE,
    "assessment": assessments.AUDIENCE,
    "listing": listings.AUDIENCE,
    "trade": trades.AUDIENCE,
    "ip_registration": ip.REGISTRATION,
    "certificate": ip.CERTIFICATE,
    "data_asset": assets.AUDIENCE,
    "webhook": webhooks.AUDIENCE,
    "fee_waiver": fees.AUDIENCE,
    "programme": programmes.PROGRAMME,
    "programme_claim": programmes.CLAIM,
}


def test_each_group_is_read_by_its_domains_rule() -> None:
    wiring.register()
    assert audience.audiences() == EXPECTED
    wiring.register()  # idempotent
    assert audience.audiences() == EXPECTED
    assert all(Role.operator in rule.full for rule in EXPECTED.values())


def test_one_rule_per_group() -> None:
    """A second rule for a group, a group that does not exist, or a rule that hides events
    from operators (whose webhooks receive every event) is refused, and changes nothing."""
    for group, rule in (
        ("listing", Audience("GET /v1/listings/{id}", STAFF)),
        ("listings", listings.AUDIENCE),
        ("trade", Audience("GET /v1/transactions/{id}", frozenset({Role.auditor}))),
    ):
        with pytest.raises(ValueError, match=group):
            audience.register(group, rule)
    assert audience.audiences() == EXPECTED


def test_a_feed_without_its_rules_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A group nobody registered is a wiring forgotten: no condition is made up for it."""
    monkeypatch.setattr(audience, "_audiences", {k: v for k, v in EXPECTED.items() if k != "trade"})
    who = Principal(uuid.uuid4(), Role.merchant, uuid.uuid4(), "m")
    with pytest.raises(LookupError, match="trade"):
        audience.visible_to(who)


def test_one_statement_inserts_the_events_and_queues_their_deliveries() -> None:
    """The outbox writes only its table; the webhooks' fan-out is the statement's end, so
    emitting stays one round trip, the shape it had when the outbox queued deliveries."""
    assert service.fan_outs() == {fanout.NAME: fanout.QUEUE_DELIVERIES}
    statement = service._statement
    assert statement is not None
    assert statement.startswith("WITH e AS (INSERT INTO outbox_event ")
    assert "RETURNING id, type, merchant_ids, created_at\n)" in statement
    assert statement.endswith(fanout.QUEUE_DELIVERIES.strip())
    assert "webhook" not in statement.removesuffix(fanout.QUEUE_DELIVERIES.strip())
    with pytest.raises(ValueError, match="webhooks"):
        service.register_fan_out(fanout.NAME, "INSERT INTO elsewhere SELECT id FROM e")
    assert service.fan_outs() == {fanout.NAME: fanout.QUEUE_DELIVERIES}


async def test_emitting_before_wiring_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the fan-out, an event would be kept and its webhooks silently never queued."""
    admin = auth(await make_key(session, Role.operator))
    merchant = await make_merchant(session)
    monkeypatch.setattr(service, "_statement", None)
    async with app.state.sessionmaker() as other:
        await other.execute(text("SELECT 1"))  # begin
        with pytest.raises(LookupError, match="wiring"):
            await service.emit(
                other, "merchant.updated", "merchant", merchant.id, [merchant.id], {}
            )
        await other.rollback()
    monkeypatch.undo()
    assert (await client.get("/v1/events", headers=admin)).json()["items"] == []


async def test_the_outbox_stays_append_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Its table renamed `outbox_event` (migration 20261207_04), the trigger still guards it."""
    admin = auth(await make_key(session, Role.operator))
    made = await client.post(
        "/v1/products", json=product_body(merchant_id=str((await make_merchant(session)).id)),
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    for change in ("UPDATE outbox_event SET data = '{}'", "DELETE FROM outbox_event"):
        with pytest.raises(DBAPIError, match="outbox_event is append-only"):
            await session.execute(text(change))
        await session.rollback()
    events = (await client.get("/v1/events", headers=admin)).json()["items"]
    assert [e["type"] for e in events] == ["product.created"]
