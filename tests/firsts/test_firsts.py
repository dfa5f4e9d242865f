"""A merchant's firsts (GET /v1/merchants/{id}/firsts): each appears when its record
happens, follows the records' state (a refunded first trade gives way to the next), shows
its private kinds only to the merchant, operators and auditors, and a first that is a
ledger leaf is proven included in its log's signed checkpoint by the SDK."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from shushang_sdk import AsyncClient, trust
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.roles import Role
from app.firsts import service
from tests.factories import auth, idempotent, make_key, make_merchant, make_product
from tests.ip.test_router import Registry
from tests.listings.test_router import COST, Exchange

DIGEST = hashlib.sha256(b"on-venue contract").hexdigest()
PUBLIC = ["registered", "ip_registered", "listed", "certified"]


class World:
    """Merchant M (the Exchange's) with a product listed at HZDEX, buyer B, stranger X,
    and a key for every role."""

    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> World:
        self.client, self.session = client, session
        self.ex = await Exchange(client, session).setup()
        self.m, self.owner, self.admin = self.ex.merchant, self.ex.owner, self.ex.admin
        self.buyer = await make_merchant(session, region_code="330212")
        self.buyer_key = auth(await make_key(session, Role.merchant, self.buyer.id))
        other = await make_merchant(session)
        self.stranger = auth(await make_key(session, Role.merchant, other.id))
        self.auditor = auth(await make_key(session, Role.auditor))
        return self

    async def firsts(
        self, headers: dict[str, str] | None = None, merchant_id: Any = None
    ) -> dict[str, dict[str, Any]]:
        response = await self.client.get(
            f"/v1/merchants/{merchant_id or self.m.id}/firsts",
            headers=self.admin if headers is None else headers,
        )
        assert response.status_code == 200, response.text
        return {f["kind"]: f for f in response.json()["items"]}

    async def listed(self) -> str:
        product_id = await self.ex.product()
        self.listing_id = await self.ex.listing(product_id)
        await self.ex.step(self.listing_id, "submit", self.owner)
        approved = await self.ex.step(self.listing_id, "approve", self.admin)
        assert approved.json()["status"] == "listed", approved.text
        return product_id

    async def trade(self, occurred_at: str, on_venue: bool = True) -> str:
        body: dict[str, Any] = {
            "venue_code": "HZDEX" if on_venue else "OTC",
            "on_venue": on_venue,
            "seller_merchant_id": str(self.m.id),
            "buyer_merchant_id": str(self.buyer.id),
            "amount": "5000.00",
            "contract_digest": DIGEST,
            "occurred_at": occurred_at,
        }
        if on_venue:
            body["listing_id"] = self.listing_id
        recorded = await self.client.post(
            "/v1/transactions", json=body, headers=idempotent(self.admin)
        )
        assert recorded.status_code == 201, recorded.text
        return str(recorded.json()["id"])

    async def event(self, trade_id: str, kind: str) -> None:
        added = await self.client.post(
            f"/v1/transactions/{trade_id}/events",
            json={"type": kind},
            headers=idempotent(self.admin),
        )
        assert added.status_code == 201, added.text

    async def granted(self) -> str:
        registry = Registry()
        registry.client, registry.session, registry.admin = self.client, self.session, self.admin
        registry.holder, registry.holder_key = self.m, self.owner
        registry.product = await make_product(self.session, self.m)
        return str((await registry.registered())["id"])

    async def capitalised(self) -> str:
        asset = await self.client.post(
            "/v1/data-assets",
            json={"name": "港口吞吐量数据集", "asset_class": "intangible", "source": "purchased"},
            headers=self.owner,
        )
        assert asset.status_code == 201, asset.text
        asset_id = str(asset.json()["id"])
        cost = await self.client.post(
            f"/v1/data-assets/{asset_id}/costs",
            json={"kind": "processing", "amount": "1000.00", "incurred_on": "2026-03-05"},
            headers=idempotent(self.owner),
        )
        assert cost.status_code == 201, cost.text
        moved = await self.client.post(
            f"/v1/data-assets/{asset_id}/capitalise",
            json={"date": "2026-03-05", "indefinite": True, "indefinite_basis": "无合同期限"},
            headers=idempotent(self.owner),
        )
        assert moved.status_code in (200, 201), moved.text
        return asset_id

    async def certify(self, *certifications: dict[str, Any]) -> None:
        patched = await self.client.patch(
            f"/v1/merchants/{self.m.id}",
            json={"certifications": list(certifications)},
            headers=self.admin,
        )
        assert patched.status_code == 200, patched.text


@pytest.fixture
async def world(client: httpx.AsyncClient, session: AsyncSession) -> World:
    return await World().setup(client, session)


async def test_each_first_appears_when_its_record_happens(world: World) -> None:
    firsts = await world.firsts()
    assert list(firsts) == ["registered"]
    assert firsts["registered"]["record"] == {"type": "merchant", "id": str(world.m.id)}
    assert firsts["registered"]["label"] == "数商首注册"
    assert firsts["registered"]["log"] is None

    # A self-check valuation is no 首评估; an assessor's is (with the listing gates).
    product_id = await world.ex.product(assessed=False)
    own = await world.client.post(
        f"/v1/products/{product_id}/valuations", json=COST, headers=world.owner
    )
    assert own.status_code == 201, own.text
    assert "valued" not in await world.firsts()
    await world.listed()
    firsts = await world.firsts()
    assert firsts["valued"]["record"]["type"] == "assessment"
    assert firsts["valued"]["record"]["id"] != own.json()["id"]
    assert firsts["listed"]["record"] == {"type": "listing", "id": world.listing_id}
    assert firsts["listed"]["date"] == shanghai_today().isoformat()

    registration_id = await world.granted()
    ip = (await world.firsts())["ip_registered"]
    assert ip["record"] == {"type": "ip_registration", "id": registration_id}
    assert (ip["log"], ip["leaf_index"]) == ("IPR", 2)  # submit, examine, grant
    assert ip["checkpoint_size"] == 3

    asset_id = await world.capitalised()
    capitalised = (await world.firsts())["capitalised"]
    assert capitalised["record"] == {"type": "data_asset", "id": asset_id}
    assert capitalised["date"] == "2026-03-05" and capitalised["log"] == "FIN"

    # A certification already expired when added is no 首认证; one in force is.
    expired = {"scheme": "ISO27001", "valid_until": "2024-12-31"}
    await world.certify(expired)
    assert "certified" not in await world.firsts()
    valid = (shanghai_today() + timedelta(days=365)).isoformat()
    await world.certify(expired, {"scheme": "DCMM", "level": 3, "valid_until": valid})
    certified = (await world.firsts())["certified"]
    assert certified["record"]["type"] == "certification"
    assert certified["label"] == "首认证"
    # Sending the list again with one more keeps the first where it was.
    dcmm = {"scheme": "DCMM", "level": 3, "valid_until": valid}
    await world.certify(dcmm, {"scheme": "ISO9001", "valid_until": valid})
    assert (await world.firsts())["certified"] == certified

    firsts = await world.firsts()
    assert list(firsts) == [k for k in service.KINDS if k != "traded"]


async def test_the_first_trade_follows_the_trades_state(world: World) -> None:
    await world.listed()
    cancelled = await world.trade("2026-01-05T10:00:00+08:00")
    await world.event(cancelled, "cancelled")
    off_venue = await world.trade("2026-01-06T10:00:00+08:00", on_venue=False)
    await world.event(off_venue, "settled")
    first = await world.trade("2026-02-01T01:30:00+08:00")  # 2026-01-31 in UTC
    second = await world.trade("2026-03-01T10:00:00+08:00")
    assert "traded" not in await world.firsts()  # none settled yet

    await world.event(second, "settled")
    assert (await world.firsts())["traded"]["record"]["id"] == second
    await world.event(first, "settled")
    traded = (await world.firsts())["traded"]
    assert traded["record"] == {"type": "trade", "id": first}
    assert traded["date"] == "2026-02-01"  # Asia/Shanghai
    assert traded["log"] == "HZDEX" and traded["label"] == "首交易"
    assert (await world.firsts(merchant_id=world.buyer.id))["traded"]["record"]["id"] == first

    await world.event(first, "refunded")  # stops qualifying: the next is the first
    for merchant_id in (world.m.id, world.buyer.id):
        traded = (await world.firsts(merchant_id=merchant_id))["traded"]
        assert traded["record"]["id"] == second and traded["date"] == "2026-03-01"

    # The service other read models build on says the same, by region.
    ningbo = await service.all_firsts(world.session, kinds=["traded"], region_prefixes=["3302"])
    assert [(f.merchant_id, str(f.record_id)) for f in ningbo] == [(world.buyer.id, second)]
    assert not await service.all_firsts(world.session, region_prefixes=[])


async def test_who_sees_which_firsts_and_the_leaf_verifies(
    world: World, app: FastAPI, session: AsyncSession, live_url: str
) -> None:
    await world.listed()
    trade_id = await world.trade("2026-02-01T10:00:00+08:00")
    await world.event(trade_id, "delivered")
    await world.event(trade_id, "settled")
    await world.capitalised()
    everything = ["registered", "listed", "traded", "valued", "capitalised"]
    for headers in (world.admin, world.auditor, world.owner):
        assert list(await world.firsts(headers)) == everything
    assessor = auth(await make_key(session, Role.assessor))
    for headers in ({}, world.stranger, world.buyer_key, assessor):
        assert list(await world.firsts(headers)) == ["registered", "listed"]
    assert list(await world.firsts(world.buyer_key, world.buyer.id)) == ["registered", "traded"]

    unknown = await world.client.get(f"/v1/merchants/{uuid.uuid4()}/firsts")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (await world.client.get("/v1/merchants/not-an-id/firsts")).status_code == 422

    # The auditor's tools prove the 首交易 leaf in the log's signed checkpoint.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(
        "http://shushang.test", await make_key(session, Role.auditor), transport=transport
    ) as bare:
        vkey = await bare.ledger.verifier_key("HZDEX")
    async with AsyncClient(
        "http://shushang.test",
        await make_key(session, Role.auditor),
        transport=transport,
        trusted_keys=trust(vkey),
    ) as auditor:
        shown = await auditor.merchants.firsts(world.m.id)
        [traded] = [f for f in shown.items if f.kind == "traded"]
        assert traded.log == "HZDEX" and traded.leaf_index is not None
        head = await auditor.ledger.verified_head(traded.log)
        assert head["tree_size"] == traded.checkpoint_size == 3  # the trade and two events
        entry = await auditor.ledger.verify_leaf(traded.log, traded.leaf_index, head)
        assert entry["entry"]["trade_id"] == trade_id
        await auditor.ledger.verify_transaction(trade_id, head)
        assert (await auditor.ledger.audit(traded.log)).ok

    # And `shushang-audit prove`, as a bureau's auditor runs it on what the first names.
    key = await make_key(session, Role.auditor)
    named = ["--log", "HZDEX", "--index", str(traded.leaf_index), "--public-key", vkey]
    proven = await asyncio.to_thread(_audit, live_url, key, "prove", *named, "--size", "3")
    assert proven.returncode == 0, proven.stderr
    assert json.loads(proven.stdout)["entry"]["trade_id"] == trade_id
    larger = await asyncio.to_thread(_audit, live_url, key, "prove", *named, "--size", "99")
    assert larger.returncode == 2 and "fewer than the 99" in larger.stderr, larger.stderr


def _audit(url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`shushang-audit …` as a process, with an auditor's key."""
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "sdk"),
        "SHUSHANG_URL": url,
        "SHUSHANG_API_KEY": key,
        "COLUMNS": "300",
    }
    command = [sys.executable, "-m", "shushang_sdk.audit", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
