"""Who reads the `data_asset.*` outbox events (the mechanism: app/outbox/audience.py): as
the asset at `GET /v1/data-assets/{id}`, operators, auditors and the asset's merchant (the
one the events name)."""

from __future__ import annotations

from app.outbox.audience import STAFF, Audience

AUDIENCE = Audience("GET /v1/data-assets/{id}", STAFF)
