"""Queueing webhook deliveries: the webhooks' fan-out of the outbox (app/outbox/service.py).

Registered by app/wiring.py, this runs in the statement that inserts the outbox events, so
emitting stays one round trip however many events and subscriptions: for every subscription
that wants an event (its types match, it belongs to an operator or to a merchant the event
names, it is not deleted, and the key that created it is not revoked), a pending delivery.
Both owners read such an event in full by the outbox's audiences (app/outbox/audience.py:
operators every group, merchants what names them), so a subscription never receives what
its owner could not read at `/v1/events`. A disabled subscription still queues: what waits
goes out when it is enabled again (service.py `update_subscription`).

`e` is the outbox's relation of the events just inserted (`id`, `type`, `merchant_ids`,
`created_at`); the rest are the webhooks' own tables and the key it checks.
"""

from __future__ import annotations

NAME = "webhooks"

QUEUE_DELIVERIES = """
INSERT INTO webhook_delivery (id, subscription_id, event_id, status, attempts, next_attempt_at,
                              window_starts_at, created_at, updated_at)
SELECT gen_random_uuid(), s.id, e.id, 'pending', 0, e.created_at, e.created_at, e.created_at,
       e.created_at
FROM e JOIN webhook_subscription AS s
  ON s.deleted_at IS NULL
 AND (s.merchant_id IS NULL OR s.merchant_id = ANY (e.merchant_ids))
 AND NOT EXISTS (
     SELECT FROM api_key AS k WHERE k.id = s.created_by_key_id AND k.revoked_at IS NOT NULL
 )
 AND EXISTS (
     SELECT FROM unnest(s.event_types) AS t (pattern)
     WHERE t.pattern IN ('*', e.type)
        OR (right(t.pattern, 2) = '.*' AND starts_with(e.type, left(t.pattern, -1)))
 )
"""
