"""What the trade tests share: two merchants, their keys, an operator's and an auditor's."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant

DIGEST = hashlib.sha256(b"contract").hexdigest()


class Parties:
    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> Parties:
        self.client = client
        self.seller = await make_merchant(session)
        self.buyer = await make_merchant(session)
        self.admin = auth(await make_key(session, Role.operator))
        self.seller_key = auth(await make_key(session, Role.merchant, self.seller.id))
        self.buyer_key = auth(await make_key(session, Role.merchant, self.buyer.id))
        self.auditor = auth(await make_key(session, Role.auditor))
        return self

    def body(self, **fields: Any) -> dict[str, Any]:
        return {
            "venue_code": "OTC",
            "on_venue": False,
            "seller_merchant_id": str(self.seller.id),
            "buyer_merchant_id": str(self.buyer.id),
            "amount": "12345.67",
            "contract_digest": DIGEST,
            "occurred_at": "2026-11-20T10:00:00+08:00",
            **fields,
        }

    async def record(
        self, headers: dict[str, str] | None = None, key: str | None = None, **fields: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/v1/transactions",
            json=self.body(**fields),
            headers={**(headers or self.admin), "Idempotency-Key": key or str(uuid.uuid4())},
        )


@pytest.fixture
async def parties(client: httpx.AsyncClient, session: AsyncSession) -> Parties:
    return await Parties().setup(client, session)
