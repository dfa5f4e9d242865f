"""Steps the system takes on its own: a listing keeps its gates for life, so whatever undoes
them suspends the product's listed listings at once, with an event saying why.

- a new product revision (`product_changed`, or `product_retired` when the revision retires
  it): the gates were met by assessments of the revision before;
- a compliance re-assessment that fails at a venue (`compliance_failed`), there only.

`products` and `assessments` do not call these: they emit `ProductRevised` and
`ComplianceFailed` (app/core/reactions.py), and `app/wiring.py` subscribes `on_product_revised`
and `on_compliance_failed` to them; they run in the emitter's transaction.

The system takes the step, not the caller whose request set it off: the listing event has
`actor_role` `system` and no key; the audit event too, and names that caller in its details.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.reactions import ComplianceFailed
from app.audit import service as audit
from app.core.context import current_request_id
from app.core.db import utcnow
from app.core.principal import Principal
from app.listings import events as listing_events
from app.listings import repository
from app.listings.models import ListingEvent
from app.listings.states import ListingStatus
from app.products.reactions import ProductRevised

SYSTEM = "system"  # the actor_role of the steps taken here

PRODUCT_CHANGED = "product_changed"
PRODUCT_RETIRED = "product_retired"
COMPLIANCE_FAILED = "compliance_failed"


async def product_revised(
    session: AsyncSession,
    cause: Principal,
    product_id: UUID,
    revision: int,
    changes: dict[str, Any],
) -> int:
    """Every new revision of a product suspends its listed listings; how many."""
    retired = changes.get("status", [None, None])[1] == "retired"
    return await suspend_listed(
        session,
        cause,
        product_id,
        PRODUCT_RETIRED if retired else PRODUCT_CHANGED,
        {"product_revision": revision, "changed": sorted(changes)},
    )


async def compliance_failed(
    session: AsyncSession,
    cause: Principal,
    product_id: UUID,
    assessment_id: UUID,
    venue_codes: list[str],
) -> int:
    """A compliance re-assessment failing at `venue_codes` suspends the listings there."""
    return await suspend_listed(
        session,
        cause,
        product_id,
        COMPLIANCE_FAILED,
        {"assessment_id": str(assessment_id)},
        venue_codes,
    )


async def on_product_revised(
    session: AsyncSession, cause: Principal, event: ProductRevised
) -> None:
    """The reaction to `ProductRevised` (wired in app/wiring.py)."""
    await product_revised(session, cause, event.product_id, event.revision, event.changes)


async def on_compliance_failed(
    session: AsyncSession, cause: Principal, event: ComplianceFailed
) -> None:
    """The reaction to `ComplianceFailed` (wired in app/wiring.py)."""
    await compliance_failed(
        session, cause, event.product_id, event.assessment_id, list(event.venue_codes)
    )


async def suspend_listed(
    session: AsyncSession,
    cause: Principal,
    product_id: UUID,
    reason: str,
    details: dict[str, Any],
    venue_codes: list[str] | None = None,
) -> int:
    """Suspend the product's listed listings (at `venue_codes`, or everywhere) as the system,
    because of a request made by `cause`; how many."""
    listings = await repository.listed_for(session, product_id, venue_codes)
    for listing in listings:
        listing.status = ListingStatus.suspended.value
        listing.updated_at = utcnow()
        await session.flush()
        await repository.add_event(
            session,
            ListingEvent(
                listing_id=listing.id,
                action="suspend",
                from_status=ListingStatus.listed.value,
                to_status=ListingStatus.suspended.value,
                reason=reason,
                automatic=True,
                actor_key_id=None,
                actor_role=SYSTEM,
                request_id=current_request_id(),
                details=details,
            ),
        )
        recorded = audit.event(
            None,
            "listing.suspend",
            "listing",
            listing.id,
            {
                "automatic": True,
                "reason": reason,
                "venue_code": listing.venue_code,
                **details,
                "caused_by": {"key_id": str(cause.key_id), "role": cause.role.value},
            },
        )
        recorded.actor_role = SYSTEM
        session.add(recorded)
        await session.flush()
        await listing_events.emit(session, listing, "suspend", reason, automatic=True)
    return len(listings)
