"""Who reads the `assessment.*` outbox events (the mechanism: app/outbox/audience.py):
as the assessment itself, the roles that read everything and the product's merchant (the
one the events name)."""

from __future__ import annotations

from app.outbox.audience import READS_EVERYTHING, Audience

AUDIENCE = Audience("GET /v1/products/{id}/…-assessments/{id}", READS_EVERYTHING)
