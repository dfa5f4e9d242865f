"""A city's incentive programme (杭州市 3301) on the demo merchants' firsts, with a claim in
each state: applied, approved, rejected, paid (docs/bureau.md reads it).

Made through the programmes' service as an operator would; a second run finds the programme
by its code and adds nothing."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.principal import Principal
from app.programmes import repository
from app.programmes import service as programmes
from app.programmes.schemas import ClaimCreate, Decision, ProgrammeCreate

CODE = "HZ-FIRSTS-2026"
# Each claim's way, in order: the first merchant's stays applied, the second's approved, …
DECISIONS: list[list[Decision]] = [[], ["approve"], ["reject"], ["approve", "pay"]]


async def load(session: AsyncSession, who: Principal, merchants: list[tuple[UUID, str]]) -> int:
    """The programme and its claims, from the demo `merchants` (id, region code): how many
    claims were made now (0 when the programme exists already)."""
    if await repository.get(session, CODE) is not None:
        return 0
    today = shanghai_today()
    data = ProgrammeCreate.model_validate(
        {
            "code": CODE,
            "name": "杭州市数商“首次”激励计划",
            "issuer": "杭州市数据资源管理局",
            "region_codes": ["3301"],
            "firsts": {
                "registered": "2000.00",
                "ip_registered": "10000.00",
                "listed": "5000.00",
                "traded": "20000.00",
                "capitalised": "30000.00",
            },
            "from": "2025-01-01",
            "to": f"{today.year + 1}-12-31",
            "cap_per_merchant": "50000.00",
            "budget": "1000000.00",
        }
    )
    await programmes.create(session, who, data)
    hangzhou = [merchant_id for merchant_id, region in merchants if region.startswith("3301")]
    made = 0
    for merchant_id, steps in zip(hangzhou, DECISIONS, strict=False):
        view = await programmes.claim(
            session, who, CODE, ClaimCreate(merchant_id=merchant_id, first="registered")
        )
        for step in steps:
            await programmes.decide(session, who, view.claim.id, step, None)
        made += 1
    return made
