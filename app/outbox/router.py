"""`/v1/events`: the outbox, for clients that poll instead of receiving webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.core.clock import INSTANT_BOUNDS, QueryInstant
from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.principal import Principal
from app.outbox import audience
from app.outbox.models import OutboxEvent
from app.outbox.types import is_known_pattern
from app.web.auth import CurrentPrincipal
from app.web.deps import ReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/events", tags=["events"], route_class=ReplicaAwareRoute)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    type: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    created_at: datetime


@router.get("", response_model=Page[EventOut], responses=errors(401, 422))
async def list_events(
    session: ReadSession,
    who: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    type: Annotated[
        str | None,
        Query(max_length=64, description="A type (`listing.approved`) or a group (`trade.*`)."),
    ] = None,
    since: Annotated[
        QueryInstant | None, Query(description=f"Events at or after this time; {INSTANT_BOUNDS}")
    ] = None,
) -> Page[EventOut]:
    """Events, oldest first: each to whoever may read its noun, as the noun's own endpoint
    shows it. Trade events to the parties, operators and auditors; data-asset, merchant and
    webhook events to their merchant, operators and auditors; product and assessment events
    to the product's merchant and the roles that read everything; listing events to
    whoever sees the listing (`reason` null unless the caller is staff or the listing's
    merchant, as `/v1/listings/{id}/events`); IP registration and certificate events to
    whoever sees the registration or certificate."""
    query = (
        select(OutboxEvent)
        .where(audience.visible_to(who))
        .order_by(OutboxEvent.id)
        .limit(page.limit + 1)
    )
    if type is not None:
        if not is_known_pattern(type):
            raise ValidationFailed.field(
                ["query", "type"], Text("is not an event type", "不是已知的事件类型")
            )
        if type.endswith("*"):
            if type != "*":
                query = query.where(OutboxEvent.type.startswith(type[:-1], autoescape=True))
        else:
            query = query.where(OutboxEvent.type == type)
    if since is not None:
        query = query.where(OutboxEvent.created_at >= since)
    after = id_after(page)
    if after:
        query = query.where(OutboxEvent.id > after)
    rows = list((await session.execute(query)).scalars())
    items, next_cursor = cut(rows, page.limit, lambda e: [str(e.id)])
    return Page[EventOut](items=[_out(e, who) for e in items], next_cursor=next_cursor)


def _out(event: OutboxEvent, who: Principal) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        data=audience.shown(who, event),
        created_at=event.created_at,
    )
