"""Who reads the `programme.*` and `programme_claim.*` outbox events (the mechanism:
app/outbox/audience.py).

A programme is public (`GET /v1/programmes/{code}`): its events go to every caller of the
feed. A claim is read by the claiming merchant (the one merchant its events name), operators
and auditors (`GET /v1/programme-claims/{id}`)."""

from __future__ import annotations

from app.core.roles import Role
from app.outbox.audience import STAFF, Audience

PROGRAMME = Audience("GET /v1/programmes/{code} (public)", frozenset(Role))
CLAIM = Audience("GET /v1/programme-claims/{id} (the merchant, operators, auditors)", STAFF)
