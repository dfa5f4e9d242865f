"""Delivering webhooks: the worker inside `shushang serve`.

Each round finds due deliveries, one per subscription (the oldest pending event first, so a
subscription receives its events in order), and sends each in its own transaction that
holds the delivery and subscription rows (`FOR UPDATE … SKIP LOCKED`: several processes
never send the same delivery at once). Requests are signed as Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`, HMAC-SHA256). A failure is retried
with exponential backoff and jitter for the retry window, then the delivery is failed; a
subscription whose attempts keep failing is disabled, with a `webhook.disabled` event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from app.config import Settings
from app.db import unit_of_work, utcnow
from app.events import service as events
from app.events.models import Event
from app.webhooks import urls
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

_CONCURRENCY = 8
_DUE = text("""
    SELECT d.id FROM webhook_delivery AS d
    JOIN webhook_subscription AS s ON s.id = d.subscription_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND s.enabled AND s.deleted_at IS NULL
      AND NOT EXISTS (
          SELECT FROM webhook_delivery AS earlier
          WHERE earlier.subscription_id = d.subscription_id AND earlier.status = 'pending'
            AND earlier.event_id < d.event_id
      )
    ORDER BY d.next_attempt_at
    LIMIT :limit
""")


def payload(event: Event) -> bytes:
    """The body: the Standard Webhooks shape, `type`, `timestamp` and `data` (and `id`)."""
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "timestamp": event.created_at.astimezone(UTC).isoformat(),
            "data": event.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def signed_headers(secret: str, message_id: str, body: bytes, when: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "Shushang-Webhooks/1.0",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when.astimezone(UTC), body.decode()),
    }


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential from the base, capped, with ±25 % jitter so retries do not stampede."""
    delay = min(
        settings.webhook_retry_base_seconds * 2 ** (attempts - 1),
        settings.webhook_retry_max_interval_seconds,
    )
    return timedelta(seconds=delay * random.uniform(0.75, 1.25))


async def deliver_due(
    factory: async_sessionmaker[AsyncSession], settings: Settings, client: httpx.AsyncClient
) -> int:
    """One round: send what is due; how many were attempted."""
    async with factory() as session:
        due = list((await session.execute(_DUE, {"limit": 50})).scalars())
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(delivery_id: UUID) -> bool:
        async with gate:
            return await _deliver(factory, settings, client, delivery_id)

    return sum(await asyncio.gather(*(one(d) for d in due)))


async def _deliver(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
    delivery_id: UUID,
) -> bool:
    async with unit_of_work(factory) as session:
        query = (
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == "pending",
                WebhookSubscription.enabled.is_(True),
            )
            .with_for_update(skip_locked=True)
        )
        found = (await session.execute(query)).first()
        if found is None:  # another process has it, or it changed meanwhile
            return False
        delivery, subscription = found
        event = await session.get(Event, delivery.event_id)
        assert event is not None
        body = payload(event)
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            await urls.check(subscription.url, settings.webhooks_allow_private_urls)
            response = await client.post(
                subscription.url,
                content=body,
                headers=signed_headers(subscription.secret, str(event.id), body, utcnow()),
                timeout=settings.webhook_timeout_seconds,
            )
            status_code = response.status_code
            if not response.is_success:
                error = f"HTTP {status_code}: {response.text[:200]}"
        except urls.UnsafeUrl as exc:
            error = f"refused: the URL {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency_ms = round((time.perf_counter() - started) * 1000)
        now = utcnow()
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                attempted_at=now,
                status_code=status_code,
                latency_ms=latency_ms,
                error=error,
            )
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error
        delivery.updated_at = now
        if error is None:
            delivery.status = "succeeded"
            delivery.delivered_at = now
            subscription.consecutive_failures = 0
        else:
            retry_at = now + backoff(delivery.attempts, settings)
            window_ends = delivery.window_starts_at + timedelta(
                seconds=settings.webhook_retry_window_seconds
            )
            if retry_at > window_ends:
                delivery.status = "failed"
            else:
                delivery.next_attempt_at = retry_at
            subscription.consecutive_failures += 1
            if subscription.consecutive_failures >= settings.webhook_disable_after_failures:
                await _disable(session, subscription, error)
        await session.flush()
        return True


async def _disable(session: AsyncSession, subscription: WebhookSubscription, error: str) -> None:
    subscription.enabled = False
    subscription.disabled_reason = (
        f"{subscription.consecutive_failures} consecutive failed attempts; last: {error}"
    )[:500]
    subscription.updated_at = utcnow()
    await session.flush()
    await events.emit(
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
    logger.warning("webhook disabled", extra={"webhook_id": str(subscription.id)})


async def deliver_forever(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        while True:
            try:
                sent = await deliver_due(factory, settings, client)
            except Exception:  # the database may be away: try again shortly
                logger.exception("a webhook delivery round failed")
                sent = 0
            if not sent:
                await asyncio.sleep(settings.webhook_poll_seconds)
