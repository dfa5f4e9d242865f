"""Who reads the `fee_waiver.*` outbox events (the mechanism: app/outbox/audience.py): the
rules are public at `GET /v1/venues/{code}/fee-waivers/{id}`, so every role in full."""

from __future__ import annotations

from app.core.roles import Role
from app.outbox.audience import Audience

AUDIENCE = Audience("GET /v1/venues/{code}/fee-waivers/{id}", frozenset(Role))
