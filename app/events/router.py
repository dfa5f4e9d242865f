"""`/v1/events`: the outbox, for clients that poll instead of receiving webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.auth.dependencies import CurrentPrincipal
from app.clock import INSTANT_BOUNDS, QueryInstant
from app.deps import ReadSession
from app.errors import ValidationFailed
from app.events.models import Event
from app.events.types import is_known_pattern
from app.i18n import Text
from app.openapi_docs import errors
from app.pagination import Page, PageParams, cut, id_after, page_params
from app.replica import ReplicaAwareRoute

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
    """Events, oldest first: staff see all; a merchant the events that concern it."""
    query = select(Event).order_by(Event.id).limit(page.limit + 1)
    if not who.reads_everything():
        query = query.where(Event.merchant_ids.contains([who.merchant_id]))
    if type is not None:
        if not is_known_pattern(type):
            raise ValidationFailed.field(
                ["query", "type"], Text("is not an event type", "不是已知的事件类型")
            )
        if type.endswith("*"):
            if type != "*":
                query = query.where(Event.type.startswith(type[:-1], autoescape=True))
        else:
            query = query.where(Event.type == type)
    if since is not None:
        query = query.where(Event.created_at >= since)
    after = id_after(page)
    if after:
        query = query.where(Event.id > after)
    rows = list((await session.execute(query)).scalars())
    items, next_cursor = cut(rows, page.limit, lambda e: [str(e.id)])
    return Page[EventOut](
        items=[EventOut.model_validate(e) for e in items], next_cursor=next_cursor
    )
