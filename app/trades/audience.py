"""Who reads the `trade.*` outbox events (the mechanism: app/outbox/audience.py): as the
trade at `GET /v1/transactions/{id}`, operators, auditors and the two parties (the
merchants the events name). Not the trade's own events (`TradeEvent`, its history)."""

from __future__ import annotations

from app.outbox.audience import STAFF, Audience

AUDIENCE = Audience("GET /v1/transactions/{id}", STAFF)
