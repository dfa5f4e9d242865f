"""The events a listing's steps emit (`listing.approved`, …), for its merchant and the staff."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.listings.models import Listing
from app.outbox import service as outbox

_EVENT_TYPES = {
    "create": "listing.created",
    "submit": "listing.submitted",
    "approve": "listing.approved",
    "reject": "listing.rejected",
    "suspend": "listing.suspended",
    "resume": "listing.resumed",
    "delist": "listing.delisted",
}


async def emit(
    session: AsyncSession,
    listing: Listing,
    action: str,
    reason: str | None = None,
    automatic: bool = False,
) -> None:
    """The listing's event (`listing.approved`, …), for its merchant and the staff."""
    await outbox.emit(
        session,
        _EVENT_TYPES[action],
        "listing",
        listing.id,
        [listing.merchant_id],
        {
            "listing_id": str(listing.id),
            "product_id": str(listing.product_id),
            "venue_code": listing.venue_code,
            "status": listing.status,
            "reason": reason,
            "automatic": automatic,
        },
    )
