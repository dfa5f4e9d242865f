"""Who reads the `merchant.*` outbox events (the mechanism: app/outbox/audience.py).

They report a change of the whole record (`changed` names private fields, `version` is
private): for those who read the whole record at `GET /v1/merchants/{id}`, not the public
profile's, so the staff and the merchant itself (the one merchant the events name).
"""

from __future__ import annotations

from app.outbox.audience import STAFF, Audience

AUDIENCE = Audience("GET /v1/merchants/{id} (the whole record)", STAFF)
