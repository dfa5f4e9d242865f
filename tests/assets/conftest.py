"""What the data-asset tests share: a merchant keeping books (M), the seller it buys from,
another merchant (X), and keys for every role; helpers that go through the HTTP API."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, idempotent, make_key, make_merchant, make_product

DIGEST = hashlib.sha256(b"data purchase contract").hexdigest()
# The five conditions of CAS 6 第九条, as a developed asset's capitalisation states them.
MEMO = {
    "technical_feasibility": "模型已在样本上验证",
    "intention": "管理层批准投入使用",
    "economic_benefits": "降低坏账率",
    "resources": "团队与算力已落实",
    "reliable_measurement": "开发支出单独归集",
}


class Books:
    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> Books:
        self.client = client
        self.session = session
        self.merchant = await make_merchant(session, name="杭州数链科技有限公司")
        self.seller = await make_merchant(session, name="宁波港航数据服务有限公司")
        self.other = await make_merchant(session)
        self.product = await make_product(session, self.merchant)
        self.admin = auth(await make_key(session, Role.operator))
        self.key = auth(await make_key(session, Role.merchant, self.merchant.id))
        self.seller_key = auth(await make_key(session, Role.merchant, self.seller.id))
        self.other_key = auth(await make_key(session, Role.merchant, self.other.id))
        self.auditor = auth(await make_key(session, Role.auditor))
        self.assessor = auth(await make_key(session, Role.assessor))
        return self

    async def trade(
        self, amount: str, headers: dict[str, str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A trade recorded by an operator (confirmed), the merchant buying from the seller."""
        body = {
            "venue_code": "OTC",
            "on_venue": False,
            "seller_merchant_id": str(self.seller.id),
            "buyer_merchant_id": str(self.merchant.id),
            "amount": amount,
            "contract_digest": DIGEST,
            "occurred_at": "2025-02-20T10:00:00+08:00",
            **fields,
        }
        recorded = await self.client.post(
            "/v1/transactions",
            json=body,
            headers={**(headers or self.admin), "Idempotency-Key": str(uuid.uuid4())},
        )
        assert recorded.status_code == 201, recorded.text
        trade: dict[str, Any] = recorded.json()
        return trade

    async def independent_assessment(self) -> str:
        """A quality assessment of the merchant's product by an operator."""
        sample = await self.client.post(
            f"/v1/products/{self.product.id}/samples",
            files={"file": ("s.csv", "城市,数值\n杭州,1\n宁波,2\n".encode(), "text/csv")},
            headers=self.key,
        )
        assert sample.status_code == 201, sample.text
        quality = await self.client.post(
            f"/v1/products/{self.product.id}/quality-assessments", json={}, headers=self.admin
        )
        assert quality.status_code == 201, quality.text
        return str(quality.json()["id"])

    async def asset(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "name": "长三角港口集装箱吞吐量数据集",
            "asset_class": "intangible",
            "source": "purchased",
            **fields,
        }
        created = await self.client.post(
            "/v1/data-assets", json=body, headers=self.key if headers is None else headers
        )
        assert created.status_code == 201, created.text
        asset: dict[str, Any] = created.json()
        return asset

    async def cost(
        self, asset_id: str, headers: dict[str, str] | None = None, **fields: Any
    ) -> httpx.Response:
        body = {"kind": "processing", "amount": "1000.00", "incurred_on": "2025-01-05", **fields}
        return await self.client.post(
            f"/v1/data-assets/{asset_id}/costs",
            json=body,
            headers=idempotent(self.key if headers is None else headers),
        )

    async def move(
        self, asset_id: str, action: str, headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/data-assets/{asset_id}/{action}",
            json=body,
            headers=idempotent(self.key if headers is None else headers),
        )

    async def ok(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    async def capitalised(
        self, cost: str, on: str, months: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        """An asset with one cost item, capitalised on `on`."""
        asset = await self.asset(**fields)
        await self.ok(await self.cost(asset["id"], amount=cost, incurred_on=on))
        body: dict[str, Any] = {"date": on}
        if fields.get("asset_class", "intangible") == "intangible":
            body.update(
                {"useful_life_months": months}
                if months
                else {"indefinite": True, "indefinite_basis": "永久授权,无法预见受益期限"}
            )
        return await self.ok(await self.move(asset["id"], "capitalise", **body))

    async def disclosure(
        self, first: str, last: str, headers: dict[str, str] | None = None, **more: str
    ) -> httpx.Response:
        return await self.client.get(
            f"/v1/merchants/{self.merchant.id}/data-asset-disclosure",
            params={"from": first, "to": last},
            headers={**(self.key if headers is None else headers), **more},
        )

    async def count(self, table: str) -> int:
        value = (await self.session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
        await self.session.commit()  # a fresh snapshot for the next read
        return int(value)


@pytest.fixture
async def books(client: httpx.AsyncClient, session: AsyncSession) -> Books:
    return await Books().setup(client, session)
