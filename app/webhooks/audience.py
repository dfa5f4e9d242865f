"""Who reads the `webhook.*` outbox events (the mechanism: app/outbox/audience.py): as the
subscription at `GET /v1/webhooks/{id}`, operators, auditors and the subscription's
merchant (the one the events name)."""

from __future__ import annotations

from app.outbox.audience import STAFF, Audience

AUDIENCE = Audience("GET /v1/webhooks/{id}", STAFF)
