"""Queries on API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiKey
from app.core.db import Driver
from app.core.principal import Admitted, Principal
from app.core.ratelimit import Rate, retry_after
from app.core.roles import Role

_PRINCIPAL = (
    "SELECT id, role, merchant_id, name FROM api_key WHERE token_hash = $1 AND revoked_at IS NULL"
)
_PRINCIPAL_TAKING = """
SELECT k.id, k.role, k.merchant_id, k.name, t.granted, t.wait
FROM api_key AS k, LATERAL rate_limit_take('k:' || k.id, $2, $3, 1, 0) AS t
WHERE k.token_hash = $1 AND k.revoked_at IS NULL
"""
_PRINCIPALS_TAKING = """
SELECT k.id, k.role, k.merchant_id, k.name, t.granted, t.wait
FROM unnest($1::bytea[], $2::integer[]) WITH ORDINALITY AS a (token_hash, wanted, n)
LEFT JOIN LATERAL (SELECT id, role, merchant_id, name FROM api_key
                   WHERE token_hash = a.token_hash AND revoked_at IS NULL LIMIT 1) AS k ON true
LEFT JOIN LATERAL rate_limit_take('k:' || k.id, $3, $4, a.wanted, 0) AS t ON true
ORDER BY a.n
"""
# `rate_limit_take` is STRICT: for a token of no live key its bucket is NULL, and nothing is
# taken. The statements run outside any transaction (the request's session has not begun
# one yet; the committer takes before its own), so the bucket's row is locked only for the
# function's own few statements: callers of one key queue on that row only that long.


def _admitted(row: Any, wanted: int = 1) -> Admitted:
    if row is None or row["id"] is None:
        return Admitted(None, 0)
    principal = Principal(
        key_id=row["id"], role=Role(row["role"]), merchant_id=row["merchant_id"], name=row["name"]
    )
    granted = row.get("granted", wanted)
    if granted < wanted:
        return Admitted(principal, granted, retry_after(row["wait"]))
    return Admitted(principal, granted)


async def principal_on(raw: Driver, token_hash: bytes, rate: Rate | None = None) -> Admitted:
    """The principal of a live key, taking one request from its shared bucket when `rate`
    is given: every request asks, so this is one plain statement on the driver, outside the
    ORM and outside any transaction, authentication and rate limit together. The HTTP layer
    calls it (app/web/auth.py, and the address limiter for a route that looks no key up)."""
    if rate is None:
        return _admitted(await raw.fetchrow(_PRINCIPAL, token_hash))
    return _admitted(await raw.fetchrow(_PRINCIPAL_TAKING, token_hash, rate.emission, rate.burst))


async def principals_taking(
    raw: Driver, token_hashes: list[bytes], wanted: list[int], rate: Rate
) -> list[Admitted]:
    """`principal_on` for a batch (the trade committer's): each token of a live key
    takes `wanted` requests from its key's bucket, or as many as it holds; one statement,
    one call of the bucket function per key, in order. The tokens must be distinct."""
    rows = await raw.fetch(_PRINCIPALS_TAKING, token_hashes, wanted, rate.emission, rate.burst)
    return [_admitted(row, n) for row, n in zip(rows, wanted, strict=True)]


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
