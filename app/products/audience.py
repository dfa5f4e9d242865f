"""Who reads the `product.*` outbox events (the mechanism: app/outbox/audience.py).

They report revisions (`revision`, `changed`): for those who read
`GET /v1/products/{id}/revisions`, the roles that read everything and the product's
merchant (the one the events name), though the product itself may be public.
"""

from __future__ import annotations

from app.outbox.audience import READS_EVERYTHING, Audience

AUDIENCE = Audience("GET /v1/products/{id}/revisions", READS_EVERYTHING)
