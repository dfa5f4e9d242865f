"""Queries on API keys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiKey, Role
from app.auth.principal import Principal
from app.db import driver


async def principal_by_hash(session: AsyncSession, token_hash: bytes) -> Principal | None:
    """The principal of a live key: every request asks, so this is one plain statement on
    the driver, outside the ORM and outside any transaction."""
    row = await (await driver(session)).fetchrow(
        "SELECT id, role, merchant_id, name FROM api_key"
        " WHERE token_hash = $1 AND revoked_at IS NULL",
        token_hash,
    )
    if row is None:
        return None
    return Principal(
        key_id=row["id"], role=Role(row["role"]), merchant_id=row["merchant_id"], name=row["name"]
    )


async def get(session: AsyncSession, key_id: UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def list_page(
    session: AsyncSession,
    *,
    role: str | None,
    merchant_id: UUID | None,
    include_revoked: bool,
    after: UUID | None,
    limit: int,
) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id).limit(limit + 1)
    if role:
        query = query.where(ApiKey.role == role)
    if merchant_id:
        query = query.where(ApiKey.merchant_id == merchant_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    if after:
        query = query.where(ApiKey.id > after)
    return list((await session.execute(query)).scalars())


async def revoke(session: AsyncSession, key: ApiKey, when: datetime) -> None:
    key.revoked_at = when
    await session.flush()
