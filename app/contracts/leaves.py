"""The negotiations' leaves in the ledger: each step is a leaf of the listing's venue log.
Registered with the ledger at start-up (`app/wiring.py`): how `shushang ledger verify`
rebuilds them from the stored steps, and who may read their contents (the negotiations'
one visibility rule, `repository.visible_to`: the parties, operators and auditors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts import repository
from app.contracts.entries import NEGOTIATION_STEP, step_entry
from app.ledger import kinds
from app.venues import repository as venues


async def _steps(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = await repository.steps_by_id(session, ids)
    return {step.id: step_entry(negotiation, step) for negotiation, step in rows}


async def _is_venue(session: AsyncSession, name: str) -> bool:
    return await venues.get(session, name) is not None


def register() -> None:
    kinds.register_kind(
        kinds.LeafKind(NEGOTIATION_STEP, rebuild=_steps, readable=repository.readable_steps)
    )
    kinds.register_logs(_is_venue, (NEGOTIATION_STEP,))
