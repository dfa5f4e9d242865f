"""`GET /v1/audit-events`: the audit trail, for auditors and operators."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from app.audit import repository
from app.audit.repository import AuditFilter
from app.audit.schemas import AuditEventOut, AuditOutcome
from app.core.clock import INSTANT_BOUNDS, QueryInstant
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.web.auth import StaffRead
from app.web.deps import ReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/audit-events", tags=["audit"], route_class=ReplicaAwareRoute)


@router.get("", response_model=Page[AuditEventOut], responses=errors(400, 401, 403, 422))
async def list_audit_events(
    session: ReadSession,
    who: StaffRead,
    page: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=64, examples=["merchant.create"])] = None,
    resource_type: Annotated[str | None, Query(max_length=32)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_key_id: UUID | None = None,
    actor_role: Annotated[str | None, Query(max_length=16)] = None,
    request_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[
        QueryInstant | None, Query(description=f"created_at ≥ since; {INSTANT_BOUNDS}")
    ] = None,
    until: Annotated[
        QueryInstant | None, Query(description=f"created_at < until; {INSTANT_BOUNDS}")
    ] = None,
    outcome: Annotated[
        AuditOutcome | None, Query(description="`refused`: only the writes that were refused.")
    ] = None,
) -> Page[AuditEventOut]:
    """Every recorded change, newest first, with the key, role and request that made it; and
    every refused write (401, 403, 409 on a mutating request) with its reason."""
    where = AuditFilter(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_key_id=actor_key_id,
        actor_role=actor_role,
        request_id=request_id,
        since=since,
        until=until,
        outcome=outcome.value if outcome else None,
    )
    rows = await repository.list_page(session, where, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda e: [str(e.id)])
    return Page[AuditEventOut](
        items=[AuditEventOut.model_validate(e) for e in items],
        next_cursor=next_cursor,
    )
