"""Facts about assessments that other domains react to (app/core/reactions.py, wired in
app/wiring.py): assessments emits them and imports none of the reacting domains."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class ComplianceFailed:
    """A compliance re-assessment of a product failed at `venue_codes`."""

    product_id: UUID
    assessment_id: UUID
    venue_codes: tuple[str, ...]
