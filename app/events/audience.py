"""Who reads which event (DOMAIN.md "Events"): the one table, by group of `types.py`.

An event is visible exactly to the callers who may read its noun, and shows them what the
noun's own endpoint shows. Each group names that endpoint and its rule:

- in full, to the roles `full` and to the merchants the event names (`Event.merchant_ids`:
  a trade's parties; the merchant whose asset, listing, product, registration or
  subscription it is, or the merchant itself; the emitters name exactly those, who read the
  noun in full);
- to anyone else only through `others` (a condition on the event, for the caller: the
  listing or registration is visible to it), with the `redacted` keys of `data` null;
  without `others`, to nobody else.

Decisions where a noun has two readings:
- `merchant.*` reports a change of the whole record (`changed` names private fields,
  `version` is private): for those who read the whole record, not the public profile's.
- `product.*` reports revisions (`revision`, `changed`): for those who read
  `/v1/products/{id}/revisions` (the owner and the roles that read everything), though the
  product itself may be public.
- `/v1/events` needs a key: an anonymous caller reads public nouns at their own endpoints.

Webhooks deliver the same events (app/events/service.py `_EMIT`): an operator's
subscription every event (operators are in every group's `full`, checked below), a
merchant's the events that name its merchant, which by this table it reads in full; so a
subscription never receives what its owner could not read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Uuid, case, cast, exists, false, func, or_, true

from app.core.principal import Principal
from app.core.roles import Role
from app.events.models import Event
from app.events.types import EVENT_TYPES
from app.ip import repository as registrations
from app.ip.models import IpRegistration
from app.listings import repository as listings
from app.listings.models import Listing

STAFF = frozenset({Role.operator, Role.auditor})
READS_EVERYTHING = STAFF | {Role.assessor}


def _listing(who: Principal) -> ColumnElement[bool]:
    """The listing is visible to `who` (listed, or its own; assessors every one)."""
    return exists().where(Listing.id == cast(Event.subject_id, Uuid), listings.visible_to(who))


def _registration(who: Principal) -> ColumnElement[bool]:
    """The registration is visible to `who` (under notice or certified, or its own)."""
    return exists().where(
        IpRegistration.id == cast(Event.subject_id, Uuid), registrations.visible_to(who)
    )


def _certificate(who: Principal) -> ColumnElement[bool]:
    """The certificate is public, as `/v1/certificates/{number}` shows it to anyone."""
    return exists().where(
        IpRegistration.certificate_number == Event.subject_id, registrations.visible_to(None)
    )


@dataclass(frozen=True)
class Audience:
    """Who reads a group's events (see the module's docstring)."""

    endpoint: str  # whose rule this is
    full: frozenset[Role]
    others: Callable[[Principal], ColumnElement[bool]] | None = None
    redacted: tuple[str, ...] = ()


AUDIENCES: dict[str, Audience] = {
    "merchant": Audience("GET /v1/merchants/{id} (the whole record)", STAFF),
    "product": Audience("GET /v1/products/{id}/revisions", READS_EVERYTHING),
    "assessment": Audience("GET /v1/products/{id}/…-assessments/{id}", READS_EVERYTHING),
    # Listing events endpoint: `reason` (an internal suspension reason, a rejection's
    # grounds) is for staff and the listing's merchant only.
    "listing": Audience("GET /v1/listings/{id}/events", STAFF, _listing, ("reason",)),
    "trade": Audience("GET /v1/transactions/{id}", STAFF),
    "ip_registration": Audience("GET /v1/ip-registrations/{id}", READS_EVERYTHING, _registration),
    "certificate": Audience("GET /v1/certificates/{number}", READS_EVERYTHING, _certificate),
    "data_asset": Audience("GET /v1/data-assets/{id}", STAFF),
    "webhook": Audience("GET /v1/webhooks/{id}", STAFF),
}
assert AUDIENCES.keys() == EVENT_TYPES.keys(), "every group of events has its audience"
assert all(Role.operator in a.full for a in AUDIENCES.values()), "webhooks rely on it"


def group_of(event_type: str) -> str:
    return event_type.partition(".")[0]


def visible_to(who: Principal) -> ColumnElement[bool]:
    """The events `who` may see, as a condition of the feed's query (so that paging by id
    stays exact). One CASE on the group: each noun's condition, and its cast of
    `subject_id`, is evaluated only for that noun's events."""
    if all(who.role in audience.full for audience in AUDIENCES.values()):
        return true()  # operators and auditors: no condition at all
    conditions = {group: _condition(audience, who) for group, audience in AUDIENCES.items()}
    return case(conditions, value=func.split_part(Event.type, ".", 1), else_=false())


def _condition(audience: Audience, who: Principal) -> ColumnElement[bool]:
    if who.role in audience.full:
        return true()
    seen: list[ColumnElement[bool]] = []
    if who.role is Role.merchant and who.merchant_id is not None:
        seen.append(Event.merchant_ids.contains([who.merchant_id]))
    if audience.others is not None:
        seen.append(audience.others(who))
    return or_(*seen) if seen else false()


def reads_in_full(who: Principal, event: Event) -> bool:
    audience = AUDIENCES[group_of(event.type)]
    return who.role in audience.full or (
        who.role is Role.merchant and who.merchant_id in event.merchant_ids
    )


def shown(who: Principal, event: Event) -> dict[str, Any]:
    """The event's `data` as `who` may read it (an event `visible_to` it)."""
    if reads_in_full(who, event):
        return event.data
    redacted = AUDIENCES[group_of(event.type)].redacted
    return {key: None if key in redacted else value for key, value in event.data.items()}
