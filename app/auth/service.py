"""API key rules: tokens are shown once and stored hashed; a merchant key names a merchant."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth import repository
from app.auth.models import ApiKey
from app.auth.reactions import KeyRevoked
from app.auth.schemas import MeMerchant, MeOut
from app.core.db import utcnow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.reactions import emit
from app.core.roles import Role
from app.core.tokens import hash_token, new_token, shown_prefix
from app.merchants import repository as merchants

API_KEY = Text("API key", "API 密钥")


async def create(
    session: AsyncSession,
    who: Principal | None,
    role: Role,
    name: str,
    merchant_id: UUID | None,
) -> tuple[ApiKey, str]:
    """A new key and its token; `who` is None when the command line creates it."""
    if role is Role.merchant and (
        merchant_id is None or await merchants.get(session, merchant_id) is None
    ):
        raise ValidationFailed.field(
            ["body", "merchant_id"],
            Text(f"no merchant {merchant_id}", f"数商 {merchant_id} 不存在"),
        )
    token = new_token(role)
    key = ApiKey(
        name=name,
        role=role.value,
        merchant_id=merchant_id,
        token_prefix=shown_prefix(token),
        token_hash=hash_token(token),
        created_by_key_id=who.key_id if who else None,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        who,
        "api_key.create",
        "api_key",
        key.id,
        {
            "role": role.value,
            "name": name,
            "merchant_id": str(merchant_id) if merchant_id else None,
            "via": "api" if who else "cli",
        },
    )
    return key, token


async def revoke(session: AsyncSession, who: Principal, key_id: UUID) -> ApiKey:
    key = await repository.get(session, key_id)
    if key is None:
        raise NotFound.of(API_KEY, key_id)
    if key.revoked_at is None:
        await repository.revoke(session, key, utcnow())
        await audit.record(session, who, "api_key.revoke", "api_key", key.id, {"name": key.name})
        await emit(session, who, KeyRevoked(key.id))
    return key


async def me(session: AsyncSession, who: Principal) -> MeOut:
    """Who the caller's key says it is, and the name of its merchant."""
    merchant = None
    if who.merchant_id is not None:
        # A key's merchant is never deleted (the foreign key restricts it).
        name = await merchants.name_of(session, who.merchant_id)
        merchant = MeMerchant(id=who.merchant_id, name=name or "")
    return MeOut(key_id=who.key_id, role=who.role, name=who.name, merchant=merchant)
