"""Listing rules: who lists which product where, one live listing per venue, the steps."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.context import current_request_id
from app.core.db import utcnow
from app.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.roles import Role
from app.core.steps import check_step
from app.listings import events as listing_events
from app.listings import gates, repository
from app.listings.models import Listing, ListingEvent
from app.listings.repository import ListingFilter
from app.listings.schemas import ListingCreate
from app.listings.states import STEPS, Action, Caller, ListingStatus, allowed_for, may_take
from app.products import repository as products_repository
from app.products import service as products
from app.venues import service as venues

LISTING = Text("listing", "挂牌")


class GateNotMet(Conflict):
    slug = "gate-not-met"
    title = Text("Listing gates not met", "未满足挂牌条件")


async def create(session: AsyncSession, who: Principal, data: ListingCreate) -> Listing:
    product = await products.get_for_change(session, who, data.product_id)
    venue = await venues.get(session, data.venue_code)
    if await repository.live_for(session, product.id, venue.code) is not None:
        raise Duplicate(
            Text(
                f"The product already has a live listing at {venue.code}.",
                f"该产品在 {venue.code} 已有未终结的挂牌。",
            )
        )
    price = data.price
    listing = Listing(
        product_id=product.id,
        venue_code=venue.code,
        merchant_id=product.merchant_id,
        status=ListingStatus.draft.value,
        price_model=price.model.value,
        price_amount=Decimal(price.amount) if price.amount is not None else None,
        price_unit=price.unit.value if price.unit else None,
        trial_terms=data.trial_terms,
        licence=data.licence,
    )
    await repository.add(session, listing)
    await _event(session, who, listing, "create", None, ListingStatus.draft, None)
    await audit.record(
        session,
        who,
        "listing.create",
        "listing",
        listing.id,
        {"product_id": str(product.id), "venue_code": venue.code, "price_model": price.model.value},
    )
    await listing_events.emit(session, listing, "create")
    return listing


def caller_of(who: Principal | None, listing: Listing) -> Caller:
    """The caller as the state machine sees it (app/listings/states.py)."""
    if who is not None and who.is_operator:
        return Caller.operator
    if who is not None and who.owns_merchant(listing.merchant_id):
        return Caller.owner
    return Caller.other


def sees_internals(who: Principal | None, listing: Listing) -> bool:
    """Staff (operators, auditors) and the listing's own merchant read its events in full:
    whose key, which request, and why. Anyone else sees the steps alone."""
    return who is not None and (
        who.role in (Role.operator, Role.auditor) or who.owns_merchant(listing.merchant_id)
    )


async def get_visible(session: AsyncSession, who: Principal | None, listing_id: UUID) -> Listing:
    listing = await repository.get_visible(session, listing_id, who)
    if listing is None:
        raise NotFound.of(LISTING, listing_id)
    return listing


async def events_page(
    session: AsyncSession, who: Principal, listing_id: UUID, after: UUID | None, limit: int
) -> tuple[list[ListingEvent], bool]:
    """A page of the listing's events, and whether the caller may read them in full."""
    listing = await get_visible(session, who, listing_id)
    rows = await repository.events(session, listing_id, after, limit)
    return rows, sees_internals(who, listing)


async def list_page(
    session: AsyncSession,
    who: Principal | None,
    where: ListingFilter,
    after: UUID | None,
    limit: int,
) -> list[Listing]:
    return await repository.list_page(session, who, where, after, limit)


async def _event(
    session: AsyncSession,
    who: Principal,
    listing: Listing,
    action: str,
    before: ListingStatus | None,
    after: ListingStatus,
    reason: str | None,
    details: dict[str, object] | None = None,
) -> None:
    await repository.add_event(
        session,
        ListingEvent(
            listing_id=listing.id,
            action=action,
            from_status=before.value if before else None,
            to_status=after.value,
            reason=reason,
            actor_key_id=who.key_id,
            actor_role=who.role.value,
            request_id=current_request_id(),
            details=details or {},
        ),
    )


async def take(
    session: AsyncSession,
    who: Principal,
    listing_id: UUID,
    action: Action,
    reason: str | None,
    if_match: str | None,
) -> Listing:
    """Take one step of the state machine (app/listings/states.py)."""
    listing = await repository.get_visible(session, listing_id, who, for_update=True)
    if listing is None:
        raise NotFound.of(LISTING, listing_id)
    step = STEPS[action]
    caller = caller_of(who, listing)
    current = ListingStatus(listing.status)
    check_step(
        may=may_take(step, caller),
        refused=Text(
            f"Only an operator or the listing's merchant may {action.value} it.",
            f"仅运营方或挂牌所属数商可执行 {action.value}。",
        )
        if step.merchant_may
        else Text(
            f"Only an operator may {action.value} a listing.",
            f"仅运营方可执行 {action.value}。",
        ),
        if_match=if_match,
        version=listing.version,
        current=current,
        leaves=step.leaves,
        action=action.value,
        thing=LISTING,
        allowed=lambda: allowed_for(current, caller),
    )
    if step.needs_reason and not reason:
        raise ValidationFailed.field(
            ["body", "reason"],
            Text(f"is required to {action.value}", f"执行 {action.value} 时必填"),
        )
    details: dict[str, object] = {}
    if step.checks_gates:
        # Share-locked: a revision made while this step commits waits for it, then finds the
        # listing listed and suspends it; a revision made before is the one checked here.
        product = await products_repository.get_unchanging(session, listing.product_id)
        assert product is not None
        venue = await venues.get(session, listing.venue_code)
        missing = await gates.unmet(session, product, venue)
        if missing:
            raise GateNotMet(
                Text(
                    "Not yet: " + "; ".join(text.en for _, text in missing) + ".",
                    "尚不满足:" + ";".join(text.zh for _, text in missing) + "。",
                ),
                missing=[code for code, _ in missing],
            )
        details["product_revision"] = product.revision
    listing.status = step.reaches.value
    listing.updated_at = utcnow()
    if step.reaches is ListingStatus.listed and listing.listed_at is None:
        listing.listed_at = listing.updated_at
    await session.flush()
    await _event(session, who, listing, action.value, current, step.reaches, reason, details)
    await audit.record(
        session,
        who,
        f"listing.{action.value}",
        "listing",
        listing.id,
        {"from": current.value, "to": step.reaches.value, "reason": reason},
    )
    await listing_events.emit(session, listing, action.value, reason)
    return listing
