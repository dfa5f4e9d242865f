"""Delivering webhooks: the worker inside `shushang serve`.

A delivery is leased, not locked, while it is sent: a short transaction claims what is due
(`FOR NO KEY UPDATE SKIP LOCKED`, so several processes never claim the same delivery),
counts the attempt and pushes `next_attempt_at` past the send's deadline; the POST runs
with no transaction open; a second short transaction records the outcome, only if the lease
is still ours (same attempt count and `next_attempt_at`: a manual retry or a re-enabling
meanwhile takes it over). A process that dies mid-send leaves the lease to expire, and the
delivery is sent again then.

Only the oldest pending delivery of a subscription is ever due, so a subscription receives
its events in order (one in flight at a time). Deliveries run side by side, and the worker
claims more as soon as one finishes: a slow receiver holds up its own subscription only.
Requests are signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`, HMAC-SHA256) and sent by app/webhooks/sender.py. A failure is retried
with exponential backoff and jitter for the retry window, then the delivery is failed; a
subscription whose attempts keep failing is disabled, with a `webhook.disabled` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from app.core.config import Settings
from app.core.db import unit_of_work, utcnow
from app.outbox.models import OutboxEvent
from app.webhooks import service as subscriptions
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.webhooks.sender import Answer, Sender

logger = logging.getLogger(__name__)

# Deliveries in flight at once per process: each waits on the network, not on the CPU.
CONCURRENCY = 32
# The lease outlasts the send's deadline by this much, time to record the outcome.
LEASE_MARGIN_SECONDS = 60.0

_CLAIM = text("""
    WITH due AS (
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
        FOR NO KEY UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_delivery AS d
    SET attempts = d.attempts + 1,
        next_attempt_at = now() + :lease_seconds * interval '1 second',
        updated_at = now()
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.attempts, d.next_attempt_at
""")


@dataclass(frozen=True)
class Lease:
    """A claimed delivery and what sending it needs; `attempt` and `until` are the token
    that says the delivery is still ours when the outcome is recorded."""

    delivery_id: UUID
    subscription_id: UUID
    attempt: int
    until: datetime
    url: str
    secret: str
    event_id: UUID
    body: bytes


def payload(event: OutboxEvent) -> bytes:
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


async def _claim(
    factory: async_sessionmaker[AsyncSession], settings: Settings, limit: int
) -> list[Lease]:
    lease_seconds = settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS
    async with unit_of_work(factory) as session:
        claimed = (
            await session.execute(_CLAIM, {"limit": limit, "lease_seconds": lease_seconds})
        ).all()
        if not claimed:
            return []
        tokens = {row.id: (row.attempts, row.next_attempt_at) for row in claimed}
        found = await session.execute(
            select(WebhookDelivery.id, WebhookSubscription, OutboxEvent)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(tokens))
        )
        return [
            Lease(
                delivery_id=delivery_id,
                subscription_id=subscription.id,
                attempt=tokens[delivery_id][0],
                until=tokens[delivery_id][1],
                url=subscription.url,
                secret=subscription.secret,
                event_id=event.id,
                body=payload(event),
            )
            for delivery_id, subscription, event in found
        ]


async def _send(
    factory: async_sessionmaker[AsyncSession], settings: Settings, sender: Sender, lease: Lease
) -> None:
    """POST a leased delivery, no transaction open meanwhile, then record what came of it."""
    attempted_at = utcnow()
    started = time.perf_counter()
    answer = await sender.post(
        lease.url,
        lease.body,
        signed_headers(lease.secret, str(lease.event_id), lease.body, attempted_at),
        deadline_seconds=settings.webhook_timeout_seconds,
        allow_private=settings.webhooks_allow_private_urls,
    )
    latency_ms = round((time.perf_counter() - started) * 1000)
    await _record(factory, settings, lease, answer, attempted_at, latency_ms)


async def _record(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    lease: Lease,
    answer: Answer,
    attempted_at: datetime,
    latency_ms: int,
) -> None:
    async with unit_of_work(factory) as session:
        session.add(  # the attempt happened, whoever holds the delivery now
            WebhookAttempt(
                delivery_id=lease.delivery_id,
                attempted_at=attempted_at,
                status_code=answer.status_code,
                latency_ms=latency_ms,
                error=answer.error,
            )
        )
        # The subscription first, then the delivery: the order app/webhooks/service.py
        # locks them in, so the two never wait for each other.
        subscription = await session.get(
            WebhookSubscription, lease.subscription_id, with_for_update={"key_share": True}
        )
        delivery = (
            await session.execute(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.id == lease.delivery_id,
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.attempts == lease.attempt,
                    WebhookDelivery.next_attempt_at == lease.until,
                )
                .with_for_update(key_share=True)
            )
        ).scalar_one_or_none()
        if delivery is None or subscription is None:
            logger.info(
                "webhook delivery taken over while it was sent",
                extra={"delivery_id": str(lease.delivery_id)},
            )
            return
        now = utcnow()
        error = answer.error
        delivery.last_status_code = answer.status_code
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


async def _send_logged(
    factory: async_sessionmaker[AsyncSession], settings: Settings, sender: Sender, lease: Lease
) -> None:
    try:
        await _send(factory, settings, sender, lease)
    except Exception:  # the database may be away: the lease expires and it is sent again
        logger.exception("a webhook delivery failed", extra={"delivery_id": str(lease.delivery_id)})


async def deliver_due(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    sender: Sender | None = None,
) -> int:
    """One round: send what is due now (a subscription's oldest pending event), side by
    side, and wait for all; how many were attempted."""
    sender = sender or Sender()
    leases = await _claim(factory, settings, CONCURRENCY)
    await asyncio.gather(*(_send_logged(factory, settings, sender, lease) for lease in leases))
    return len(leases)


async def _disable(session: AsyncSession, subscription: WebhookSubscription, error: str) -> None:
    await subscriptions.disable(
        session,
        subscription,
        f"{subscription.consecutive_failures} consecutive failed attempts; last: {error}",
    )
    logger.warning("webhook disabled", extra={"webhook_id": str(subscription.id)})


async def deliver_forever(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    sender: Sender | None = None,
) -> None:
    """Keep up to CONCURRENCY deliveries in flight; claim more whenever one finishes (its
    subscription's next event may be due now) or every poll interval."""
    sender = sender or Sender()
    in_flight: set[asyncio.Task[None]] = set()
    try:
        while True:
            free = CONCURRENCY - len(in_flight)
            if free:
                try:
                    leases = await _claim(factory, settings, free)
                except Exception:  # the database may be away: try again shortly
                    logger.exception("claiming webhook deliveries failed")
                    leases = []
                for lease in leases:
                    in_flight.add(
                        asyncio.create_task(_send_logged(factory, settings, sender, lease))
                    )
            if in_flight:
                done, _ = await asyncio.wait(
                    in_flight,
                    timeout=settings.webhook_poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                in_flight -= done
            else:
                await asyncio.sleep(settings.webhook_poll_seconds)
    finally:  # shutting down: what is cut short is sent again when its lease expires
        for task in in_flight:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*in_flight, return_exceptions=True)
