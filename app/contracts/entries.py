"""What a negotiation step puts in the venue's log: used when recording and again by
`shushang ledger verify`, which rebuilds every leaf from the stored steps (and by the
SDK's `leaves.negotiation_step_entry` from `GET /v1/negotiations/{id}`)."""

from __future__ import annotations

from typing import Any

from app.contracts.models import Negotiation, NegotiationStep
from app.ledger.sequencer import utc_text

NEGOTIATION_STEP = "negotiation_step"


def step_entry(negotiation: Negotiation, step: NegotiationStep) -> dict[str, Any]:
    return {
        "type": NEGOTIATION_STEP,
        "step_id": str(step.id),
        "negotiation_id": str(negotiation.id),
        "listing_id": str(negotiation.listing_id),
        "consumer_merchant_id": str(negotiation.consumer_merchant_id),
        "provider_merchant_id": str(negotiation.provider_merchant_id),
        "action": step.action,
        "from": step.from_state,
        "to": step.to_state,
        "offer": step.offer,
        "agreement_sha256": step.agreement_sha256,
        "recorded_at": utc_text(step.created_at),
    }
