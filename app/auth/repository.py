"""Queries on API keys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiKey


async def by_hash(session: AsyncSession, token_hash: bytes) -> ApiKey | None:
    result = await session.execute(select(ApiKey).where(ApiKey.token_hash == token_hash))
    return result.scalar_one_or_none()


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
