"""Listings keep their gates for life: a new product revision suspends listed listings at once
(as the system), and every step back to `listed` checks the gates against the revision now."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import driver_of, utcnow
from tests.factories import make_merchant
from tests.listings.test_router import Exchange
from tests.trades.test_lane import waiting_for_locks

OLD_REVISION = ["compliance_assessment", "quality_assessment", "valuation"]


@pytest.fixture
async def ex(client: httpx.AsyncClient, session: AsyncSession) -> Exchange:
    return await Exchange(client, session).setup()


async def listed(ex: Exchange, product_id: str, venue: str = "HZDEX") -> str:
    listing_id = await ex.listing(product_id, venue)
    assert (await ex.step(listing_id, "submit", ex.owner)).status_code == 200
    approved = await ex.step(listing_id, "approve", ex.admin)
    assert approved.json()["status"] == "listed", approved.text
    return listing_id


async def events(ex: Exchange, listing_id: str) -> list[dict[str, Any]]:
    response = await ex.client.get(f"/v1/listings/{listing_id}/events", headers=ex.admin)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def status_of(ex: Exchange, listing_id: str) -> str:
    response = await ex.client.get(f"/v1/listings/{listing_id}", headers=ex.admin)
    return str(response.json()["status"])


async def audit_of(ex: Exchange, resource_type: str, resource_id: str) -> list[dict[str, Any]]:
    response = await ex.client.get(
        "/v1/audit-events",
        params={"resource_type": resource_type, "resource_id": resource_id},
        headers=ex.admin,
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def count(session: AsyncSession, table: str) -> int:
    return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_a_merchant_cannot_change_a_listed_product_into_something_else(
    ex: Exchange,
) -> None:
    """The reproduction of issue 15: a listed product PATCHed into core data naming 国家秘密
    used to stay listed, public and tradable."""
    product_id = await ex.product(name="宁波港口集装箱吞吐数据集")
    listing_id = await listed(ex, product_id)
    public = (await ex.client.get("/v1/listings")).json()["items"]
    assert [item["id"] for item in public] == [listing_id]

    changed = await ex.client.patch(
        f"/v1/products/{product_id}",
        json={
            "classification": "core",
            "classification_level": None,
            "description": "宁波港集装箱吞吐明细,含国家秘密级别的港区布防信息。",
        },
        headers=ex.owner,
    )
    assert changed.status_code == 200, changed.text
    revision = changed.json()["revision"]

    assert await status_of(ex, listing_id) == "suspended"
    last = (await events(ex, listing_id))[-1]
    assert last["action"] == "suspend" and last["automatic"] is True
    assert (last["from_status"], last["to_status"]) == ("listed", "suspended")
    assert last["reason"] == "product_changed"
    assert (last["actor_role"], last["actor_key_id"]) == ("system", None)
    assert last["details"]["product_revision"] == revision
    assert {"classification", "description"} <= set(last["details"]["changed"])
    # The audit trail names the system as actor and the merchant's key as the cause.
    suspension = next(
        a for a in await audit_of(ex, "listing", listing_id) if a["action"] == "listing.suspend"
    )
    assert (suspension["actor_role"], suspension["actor_key_id"]) == ("system", None)
    update = next(  # the merchant's PATCH
        a
        for a in await audit_of(ex, "product", product_id)
        if a["details"].get("revision") == revision
    )
    assert suspension["details"]["caused_by"] == {
        "key_id": update["actor_key_id"],
        "role": "merchant",
    }

    # Anonymous callers no longer find it.
    assert (await ex.client.get("/v1/listings")).json()["items"] == []
    assert (await ex.client.get(f"/v1/listings/{listing_id}")).status_code == 404
    found = (await ex.client.get("/v1/products", params={"q": "集装箱"})).json()["items"]
    assert found == []
    assert (await ex.client.get(f"/v1/products/{product_id}")).status_code == 404

    # No on-venue trade on it.
    buyer = await make_merchant(ex.session)
    trade = await ex.client.post(
        "/v1/transactions",
        json={
            "venue_code": "HZDEX",
            "on_venue": True,
            "listing_id": listing_id,
            "seller_merchant_id": str(ex.merchant.id),
            "buyer_merchant_id": str(buyer.id),
            "amount": "12345.67",
            "contract_digest": hashlib.sha256(b"contract").hexdigest(),
            "occurred_at": (utcnow() - timedelta(hours=1)).isoformat(),
        },
        headers={**ex.admin, "Idempotency-Key": "after-the-change"},
    )
    assert trade.status_code == 409, trade.text
    assert trade.json()["current_status"] == "suspended"
    assert await count(ex.session, "trade") == 0

    # `resume` checks the gates again, against the revision now: the assessments are old.
    before = await events(ex, listing_id)
    refused = await ex.step(listing_id, "resume", ex.admin)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:shushang:problem:gate-not-met"
    assert refused.json()["missing"] == OLD_REVISION
    # New assessments of the new revision find what changed: still no.
    await ex.assess(product_id)
    refused = await ex.step(listing_id, "resume", ex.admin)
    assert refused.status_code == 409
    assert refused.json()["missing"] == ["compliance_assessment", "negative_list"]
    assert await status_of(ex, listing_id) == "suspended"
    assert await events(ex, listing_id) == before


async def test_every_listed_listing_is_suspended_and_only_those(ex: Exchange) -> None:
    product_id = await ex.product()
    at_hzdex, at_zjbdex = await listed(ex, product_id), await listed(ex, product_id, "ZJBDEX")
    held = await listed(ex, product_id, "WZDEX")
    await ex.step(held, "suspend", ex.admin, reason="核查数据来源")
    waiting = await ex.listing(product_id, "NBSE")
    await ex.step(waiting, "submit", ex.owner)
    held_events = await events(ex, held)

    # Any change at all is a new revision: the gates were met by the one before.
    changed = await ex.client.patch(
        f"/v1/products/{product_id}", json={"tags": ["企业", "新标签"]}, headers=ex.owner
    )
    assert changed.status_code == 200
    assert [await status_of(ex, i) for i in (at_hzdex, at_zjbdex, held, waiting)] == [
        "suspended",
        "suspended",
        "suspended",
        "submitted",
    ]
    assert await events(ex, held) == held_events  # suspended already: nothing to add
    assert (await ex.step(at_hzdex, "resume", ex.admin)).json()["missing"] == OLD_REVISION

    # Assessed again, revision by revision, it may resume.
    await ex.assess(product_id)
    resumed = await ex.step(at_hzdex, "resume", ex.admin)
    assert resumed.status_code == 200 and resumed.json()["status"] == "listed"
    assert (await events(ex, at_hzdex))[-1]["details"] == {
        "product_revision": changed.json()["revision"]
    }
    # A change that changes nothing makes no revision and suspends nothing.
    same = await ex.client.patch(
        f"/v1/products/{product_id}", json={"tags": ["企业", "新标签"]}, headers=ex.owner
    )
    assert same.json()["revision"] == changed.json()["revision"]
    assert await status_of(ex, at_hzdex) == "listed"


async def test_an_operators_change_suspends_too(ex: Exchange) -> None:
    product_id = await ex.product()
    listing_id = await listed(ex, product_id)
    await ex.client.patch(f"/v1/products/{product_id}", json={"name": "改名"}, headers=ex.admin)
    last = (await events(ex, listing_id))[-1]
    assert (last["reason"], last["actor_role"]) == ("product_changed", "system")


async def test_approve_checks_the_revision_now_not_the_one_submitted(ex: Exchange) -> None:
    """Submit with every gate met, then change the product before the operator approves."""
    product_id = await ex.product()
    listing_id = await ex.listing(product_id)
    assert (await ex.step(listing_id, "submit", ex.owner)).status_code == 200
    await ex.client.patch(
        f"/v1/products/{product_id}",
        json={"description": "含国家秘密", "classification": "core", "classification_level": None},
        headers=ex.owner,
    )
    before = await events(ex, listing_id)
    refused = await ex.step(listing_id, "approve", ex.admin)
    assert refused.status_code == 409 and refused.json()["missing"] == OLD_REVISION
    assert await status_of(ex, listing_id) == "submitted"
    assert await events(ex, listing_id) == before


async def test_a_revision_made_while_approve_runs_is_the_one_checked(
    ex: Exchange, app: FastAPI
) -> None:
    """A product change in flight (its row locked by the UPDATE that makes the revision)
    while the operator approves: approve waits for it and checks the new revision, instead
    of listing on the revision before and leaving the change unsuspended."""
    product_id = await ex.product()
    listing_id = await ex.listing(product_id)
    assert (await ex.step(listing_id, "submit", ex.owner)).status_code == 200
    async with app.state.engine.connect() as blocker:
        raw = await driver_of(blocker)
        async with raw.transaction():
            await raw.execute(
                "UPDATE product SET revision = revision + 1, description = '含国家秘密'"
                " WHERE id = $1",
                product_id,
            )
            approving = asyncio.create_task(ex.step(listing_id, "approve", ex.admin))
            await waiting_for_locks(raw, 1)
    refused = await approving
    assert refused.status_code == 409 and refused.json()["missing"] == OLD_REVISION
    assert await status_of(ex, listing_id) == "submitted"


async def test_a_suspension_in_flight_is_seen_by_a_trade_on_the_listing(
    ex: Exchange, app: FastAPI
) -> None:
    """A suspension in flight (the listing's row locked by the UPDATE that suspends it)
    while an operator records an on-venue trade on it: the trade waits and is refused, not
    recorded against the `listed` it read a moment before."""
    listing_id = await listed(ex, await ex.product())
    buyer = await make_merchant(ex.session)
    trade = {
        "venue_code": "HZDEX",
        "on_venue": True,
        "listing_id": listing_id,
        "seller_merchant_id": str(ex.merchant.id),
        "buyer_merchant_id": str(buyer.id),
        "amount": "12345.67",
        "contract_digest": hashlib.sha256(b"contract").hexdigest(),
        "occurred_at": (utcnow() - timedelta(hours=1)).isoformat(),
    }
    async with app.state.engine.connect() as blocker:
        raw = await driver_of(blocker)
        async with raw.transaction():
            await raw.execute("UPDATE listing SET status = 'suspended' WHERE id = $1", listing_id)
            recording = asyncio.create_task(
                ex.client.post(
                    "/v1/transactions",
                    json=trade,
                    headers={**ex.admin, "Idempotency-Key": "racing-the-suspension"},
                )
            )
            await waiting_for_locks(raw, 1)
    refused = await recording
    assert refused.status_code == 409, refused.text
    assert refused.json()["current_status"] == "suspended"
    assert await count(ex.session, "trade") == 0
