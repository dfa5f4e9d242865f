"""Core data (核心数据) suspends a certificate: products reclassified core have their
certificates in force `suspended` by the system; the operator reinstates after review."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict
from app.core.i18n import Text
from app.core.principal import Principal
from app.ip import repository
from app.ip.models import IpRegistration
from app.ip.states import Action, IpStatus
from app.ip.steps import done, locked
from app.products import repository as product_rows

CORE_DATA = "core_data"  # the suspension reason of a product reclassified core data


async def suspend_core_data(session: AsyncSession, cause: Principal, product_id: UUID) -> int:
    """The product became core data (核心数据): its certificates in force are `suspended`
    (reason `core_data`) until the operator reinstates them after review; how many. The
    system takes the step (no key on the leaf); the audit names the caller who set it off."""
    held = await repository.held_for_product(session, product_id)
    now = utcnow()
    for registration in held:
        registration.suspension_reason = CORE_DATA
        details = {"reason": CORE_DATA, "cause_key_id": str(cause.key_id)}
        await done(
            session, None, registration, Action.suspend, IpStatus.registered, details, now,
            IpStatus.suspended,
        )  # fmt: skip
    return len(held)


async def reinstate(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    reason: str | None,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The operator, after review, lifts a suspension: 409 while the product is still core
    data (reclassify it first). Reclassifying alone never reinstates."""
    registration, before, _ = await locked(
        session, who, registration_id, Action.reinstate, if_match, settings
    )
    product = await product_rows.get(session, registration.product_id)
    if product is not None and product.classification == "core":
        raise Conflict(
            Text(
                "The product is still classified core data: reclassify it before reinstating.",
                "该产品仍为核心数据:须先变更分级再恢复登记。",
            ),
            product_id=str(product.id),
        )
    now = utcnow()
    details = {"reason": reason, "suspension_reason": registration.suspension_reason}
    registration.suspension_reason = None
    return await done(
        session, who, registration, Action.reinstate, before, details, now, IpStatus.registered
    )
