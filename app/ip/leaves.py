"""The registry's leaves in the ledger: the `IPR` log holds every step of every data IP
registration. Registered with the ledger at start-up (`app/wiring.py`): how `shushang ledger
verify` rebuilds them from the stored steps, and who may read their contents (the
registrations' one visibility rule, `repository.visible_to`: anyone for a registration
that is public, else its merchant and staff)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.ip.entries import step_entry
from app.ip.models import IpRegistration, IpStep
from app.ip.repository import visible_to
from app.ledger import kinds
from app.ledger.models import REGISTRY_LOG

IP_STEP = "ip_step"


async def _steps(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = await session.execute(select(IpStep).where(IpStep.id.in_(ids)))
    return {row.id: step_entry(row) for row in rows.scalars()}


async def _readable_steps(
    session: AsyncSession, who: Principal | None, ids: Sequence[UUID]
) -> set[UUID]:
    query = (
        select(IpStep.id)
        .join(IpRegistration, IpRegistration.id == IpStep.registration_id)
        .where(IpStep.id.in_(ids), visible_to(who))
    )
    return set((await session.execute(query)).scalars())


def register() -> None:
    kinds.register_kind(kinds.LeafKind(IP_STEP, rebuild=_steps, readable=_readable_steps))
    kinds.register_log(REGISTRY_LOG, (IP_STEP,))
