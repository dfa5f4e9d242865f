"""Steps the system takes on its own: a retired product, or a compliance re-assessment that
fails at a venue, suspends the product's listed listings there, with an event saying why."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.context import current_request_id
from app.db import utcnow
from app.listings import events as listing_events
from app.listings import repository
from app.listings.models import ListingEvent
from app.listings.states import ListingStatus


async def suspend_listed(
    session: AsyncSession,
    who: Principal,
    product_id: UUID,
    reason: str,
    venue_codes: list[str] | None = None,
) -> int:
    """Suspend the product's listed listings (at `venue_codes`, or everywhere); how many."""
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
                actor_key_id=who.key_id,
                actor_role=who.role.value,
                request_id=current_request_id(),
            ),
        )
        await audit.record(
            session,
            who,
            "listing.suspend",
            "listing",
            listing.id,
            {"automatic": True, "reason": reason, "venue_code": listing.venue_code},
        )
        await listing_events.emit(session, listing, "suspend", reason, automatic=True)
    return len(listings)
