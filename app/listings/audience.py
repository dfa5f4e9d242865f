"""Who reads the `listing.*` outbox events (the mechanism: app/outbox/audience.py): as
`GET /v1/listings/{id}/events` shows the listing's history, whoever sees the listing now
(`repository.visible_to`: listed, or its own; the reading roles every one), with `reason`
(an internal suspension reason, a rejection's grounds) for the staff and the listing's
merchant only (the one the events name)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Uuid, cast, exists

from app.core.principal import Principal
from app.listings import repository
from app.listings.models import Listing
from app.outbox.audience import STAFF, Audience


def _sees_listing(who: Principal, subject_id: ColumnElement[str]) -> ColumnElement[bool]:
    """The listing `subject_id` is visible to `who`."""
    return exists().where(Listing.id == cast(subject_id, Uuid), repository.visible_to(who))


AUDIENCE = Audience("GET /v1/listings/{id}/events", STAFF, _sees_listing, ("reason",))
