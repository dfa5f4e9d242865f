"""`/v1/webhooks`: subscriptions (an operator's get every event; a merchant's its own), their
deliveries, and replaying one."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Response, status
from sqlalchemy import select

from app.core.etags import set_etag
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.outbox.models import OutboxEvent
from app.web.deps import AppSettings, Session
from app.web.openapi_docs import errors
from app.webhooks import service
from app.webhooks.auth import WebhooksRead, WebhooksWrite
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 422),
)
async def create_webhook(
    data: WebhookCreate,
    session: Session,
    who: WebhooksWrite,
    settings: AppSettings,
    response: Response,
) -> WebhookCreated:
    """Subscribe a URL to event types (`["*"]`: all). The `secret` (`whsec_…`) is shown
    only in this answer. A URL whose host resolves to any address that is not public
    (loopback, private, carrier-grade NAT, link-local, cloud metadata, multicast, reserved,
    or an IPv6 form carrying one) is 422, naming the address; loopback, private and
    carrier-grade NAT ones are admitted with `SHUSHANG_WEBHOOKS_ALLOW_PRIVATE_URLS=true`."""
    subscription = await service.create(session, who, data, settings)
    set_etag(response, subscription.version)
    response.headers["Location"] = f"/v1/webhooks/{subscription.id}"
    return WebhookCreated(
        **WebhookOut.model_validate(subscription).model_dump(), secret=subscription.secret
    )


@router.get("", response_model=Page[WebhookOut], responses=errors(401, 403, 422))
async def list_webhooks(
    session: Session, who: WebhooksRead, page: Annotated[PageParams, Depends(page_params)]
) -> Page[WebhookOut]:
    """Subscriptions: a merchant's own; operators and auditors all."""
    rows = await service.list_page(session, who, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda s: [str(s.id)])
    return Page[WebhookOut](
        items=[WebhookOut.model_validate(s) for s in items], next_cursor=next_cursor
    )


@router.get("/{webhook_id}", response_model=WebhookOut, responses=errors(401, 403, 404, 422))
async def get_webhook(
    webhook_id: UUID, session: Session, who: WebhooksRead, response: Response
) -> WebhookOut:
    subscription = await service.get_visible(session, who, webhook_id)
    set_etag(response, subscription.version)
    return WebhookOut.model_validate(subscription)


@router.patch("/{webhook_id}", response_model=WebhookOut, responses=errors(401, 403, 404, 412, 422))
async def update_webhook(
    webhook_id: UUID,
    data: WebhookUpdate,
    session: Session,
    who: WebhooksWrite,
    settings: AppSettings,
    response: Response,
    if_match: Annotated[str | None, Header(description="The subscription's ETag.")] = None,
) -> WebhookOut:
    """Change the URL, the event types or the description; `enabled: true` re-enables a
    disabled subscription, and what waited is sent, in order."""
    subscription = await service.update_subscription(
        session, who, webhook_id, data, if_match, settings
    )
    set_etag(response, subscription.version)
    return WebhookOut.model_validate(subscription)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 403, 404, 422),
)
async def delete_webhook(webhook_id: UUID, session: Session, who: WebhooksWrite) -> Response:
    """Unsubscribe; nothing more is sent. Its delivery log is kept."""
    await service.delete(session, who, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _delivery_out(session: Session, delivery: WebhookDelivery) -> DeliveryOut:
    event = await session.get(OutboxEvent, delivery.event_id)
    assert event is not None
    attempts = await session.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.id)
    )
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=event.type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        attempt_log=[AttemptOut.model_validate(a) for a in attempts.scalars()],
    )


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    responses=errors(401, 403, 404, 422),
)
async def list_deliveries(
    webhook_id: UUID,
    session: Session,
    who: WebhooksRead,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[DeliveryOut]:
    """Deliveries, oldest event first, each with its attempts: when, status code, latency."""
    subscription = await service.get_visible(session, who, webhook_id)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.event_id)
        .limit(page.limit + 1)
    )
    after = id_after(page)
    if after:
        query = query.where(WebhookDelivery.event_id > after)
    rows = list((await session.execute(query)).scalars())
    items, next_cursor = cut(rows, page.limit, lambda d: [str(d.event_id)])
    return Page[DeliveryOut](
        items=[await _delivery_out(session, d) for d in items], next_cursor=next_cursor
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(401, 403, 404, 422),
)
async def retry_delivery(
    webhook_id: UUID, delivery_id: UUID, session: Session, who: WebhooksWrite
) -> DeliveryOut:
    """Send a delivery again (after a fix on the receiving side), with a new retry window."""
    delivery = await service.retry(session, who, webhook_id, delivery_id)
    return await _delivery_out(session, delivery)
