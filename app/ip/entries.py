"""What a registry step puts in the `IPR` log: used when recording and again by
`shushang ledger verify IPR`, which rebuilds every leaf from the stored steps."""

from __future__ import annotations

from typing import Any

from app.ip.models import IpStep
from app.ledger.sequencer import utc_text


def step_entry(step: IpStep) -> dict[str, Any]:
    return {
        "type": "ip_step",
        "step_id": str(step.id),
        "registration_id": str(step.registration_id),
        "action": step.action,
        "from": step.from_status,
        "to": step.to_status,
        "certificate_number": step.certificate_number,
        "holder_merchant_id": str(step.holder_merchant_id),
        "details": step.details,
        "recorded_at": utc_text(step.created_at),
    }
