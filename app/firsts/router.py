"""`GET /v1/merchants/{id}/firsts`: a merchant's firsts (首登记, 首挂牌, 首交易, …), derived
from its records when read (app/firsts/service.py)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from app.firsts import service
from app.firsts.schemas import FirstOut, FirstRecord, FirstsOut
from app.web.auth import OptionalPrincipal
from app.web.deps import PublicReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/merchants", tags=["merchants"], route_class=ReplicaAwareRoute)


@router.get("/{merchant_id}/firsts", response_model=FirstsOut, responses=errors(401, 404, 422))
async def merchant_firsts(
    merchant_id: UUID, session: PublicReadSession, who: OptionalPrincipal
) -> FirstsOut:
    """The merchant's firsts as its records stand now, one per kind it has reached, in the
    policy's order: `registered` (数商首注册), `ip_registered` (首登记, first data IP
    registration granted to it), `listed` (首挂牌), `traded` (首交易, first on-venue trade
    settled, neither cancelled nor refunded: when it is, the next becomes the first),
    `valued` (首评估, first valuation by an assessor), `capitalised` (首入表),
    `certified` (首认证, first certification added while in force). Each is the earliest
    such record by time then id; `date` in Asia/Shanghai.

    Anyone reads `registered`, `ip_registered`, `listed` and `certified`; `traded`,
    `valued` and `capitalised` only the merchant itself, operators and auditors.

    A first whose record is a ledger leaf names its `log`, `leaf_index` and
    `checkpoint_size`: `GET /v1/ledgers/{log}/proofs/inclusion?index=&tree_size=` proves
    it against the log's signed checkpoint."""
    shown = await service.shown(session, who, merchant_id)
    sizes = await service.checkpoint_sizes(session, [f.log for f in shown if f.log])
    return FirstsOut(
        merchant_id=merchant_id,
        items=[
            FirstOut(
                kind=f.kind,  # type: ignore[arg-type]  # one of KINDS
                label=service.LABELS_ZH[f.kind],
                date=f.date,
                record=FirstRecord(type=f.record_type, id=f.record_id),
                log=f.log,
                leaf_index=f.leaf_index,
                checkpoint_size=sizes.get(f.log) if f.log else None,
            )
            for f in shown
        ],
    )
