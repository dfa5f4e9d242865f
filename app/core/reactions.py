"""Reactions: how a lower domain lets higher ones act on its facts without importing them.

A domain that emits a fact defines it as a frozen dataclass (`app/products/reactions.py
ProductRevised`, …) and calls `await emit(session, who, event)`; the domains that must act
on it provide a handler, and `app/wiring.py` subscribes each handler once at start-up, as
it registers the ledger's leaf kinds. So `products` never imports `listings`.

Handlers run in registration order, in the caller's session and transaction (they flush,
never commit), and an exception from one propagates to the emitter unchanged, as the direct
call it replaces did: the request fails and nothing it wrote is kept.

Not the outbox (`app/outbox/`): that is the feed of changes for external clients and
webhooks, written as rows; a reaction is an in-process call within one transaction.

This module knows no domain; an event with no handler is a wiring forgotten, so `emit`
refuses it rather than silently skipping the reaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal

E = TypeVar("E")
Handler = Callable[[AsyncSession, Principal, Any], Awaitable[object]]

_handlers: dict[type, list[Handler]] = {}


def subscribe(
    event_type: type[E], handler: Callable[[AsyncSession, Principal, E], Awaitable[object]]
) -> None:
    """Run `handler` on every `event_type` emitted, after those subscribed before it.
    Idempotent: subscribing the same handler again changes nothing."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


async def emit(session: AsyncSession, who: Principal, event: object) -> None:
    """Run every handler of `type(event)`, in order, in `session`; `who` is the caller whose
    request set the fact off. Raises LookupError if nothing is subscribed to it."""
    handlers = _handlers.get(type(event))
    if not handlers:
        raise LookupError(
            f"no reaction subscribed to {type(event).__name__}: call app.wiring.register()"
        )
    for handler in list(handlers):
        await handler(session, who, event)


def subscribed() -> dict[type, list[Handler]]:
    """A copy of the registry: each event type and its handlers, in order (for tests)."""
    return {kind: list(handlers) for kind, handlers in _handlers.items()}
