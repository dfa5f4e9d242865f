"""The SDK never doubles money or title: every step that changes them goes with an
Idempotency-Key of its own (a fresh UUID unless the caller gives one), kept across the
SDK's retries, so an answer lost on the way is retried into the first answer replayed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from shushang_sdk import AsyncClient, Conflict, models
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import make_key, merchant_body
from tests.sdk.test_sdk import DIGEST, Flaky, sdk


class Keys:
    """Wraps the app: notes the Idempotency-Key (or None) of every POST, by path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str | None]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = dict(scope["headers"])
            key = headers.get(b"idempotency-key")
            self.seen.append((scope["path"], key.decode() if key else None))
        await self.app(scope, receive, send)

    def of(self, path: str) -> list[str | None]:
        return [key for seen, key in self.seen if seen == path]


class InFlight:
    """Wraps the app: the first request to `path` is answered 409 "still in progress"."""

    def __init__(self, app: Any, path: str, problem: str = "idempotency-in-flight") -> None:
        self.app, self.path, self.problem = app, path, problem
        self.seen = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        self.seen += 1
        if self.seen > 1:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 409,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"retry-after", b"0"),
                ],
            }
        )
        body = f'{{"type": "urn:shushang:problem:{self.problem}", "title": "x", "status": 409}}'
        await send({"type": "http.response.body", "body": body.encode()})


@pytest.fixture
async def token(session: AsyncSession) -> str:
    return await make_key(session, Role.operator)


async def capitalised(client: AsyncClient) -> models.DataAssetDetail:
    """Inventory that cost 30000.00, capitalised, as the issue's attack had it."""
    merchant = await client.merchants.create(**merchant_body())
    asset = await client.data_assets.create(
        merchant_id=merchant.id, name="港口吞吐量数据集", asset_class="inventory",
        source="purchased",
    )  # fmt: skip
    await client.data_assets.add_cost(
        asset.id, kind="processing", amount="30000.00", incurred_on="2025-01-10"
    )
    return await client.data_assets.capitalise(asset.id, date="2025-01-10")


async def test_a_lost_answer_is_retried_with_the_same_key_and_books_once(
    app: FastAPI, token: str
) -> None:
    async with sdk(app, token) as setup:
        asset = await capitalised(setup)
    path = f"/v1/data-assets/{asset.id}/dispose"
    keys = Keys(app)
    # The server disposes, and the answer is lost (503 on the way back): the SDK retries.
    async with sdk(Flaky(keys, 1, path, after=True), token) as client:
        sold = await client.data_assets.dispose(asset.id, date="2025-03-01", fraction="0.1")
    assert sold.meta.replayed and sold.cost == "27000.00"
    first, retry = keys.of(path)
    assert first is not None and first == retry
    assert uuid.UUID(first).version == 4
    async with sdk(app, token) as client:
        shown = await client.data_assets.get(asset.id)
    assert shown.cost == "27000.00"
    assert [m.type for m in shown.movements].count("dispose") == 1


async def test_each_step_has_its_own_key_and_the_callers_when_given(
    app: FastAPI, token: str
) -> None:
    keys = Keys(app)
    async with sdk(keys, token) as client:
        merchant = await client.merchants.create(**merchant_body())
        asset = await client.data_assets.create(
            merchant_id=merchant.id, name="两笔相同的成本", asset_class="intangible",
            source="purchased",
        )  # fmt: skip

        async def cost(key: str | None = None) -> models.DataAssetDetail:
            return await client.data_assets.add_cost(
                asset.id, idempotency_key=key, kind="processing", amount="100.00",
                incurred_on="2025-01-05",
            )  # fmt: skip

        await cost()
        twice = await cost()
        # Two calls are two cost items, however alike: only a retry is the same step.
        assert len(twice.cost_items) == 2 and not twice.meta.replayed
        mine = await cost("erp-cost-1")
        again = await cost("erp-cost-1")
        assert again.meta.replayed and len(again.cost_items) == len(mine.cost_items) == 3

        seller = await client.merchants.create(**merchant_body())
        buyer = await client.merchants.create(**merchant_body())
        trade = await client.transactions.record(
            venue_code="OTC", on_venue=False, seller_merchant_id=seller.id,
            buyer_merchant_id=buyer.id, amount="10.00", contract_digest=DIGEST,
            occurred_at="2026-11-20T10:00:00+08:00",
        )  # fmt: skip
        event = await client.transactions.add_event(trade.id, type="delivered")
        assert event.type == "delivered"
        read = await client.transactions.get(trade.id)
        settled = await client.transactions.add_event(
            trade.id, type="settled", version=read.meta.etag
        )
        assert settled.type == "settled"
    costs = keys.of(f"/v1/data-assets/{asset.id}/costs")
    assert len(costs) == 4 and None not in costs
    assert len(set(costs)) == 3 and costs[2] == costs[3] == "erp-cost-1"
    events = keys.of(f"/v1/transactions/{trade.id}/events")
    assert len(events) == 2 and None not in events and len(set(events)) == 2


async def test_a_step_still_in_progress_is_retried_other_conflicts_are_not(
    app: FastAPI, token: str
) -> None:
    async with sdk(app, token) as setup:
        asset = await capitalised(setup)
    path = f"/v1/data-assets/{asset.id}/write-down"
    async with sdk(InFlight(app, path), token) as client:
        written = await client.data_assets.write_down(
            asset.id, date="2025-02-28", net_realisable_value="29000.00", nrv_basis="报价"
        )
    assert written.write_down == "1000.00"
    async with sdk(InFlight(app, path, problem="conflict"), token) as client:
        with pytest.raises(Conflict):
            await client.data_assets.write_down(
                asset.id, date="2025-03-31", net_realisable_value="28000.00", nrv_basis="报价"
            )
