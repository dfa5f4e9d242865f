"""Webhook subscriptions: who may have which, safe URLs, and replaying deliveries."""

from __future__ import annotations

import base64
import secrets
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import ApiKey
from app.auth.reactions import KeyRevoked
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.roles import Role
from app.outbox import service as outbox
from app.webhooks import urls
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from app.webhooks.schemas import WebhookCreate, WebhookUpdate

WEBHOOK = Text("webhook", "Webhook 订阅")
DELIVERY = Text("webhook delivery", "Webhook 投递")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        await urls.check(url, settings.webhooks_allow_private_urls)
    except urls.UnsafeUrl as exc:
        raise ValidationFailed.field(["body", "url"], Text(str(exc), f"不可使用:{exc}")) from exc
    return url


async def create(
    session: AsyncSession, who: Principal, data: WebhookCreate, settings: Settings
) -> WebhookSubscription:
    now = utcnow()
    subscription = WebhookSubscription(
        merchant_id=who.merchant_id if who.role is Role.merchant else None,
        created_by_key_id=who.key_id,
        url=await _checked_url(data.url, settings),
        event_types=data.event_types,
        description=data.description,
        secret=new_secret(),
        enabled=True,
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    await audit.record(
        session,
        who,
        "webhook.create",
        "webhook",
        subscription.id,
        {"url": subscription.url, "event_types": subscription.event_types},
    )
    return subscription


def _mine(who: Principal) -> object:
    if who.role is Role.merchant:
        return WebhookSubscription.merchant_id == who.merchant_id
    return WebhookSubscription.id.is_not(None)


async def get_visible(
    session: AsyncSession, who: Principal, webhook_id: UUID, for_update: bool = False
) -> WebhookSubscription:
    query = select(WebhookSubscription).where(
        WebhookSubscription.id == webhook_id,
        WebhookSubscription.deleted_at.is_(None),
        _mine(who),  # type: ignore[arg-type]
    )
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound.of(WEBHOOK, webhook_id)
    return found


async def list_page(
    session: AsyncSession, who: Principal, after: UUID | None, limit: int
) -> list[WebhookSubscription]:
    query = (
        select(WebhookSubscription)
        .where(WebhookSubscription.deleted_at.is_(None), _mine(who))  # type: ignore[arg-type]
        .order_by(WebhookSubscription.id)
        .limit(limit + 1)
    )
    if after:
        query = query.where(WebhookSubscription.id > after)
    return list((await session.execute(query)).scalars())


KEY_REVOKED = "the API key that created it was revoked"


async def on_key_revoked(session: AsyncSession, who: Principal, event: KeyRevoked) -> None:
    """The reaction to `KeyRevoked` (app/auth/reactions.py, wired in app/wiring.py)."""
    await stop_created_by(session, who, event.key_id)


async def stop_created_by(session: AsyncSession, who: Principal, key_id: UUID) -> int:
    """A revoked key's subscriptions stop: disabled for good (they cannot be enabled again),
    and nothing more is queued for them (app/webhooks/fanout.py). How many were stopped."""
    subscriptions = (
        await session.execute(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.created_by_key_id == key_id,
                WebhookSubscription.deleted_at.is_(None),
            )
            .with_for_update()
        )
    ).scalars()
    stopped = 0
    for subscription in subscriptions:
        await disable(session, subscription, KEY_REVOKED)
        await audit.record(
            session, who, "webhook.disable", "webhook", subscription.id, {"reason": KEY_REVOKED}
        )
        stopped += 1
    return stopped


async def disable(session: AsyncSession, subscription: WebhookSubscription, reason: str) -> None:
    """Stop sending to a subscription, saying why, with the `webhook.disabled` event."""
    subscription.enabled = False
    subscription.disabled_reason = reason[:500]
    subscription.updated_at = utcnow()
    await session.flush()
    await outbox.emit(
        session,
        "webhook.disabled",
        "webhook",
        subscription.id,
        [subscription.merchant_id],
        {
            "webhook_id": str(subscription.id),
            "url": subscription.url,
            "reason": subscription.disabled_reason,
        },
    )


async def _creator_revoked(session: AsyncSession, subscription: WebhookSubscription) -> bool:
    revoked_at = await session.scalar(
        select(ApiKey.revoked_at).where(ApiKey.id == subscription.created_by_key_id)
    )
    return revoked_at is not None


async def update_subscription(
    session: AsyncSession,
    who: Principal,
    webhook_id: UUID,
    data: WebhookUpdate,
    if_match: str | None,
    settings: Settings,
) -> WebhookSubscription:
    subscription = await get_visible(session, who, webhook_id, for_update=True)
    check_if_match(if_match, subscription.version)
    sent = data.model_fields_set
    if "url" in sent and data.url is not None:
        subscription.url = await _checked_url(data.url, settings)
    if "event_types" in sent and data.event_types is not None:
        subscription.event_types = data.event_types
    if "description" in sent:
        subscription.description = data.description
    if data.enabled is True and not subscription.enabled:
        if await _creator_revoked(session, subscription):
            raise Conflict(
                Text(
                    "This subscription stopped when the API key that created it was revoked; "
                    "create a new one with a live key.",
                    "创建该订阅的 API 密钥已被吊销,订阅已停止;请用有效密钥重新创建订阅。",
                )
            )
        subscription.enabled = True
        subscription.disabled_reason = None
        subscription.consecutive_failures = 0
        # What waited while it was disabled goes out now, with a fresh retry window.
        now = utcnow()
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.status == "pending",
            )
            .values(next_attempt_at=now, window_starts_at=now, updated_at=now)
        )
    elif data.enabled is False:
        subscription.enabled = False
        subscription.disabled_reason = "disabled by its owner"
    subscription.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session, who, "webhook.update", "webhook", subscription.id, {"changed": sorted(sent)}
    )
    return subscription


async def delete(session: AsyncSession, who: Principal, webhook_id: UUID) -> None:
    """Deleted subscriptions get nothing more; their delivery log is kept."""
    subscription = await get_visible(session, who, webhook_id, for_update=True)
    subscription.deleted_at = subscription.updated_at = utcnow()
    subscription.enabled = False
    await session.flush()
    await audit.record(session, who, "webhook.delete", "webhook", subscription.id, {})


async def retry(
    session: AsyncSession, who: Principal, webhook_id: UUID, delivery_id: UUID
) -> WebhookDelivery:
    """Send a delivery again now (failed or not), with a fresh retry window."""
    subscription = await get_visible(session, who, webhook_id)
    query = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription.id,
        )
        .with_for_update()
    )
    delivery = (await session.execute(query)).scalar_one_or_none()
    if delivery is None:
        raise NotFound.of(DELIVERY, delivery_id)
    now = utcnow()
    delivery.status = "pending"
    delivery.next_attempt_at = delivery.window_starts_at = delivery.updated_at = now
    await session.flush()
    await audit.record(
        session, who, "webhook.retry", "webhook", subscription.id, {"delivery_id": str(delivery_id)}
    )
    return delivery
